"""Parity on the shipped sample through the full default ingest (normalise, dedupe, classify,
link): real classifier and linker output — topics, sentiment with scores, units and their
subtrees — gives the same stats and hits in SQLite and Elasticsearch."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from store_helpers import ROOT

from yuqing.pipeline.core.context import Context
from yuqing.pipeline.ingest import Ingestor
from yuqing.pipeline.store import open_store
from yuqing.pipeline.store.base import PostFilter

pytestmark = pytest.mark.es
SAMPLE = ROOT / "data" / "sample" / "posts.jsonl"


@pytest.fixture
def sample_slice(tmp_path) -> Path:
    if not SAMPLE.exists():
        pytest.fail(f"{SAMPLE} is missing: it ships with the project")
    out = tmp_path / "slice.jsonl"
    with open(SAMPLE, encoding="utf-8") as src, open(out, "w", encoding="utf-8") as dst:
        dst.writelines(itertools.islice(src, 0, None, 12))  # every 12th post: ~400, all weeks
    return out


def test_default_pipeline_same_answers(ctx: Context, es_ctx: Context, sample_slice: Path):
    reports = [Ingestor(c).ingest_path(sample_slice) for c in (ctx, es_ctx)]
    assert reports[0].stored == reports[1].stored > 300
    sq, es = open_store(ctx), open_store(es_ctx)
    posts = list(sq.iter_range())
    assert any(p.topics for p in posts) and any(p.org_units for p in posts) and any(p.sentiment for p in posts)
    assert [p.id for p in es.iter_range()] == [p.id for p in posts]
    assert es.get_many([p.id for p in posts[::25]]) == sq.get_many([p.id for p in posts[::25]])
    for by in ([], ["topic"], ["unit"], ["unit_tree", "sentiment"], ["topic", "platform"], ["source"]):
        for interval in (None, "1h", "1d"):
            assert sq.aggregate(by=by, interval=interval) == es.aggregate(by=by, interval=interval), (by, interval)
    units = sorted({u for p in posts for u in p.org_path})
    topics = sorted({t for p in posts for t in p.topics})
    words = ["工资", "加班", "裁员", "工会", "社保", "骑手", "赔偿"]
    hits = 0
    for word, unit, topic in zip(words, itertools.cycle(units), itertools.cycle(topics)):
        for flt in (PostFilter(text=word), PostFilter(text=word, units=(unit,)),
                    PostFilter(text=word, topics=(topic,), sentiments=("negative",))):
            a, b = sq.search(flt, limit=500), es.search(flt, limit=500)
            assert [p.id for p in a.posts] == [p.id for p in b.posts] and a.total == b.total, flt
            assert sq.count(flt) == es.count(flt)
            hits += a.total
    assert hits > 50
