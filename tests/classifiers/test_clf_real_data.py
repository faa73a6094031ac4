"""Sentiment transfer to real public Weibo data (../shared; evaluation only, never trained on).

Skips with the reason where ../shared/fixtures/real is absent (conftest ``shared_dir``).
"""

import json

import pytest

from yuqing.classifiers.experiments import load_real
from yuqing.classifiers.store import get_model

pytestmark = pytest.mark.shared


def test_shipped_model_reads_real_weibo_polarity(shared_dir, ctx, tmp_path, monkeypatch, cli):
    monkeypatch.setattr("yuqing.classifiers.experiments.SHARED", shared_dir / "datasets")
    data = load_real()
    texts, gold = data["weibo_senti_100k (100 sample)"]
    assert len(texts) == 100
    model = get_model(ctx)  # the full model (trained once per data version, then cached)
    preds = model.predict(texts)
    polarity = ["positive" if p.scores["positive"] > p.scores["negative"] else "negative" for p in preds]
    accuracy = sum(a == b for a, b in zip(polarity, gold, strict=True)) / len(gold)
    assert accuracy >= 0.65, f"polarity accuracy on real Weibo posts fell to {accuracy:.2f} (was 0.78)"
    # the same posts through `yuqing evaluate` (sentiment-only records)
    f = tmp_path / "weibo.jsonl"
    f.write_text("".join(json.dumps({"content": t, "sentiment": g}, ensure_ascii=False) + "\n"
                         for t, g in zip(texts, gold, strict=True)), encoding="utf-8")
    res = cli(ctx, "evaluate", "--data", str(f), "--json")
    rep = json.loads(res.stdout)
    assert "topics" not in rep and rep["sentiment"]["n"] == 100
    assert rep["sentiment"]["labels_averaged"] == ["negative", "positive"]
