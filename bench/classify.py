"""Benchmark: classification (both heads) vs ``jieba.lcut`` segmentation alone, on one core.

    .venv/bin/python bench/classify.py [--posts 20000] [--model-dir DIR] [--batch 1000]

Posts are the shipped corpus texts (``data/corpus``) cycled to ``--posts``. The process is pinned
to one CPU and BLAS to one thread; times are this process's CPU time (the machine is shared), with
jieba and classify interleaved batch by batch. Printed side by side on the same posts:

* ``jieba.lcut`` (Python jieba, default dictionary, default HMM) — the issue's reference cost;
* the classifier's own stages: preparation (clean, normalise, segment with rjieba + user dict,
  specials), each head's features, each head's model, and the whole ``Model.predict``;
* tokeniser agreement of rjieba vs jieba with the same user dictionary (HMM off) on these posts.

Targets (issue #3): classify ≤ 1.5× the time of ``jieba.lcut`` alone, and ≥ 3,000 posts/s.
The model is loaded from ``--model-dir`` or trained (no cross-validation) into a temp dir.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import logging
import tempfile
import time
from pathlib import Path


def timed(fn, *args):
    """(result, CPU seconds of this process): robust to other processes on a shared machine."""
    t = time.process_time()
    out = fn(*args)
    return out, time.process_time() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--model-dir", type=Path)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    import jieba

    from yuqing.classifiers.corpus import read_labelled
    from yuqing.classifiers.store import load_model, save_model, train
    from yuqing.pipeline.core.tokenizer import engine, normalize_text, reference_engine

    jieba.setLogLevel(logging.WARNING)
    examples, _ = read_labelled()
    base = [e.text for e in examples]
    texts = [base[i % len(base)] for i in range(args.posts)]
    chars = sum(map(len, texts))

    if args.model_dir and (args.model_dir / "topics.skops").exists():
        model = load_model(args.model_dir)
    else:
        model = train(cv="none")
        save_model(model, Path(tempfile.mkdtemp(prefix="yq-bench-")))
    print(f"posts: {len(texts)} (corpus of {len(base)} cycled), {chars / len(texts):.0f} chars/post on average, "
          f"model trained on {model.card.get('n_train')} posts, one core")

    jieba.lcut("预热")
    engine().cut("预热")
    model.predict(texts[:200])  # warm caches and imports

    # interleaved by batch so both see the same machine conditions; CPU time of this process
    bs = args.batch
    t_jieba = t_classify = 0.0
    wall = time.perf_counter()
    for i in range(0, len(texts), bs):
        chunk = texts[i:i + bs]
        t_jieba += timed(lambda c=chunk: [jieba.lcut(t) for t in c])[1]
        t_classify += timed(model.predict, chunk)[1]
    wall = time.perf_counter() - wall

    # breakdown
    docs, t_prep = timed(model.prepare, texts)
    Xt, t_tf = timed(model.topics[1:-1].transform, docs)
    _, t_tm = timed(model.topics[-1].predict, Xt)
    Xs, t_sf = timed(model.sentiment[1:-1].transform, docs)
    _, t_sm = timed(model.sentiment[-1].predict_proba, Xs)
    norm = [normalize_text(t) for t in texts]
    _, t_rj = timed(lambda: [engine().cut(t) for t in norm])

    def rate(s):
        return f"{len(texts) / s:>10,.0f} posts/s  {s:7.2f} s"

    print(f"CPU time of this process (wall clock for both together: {wall:.1f} s)")
    print(f"{'jieba.lcut alone (reference)':<44}{rate(t_jieba)}")
    print(f"{'classify, both heads (Model.predict)':<44}{rate(t_classify)}   = {t_classify / t_jieba:.2f}× jieba.lcut")
    print("  breakdown:")
    print(f"  {'rjieba cut alone (normalised text)':<42}{rate(t_rj)}")
    print(f"  {'prepare (clean+normalise+segment+specials)':<42}{rate(t_prep)}")
    print(f"  {'topic features':<42}{rate(t_tf)}")
    print(f"  {'topic model':<42}{rate(t_tm)}")
    print(f"  {'sentiment features':<42}{rate(t_sf)}")
    print(f"  {'sentiment model':<42}{rate(t_sm)}")
    ok_ratio = t_classify <= 1.5 * t_jieba
    ok_rate = len(texts) / t_classify >= 3000
    print(f"targets: ≤ 1.5× jieba.lcut: {'met' if ok_ratio else 'NOT met'}; ≥ 3,000 posts/s: {'met' if ok_rate else 'NOT met'}")

    # tokeniser agreement, rjieba vs jieba with the same user dictionary, HMM off
    ref = reference_engine()
    sample = [normalize_text(t) for t in base]
    same_docs = same_tokens = total = 0
    for t in sample:
        a, b = engine().cut(t), ref.cut(t)
        same_docs += a == b
        sa = set(a)
        same_tokens += sum(1 for x in b if x in sa)
        total += len(b)
    print(f"agreement rjieba vs jieba (user dict, HMM off) on {len(sample)} corpus posts: "
          f"{same_docs / len(sample):.2%} identical segmentations, {same_tokens / max(total, 1):.2%} of jieba's tokens")


if __name__ == "__main__":
    main()
