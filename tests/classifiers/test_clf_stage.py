"""The classify stage inside ingest, and training on first use."""

import json

import pytest

from yuqing.classifiers.stage import ClassifyStage
from yuqing.classifiers.store import cache_dir, get_model, model_dir
from yuqing.pipeline.ingest import Ingestor
from yuqing.pipeline.ingest.stages import default_stages
from yuqing.pipeline.store import open_store

POSTS = [
    {"id": "weibo:101", "platform": "weibo", "source": "wb", "published_at": "2026-11-20 09:00:00",
     "content": "望京一家公司拖欠工资三个月，老板跑路了，大家准备集体去劳动仲裁[怒][怒]"},
    {"id": "news:7", "platform": "news", "source": "rss", "published_at": "2026-11-20 10:00:00",
     "title": "朝阳区总工会开展送清凉活动", "content": "区总工会为环卫工人、快递员等户外劳动者送去防暑降温物资。"},
    {"id": "forum:3", "platform": "forum", "source": "bbs", "published_at": "2026-11-20 11:00:00",
     "content": "。。。，，"},
]


def test_ingest_classifies_every_stored_post(model_ctx, tmp_path):
    src = tmp_path / "posts.jsonl"
    src.write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in POSTS) + "\n", encoding="utf-8")
    stages = default_stages(model_ctx)
    assert any(isinstance(s, ClassifyStage) for s in stages)
    report = Ingestor(model_ctx, stages=stages).ingest_path(src)
    assert report.stored == 3
    store = open_store(model_ctx)
    wage = store.get("weibo:101")
    assert "wage_arrears" in wage.topics and wage.sentiment.label == "negative"
    assert set(wage.sentiment.scores) == {"negative", "neutral", "positive"}
    junk = store.get("forum:3")
    assert junk.topics == [] and junk.sentiment.label == "neutral"
    assert store.count() == 3


def test_model_is_trained_on_first_use_and_cached(ctx):
    # the shared per-user cache (so the rest of the suite reuses this one full training)
    model = get_model(ctx)
    d = model_dir(ctx)
    card = json.loads((d / "metrics.json").read_text(encoding="utf-8"))
    assert card["n_train"] >= 1000 and card["data_version"] == model.card["data_version"]
    assert "per_label" in card["cv"]["topics"]
    cached = cache_dir() / card["data_version"]
    assert (cached / "topics.skops").exists()
    # a second data dir copies the cached model instead of training again
    other = ctx.data_dir.parent / "var2"
    ctx2 = type(ctx).load(ctx.config_dir, other, environ={})
    again = get_model(ctx2)
    assert again.card["trained_at"] == model.card["trained_at"]
    pred = again.predict(["公司不给交社保，五险一金都没有"])[0]
    assert "social_insurance" in pred.topics


def test_stale_first_use_model_is_replaced_but_a_trained_one_is_kept(model_ctx, caplog):
    d = model_dir(model_ctx)
    card = json.loads((d / "metrics.json").read_text(encoding="utf-8"))
    card["trained_by"] = "yuqing train"
    (d / "metrics.json").write_text(json.dumps(card), encoding="utf-8")
    kept = get_model(model_ctx)  # the small test model, from another data version: kept, warned
    assert kept.card["data_version"] == "test-small" and "run `yuqing train`" in caplog.text
    card["trained_by"] = "first use"
    (d / "metrics.json").write_text(json.dumps(card), encoding="utf-8")
    fresh = get_model(model_ctx)  # replaced by the shipped-corpus model (from the cache)
    assert fresh.card["data_version"] != "test-small" and fresh.card["n_train"] >= 1000
    assert json.loads((d / "metrics.json").read_text(encoding="utf-8"))["data_version"] == fresh.card["data_version"]


def test_damaged_first_use_model_is_rebuilt_an_explicit_one_is_reported(model_ctx):
    from yuqing.classifiers.store import ModelError

    d = model_dir(model_ctx)
    card = json.loads((d / "metrics.json").read_text(encoding="utf-8"))
    (d / "topics.skops").write_bytes(b"truncated")
    card["trained_by"] = "yuqing train"
    (d / "metrics.json").write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelError, match=r"topics.skops: not a readable skops file"):
        get_model(model_ctx)  # an explicitly trained model is never replaced silently
    card["trained_by"] = "first use"
    (d / "metrics.json").write_text(json.dumps(card), encoding="utf-8")
    model = get_model(model_ctx)
    assert model.card["n_train"] >= 1000 and model.predict(["工资拖欠"])[0].sentiment
