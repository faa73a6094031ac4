"""Held-out evaluation and feature experiments (the numbers in ``classifiers/README.md``).

    python -m yuqing.classifiers.experiments holdout            # A→B, B→A, leave-one-style-out, random 5-fold
    python -m yuqing.classifiers.experiments variants           # feature/parameter variants, cross-writer
    python -m yuqing.classifiers.experiments transfer           # real datasets (evaluation only)

Holdouts never mix a writer's or a style's posts into both sides: "A→B" trains on everything
writer A wrote (Weibo, Tieba) and tests on writer B's posts (forum, WeChat, news), and the reverse.

``transfer`` evaluates the shipped-corpus model on public labelled datasets from
``../shared/fixtures/real/datasets`` — never trained on, and only *train*/*dev*/sample files are
used to look at errors; files named *test* are scored once and never used to choose anything.
Binary datasets are scored as polarity: the prediction is the larger of the negative and positive
scores (a 3-class model has no other way to answer a 2-class question); the share the model calls
neutral is reported beside it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

from yuqing.classifiers.corpus import Example, read_labelled
from yuqing.classifiers.evaluate import cross_validate, fit_examples, score
from yuqing.pipeline.core.taxonomy import load_taxonomy


def _find_shared() -> Path:
    """``shared/fixtures/real/datasets`` beside the working directory's project (or a parent's, for
    worktrees); ``$YUQING_SHARED`` names the ``shared`` folder explicitly."""
    if os.environ.get("YUQING_SHARED"):
        return Path(os.environ["YUQING_SHARED"]) / "fixtures" / "real" / "datasets"
    here = Path.cwd().resolve()
    for parent in (here, *here.parents):
        cand = parent / "shared" / "fixtures" / "real" / "datasets"
        if cand.is_dir():
            return cand
    return here.parent / "shared" / "fixtures" / "real" / "datasets"


SHARED = _find_shared()


def _row(name: str, rep: dict, secs: float | None = None) -> str:
    t, s = rep.get("topics", {}), rep.get("sentiment", {})
    tail = f"  ({secs:.0f} s)" if secs is not None else ""
    return (f"{name:<34} topics macro-F1 {t.get('macro_f1', float('nan')):.3f} micro-F1 {t.get('micro_f1', float('nan')):.3f} "
            f"exact {t.get('exact_match', float('nan')):.3f} | sentiment macro-F1 {s.get('macro_f1', float('nan')):.3f} "
            f"acc {s.get('accuracy', float('nan')):.3f}{tail}")


def _resolve(params: dict) -> dict:
    if params.get("keywords") == "taxonomy":

        params = {**params, "keywords": {t.id: list(t.keywords) for t in load_taxonomy().topics}}
    return params


def split_eval(train: list[Example], test: list[Example], **params) -> dict:
    model = fit_examples(train, **_resolve(params))
    return score(test, model.predict([e.text for e in test]))


def holdout(examples: list[Example], params: dict | None = None, verbose: bool = True) -> dict:
    params = _resolve(params or {})
    out = {}
    writers = sorted({e.writer for e in examples})
    for w in writers:
        tr = [e for e in examples if e.writer != w]
        te = [e for e in examples if e.writer == w]
        if not tr or not te:
            continue
        t = time.perf_counter()
        rep = split_eval(tr, te, **params)
        name = f"train {'+'.join(sorted({e.writer for e in tr}))} → test {w} (n={len(te)})"
        out[name] = rep
        if verbose:
            print(_row(name, rep, time.perf_counter() - t), flush=True)

    def fit(exs):
        return fit_examples(exs, **params)

    for by in ("group", "random"):
        t = time.perf_counter()
        preds, folds = cross_validate(examples, by=by, fit=fit)
        rep = score(examples, preds)
        name = "leave-style-out (writer×style)" if by == "group" else "random 5-fold (in-distribution)"
        out[name] = rep
        if verbose:
            print(_row(name, rep, time.perf_counter() - t), flush=True)
    return out


VARIANTS: dict[str, dict] = {
    "default": {},
    "taxonomy keywords as features": {"keywords": "taxonomy"},
    "topics C=1": {"topic_params": {"C": 1.0}},
    "topics C=16": {"topic_params": {"C": 16.0}},
    "sentiment C=1": {"sentiment_params": {"C": 1.0}},
    "sentiment C=16": {"sentiment_params": {"C": 16.0}},
    "no char n-grams": {"topic_params": {"char": None}, "sentiment_params": {"char": None}},
    "char 2-4": {"topic_params": {"char": (2, 4)}, "sentiment_params": {"char": (2, 4)}},
    "word unigrams only": {"topic_params": {"word_ngram": 1}, "sentiment_params": {"word_ngram": 1}},
    "no negation marks": {"sentiment_params": {"negation": False}},
    "no sentiment cues": {"sentiment_params": {"cues": False}},
    "no sentiment lexicon": {"sentiment_params": {"lexicon": False}},
    "char 2-3": {"topic_params": {"char": (2, 3)}, "sentiment_params": {"char": (2, 3)}},
    "topics unigram C=8": {"topic_params": {"word_ngram": 1, "C": 8.0}},
    "topics unigram C=8 min_df=1": {"topic_params": {"word_ngram": 1, "C": 8.0, "min_df": 1}},
    "min_df=1": {"topic_params": {"min_df": 1}, "sentiment_params": {"min_df": 1}},
}


def variants(examples: list[Example], names: list[str] | None = None) -> None:
    """Each variant scored cross-writer (train A → test B and B → A; mean of the two)."""
    for name in names or list(VARIANTS):
        params = VARIANTS[name]
        t = time.perf_counter()
        reps = []
        for w in sorted({e.writer for e in examples}):
            reps.append(split_eval([e for e in examples if e.writer != w], [e for e in examples if e.writer == w],
                                   **params))
        tm = [r["topics"]["macro_f1"] for r in reps]
        sm = [r["sentiment"]["macro_f1"] for r in reps]
        print(f"{name:<28} topics macro-F1 {np.mean(tm):.3f} ({' / '.join(f'{x:.3f}' for x in tm)})  "
              f"sentiment macro-F1 {np.mean(sm):.3f} ({' / '.join(f'{x:.3f}' for x in sm)})  "
              f"({time.perf_counter() - t:.0f} s)", flush=True)


# --- real datasets (evaluation only) ---------------------------------------------------------


def _polarity(model, texts: list[str], gold: list[str]) -> dict:
    preds = model.predict(texts)
    pol = ["positive" if p.scores.get("positive", 0) > p.scores.get("negative", 0) else "negative" for p in preds]
    from sklearn.metrics import accuracy_score, f1_score

    return {"n": len(texts), "polarity_accuracy": round(accuracy_score(gold, pol), 4),
            "polarity_macro_f1": round(f1_score(gold, pol, average="macro"), 4),
            "predicted_neutral": round(sum(p.sentiment == "neutral" for p in preds) / len(preds), 4),
            "3class_accuracy": round(accuracy_score(gold, [p.sentiment for p in preds]), 4)}


def load_real() -> dict[str, tuple[list[str], list[str]]]:
    """name → (texts, polarity labels) for the binary sentiment datasets available."""
    out = {}
    p = SHARED / "weibo_senti_100k_sample100.jsonl"
    if p.exists():
        rows = [json.loads(x) for x in p.read_text(encoding="utf-8").splitlines() if x.strip()]
        out["weibo_senti_100k (100 sample)"] = ([r["text"] for r in rows],
                                                ["positive" if r["label"] == 1 else "negative" for r in rows])
    p = SHARED / "simplifyweibo_4_moods_subset1600_train.csv"
    if p.exists():
        with open(p, encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        out["simplifyweibo_4_moods train (joy vs anger/disgust/low)"] = (
            [r["text"] for r in rows], ["positive" if r["label"] == "0" else "negative" for r in rows])
    p = SHARED / "nlpcc2018_codeswitch_emotion_weibo_dev.xml.txt"
    if p.exists():
        texts, gold = [], []
        for m in re.finditer(r"<Tweet[^>]*>(.*?)</Tweet>", p.read_text(encoding="utf-8"), re.S):
            body = m.group(1)

            def flag(tag, body=body):
                mm = re.search(rf"<{tag}>\s*([TF])\s*</{tag}>", body)
                return bool(mm and mm.group(1) == "T")

            content = re.search(r"<Content>\s*(.*?)\s*</Content>", body, re.S)
            if not content:
                continue
            happy = flag("Happiness")
            neg = flag("Sadness") or flag("Anger") or flag("Fear")
            if happy == neg:  # neither or both: no clear polarity
                continue
            texts.append(content.group(1).replace(" ", ""))
            gold.append("positive" if happy else "negative")
        out["nlpcc2018 code-switch emotion dev (happy vs sad/anger/fear)"] = (texts, gold)
    return out


CAIL_MAP = {"LB2": "wage_arrears", "LB4": "wage_arrears", "LB1": "layoffs", "LB3": "layoffs", "LB12": "layoffs",
            "LB13": "layoffs", "LB6": "labor_contract", "LB7": "labor_contract", "LB9": "labor_contract",
            "LB8": "working_hours", "LB10": "occupational_safety", "LB17": "occupational_safety",
            "LB14": "pay_benefits"}


def transfer(model) -> None:
    if not SHARED.exists():
        print(f"real datasets not found at {SHARED}; skipped")
        return
    for name, (texts, gold) in load_real().items():
        print(f"{name:<62} {_polarity(model, texts, gold)}")
    p = SHARED / "cail2019_labor_dispute_sentences_multilabel.json"
    if p.exists():
        sents = []
        for line in p.read_text(encoding="utf-8").splitlines():
            if line.strip():
                sents.extend(json.loads(line))
        tagged = [(s["sentence"], {CAIL_MAP[x] for x in s["labels"] if x in CAIL_MAP}) for s in sents]
        tagged = [(t, g) for t, g in tagged if g]
        preds = model.predict([t for t, _ in tagged])
        hits = sum(bool(g & set(p.topics)) for (_, g), p in zip(tagged, preds, strict=True))
        anyt = sum(bool(p.topics) for p in preds)
        print(f"{'CAIL2019 labour-dispute judgment sentences (mapped tags)':<62} n={len(tagged)} "
              f"mapped-topic recall {hits / len(tagged):.3f}, any worker topic {anyt / len(tagged):.3f}")
    p = SHARED / "thucnews_titles_dev10k.txt"
    if p.exists():
        classes = (SHARED / "thucnews_titles_class.txt").read_text(encoding="utf-8").split()
        rows = [x.rsplit("\t", 1) for x in p.read_text(encoding="utf-8").splitlines() if "\t" in x]
        preds = model.predict([r[0] for r in rows])
        by: dict[str, list[int]] = {}
        for (_, lab), pr in zip(rows, preds, strict=True):
            by.setdefault(classes[int(lab)], []).append(bool(pr.topics))
        rates = {k: round(sum(v) / len(v), 3) for k, v in by.items()}
        print(f"{'THUCNews titles: share given any worker topic, by class':<62} {rates}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["holdout", "variants", "transfer"])
    ap.add_argument("--data", nargs="*", help="labelled files or dirs [data/corpus]")
    ap.add_argument("--only", nargs="*", help="variant names")
    args = ap.parse_args(argv)
    examples, _ = read_labelled(args.data or None)
    print(f"{len(examples)} labelled posts", file=sys.stderr)
    if args.what == "holdout":
        holdout(examples)
    elif args.what == "variants":
        variants(examples, args.only)
    else:
        transfer(fit_examples(examples))


if __name__ == "__main__":
    main()
