"""SQLite and Elasticsearch give the same answers on the same ingest — and both agree with a
brute-force reference computed in Python from the stored posts."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import timedelta

import pytest
from store_helpers import ROOT, ingest

from yuqing.pipeline.core.textindex import index_text, query_tokens
from yuqing.pipeline.store import open_store
from yuqing.pipeline.store.base import DIMENSIONS, AggRow, PostFilter
from yuqing.pipeline.store.sqlite import bucket_start

pytestmark = pytest.mark.es

DIMS = sorted(DIMENSIONS)
VALUES = {
    "unit": lambda p: set(p.org_units),
    "unit_tree": lambda p: set(p.org_path),
    "topic": lambda p: set(p.topics),
    "sentiment": lambda p: {p.sentiment.label} if p.sentiment else set(),
    "platform": lambda p: {p.platform},
    "source": lambda p: {p.source},
}
QUERIES = ["拖欠工资", "加班费", "外卖骑手", "酒仙桥 裁员", "工会", "社保断缴 朝阳", "望京SOHO", "不存在的词语组合"]


def reference_aggregate(posts, by, interval, tz) -> list[AggRow]:
    groups: dict[tuple, list] = defaultdict(list)
    for p in posts:
        bucket = bucket_start(p.published_at, interval, tz) if interval else None
        for combo in itertools.product(*(sorted(VALUES[d](p)) for d in by)):
            groups[(bucket, combo)].append(p)
    rows = [AggRow(b, dict(zip(by, combo, strict=True)), len(ps), len({p.author.id for p in ps}),
                   len({p.cluster for p in ps}), float(sum(p.metrics.engagement() for p in ps)))
            for (b, combo), ps in groups.items()]
    rows.sort(key=lambda r: (r.bucket.timestamp() if r.bucket else 0, *r.keys.values()))
    return rows


_INDEXED: dict[str, set[str]] = {}


def _indexed(p) -> set[str]:
    if p.id not in _INDEXED:
        _INDEXED[p.id] = set(index_text(p.title, p.content).split())
    return _INDEXED[p.id]


def reference_search(posts, flt: PostFilter) -> list[str]:
    tokens = set(query_tokens(flt.text or ""))
    hits = [p for p in posts if (not flt.text or (tokens and tokens <= _indexed(p)))
            and (not flt.platforms or p.platform in flt.platforms)
            and (not flt.topics or set(p.topics) & set(flt.topics))
            and (not flt.units or set(p.org_path) & set(flt.units))
            and (not flt.sentiments or (p.sentiment and p.sentiment.label in flt.sentiments))
            and (flt.since is None or p.published_at >= flt.since)
            and (flt.until is None or p.published_at < flt.until)
            and (not flt.exclude_duplicates or p.dup_of is None)]
    hits.sort(key=lambda p: (p.published_at.timestamp(), p.id), reverse=True)
    return [p.id for p in hits]


@pytest.fixture(scope="module")
def stores(tmp_path_factory, dataset_path, request):
    """Both stores loaded with the same file (module-scoped: ingested once for all parity tests)."""
    from yuqing.pipeline.core.context import Context

    es_url = request.getfixturevalue("es_url")
    root = tmp_path_factory.mktemp("parity")
    import shutil
    import uuid

    import httpx

    shutil.copytree(ROOT / "config", root / "config")
    prefix = f"yqtest-{uuid.uuid4().hex[:10]}"
    sq = Context.load(root / "config", root / "var-sqlite", environ={})
    es = Context.load(root / "config", root / "var-es", environ={"YUQING_ES_URL": es_url,
                                                                "YUQING_ES_INDEX_PREFIX": prefix})
    reports = (ingest(sq, dataset_path), ingest(es, dataset_path))
    posts = list(open_store(sq).iter_range())
    yield sq, es, posts, reports
    sq.close()
    es.close()
    httpx.delete(f"{es_url}/{prefix}-*", params={"expand_wildcards": "all"}, timeout=30)
    httpx.delete(f"{es_url}/_index_template/{prefix}-*", timeout=30)


def test_same_ingest_reports_and_counts(stores):
    sq, es, posts, (r_sq, r_es) = stores
    assert r_sq.stored == r_es.stored == len(posts) > 300
    assert r_sq.duplicates == r_es.duplicates > 5  # the repost storms were folded
    assert open_store(sq).count() == open_store(es).count() == len(posts)
    assert {p.id for p in open_store(es).iter_range()} == {p.id for p in posts}


@pytest.mark.parametrize("interval", [None, "1h", "1d"])
def test_aggregate_every_dimension_combination(stores, interval):
    sq, es, posts, _ = stores
    tz = sq.tz
    for k in (0, 1, 2):
        for by in itertools.combinations(DIMS, k):
            expected = reference_aggregate(posts, list(by), interval, tz)
            got_sq = open_store(sq).aggregate(by=list(by), interval=interval)
            got_es = open_store(es).aggregate(by=list(by), interval=interval)
            assert got_sq == expected, (by, interval)
            assert got_es == expected, (by, interval)
    if interval == "1d":
        rows = open_store(es).aggregate(interval="1d")
        assert all(r.bucket.astimezone(tz).hour == 0 and r.bucket.astimezone(tz).minute == 0 for r in rows)
        assert sum(r.posts for r in rows) == len(posts)


def test_aggregate_with_filters(stores):
    sq, es, posts, _ = stores
    since = min(p.published_at for p in posts) + timedelta(days=5)
    until = since + timedelta(days=9)
    for flt in [PostFilter(platforms=("weibo", "news")), PostFilter(units=("wangjing",)),
                PostFilter(topics=("wage_arrears",), exclude_duplicates=True),
                PostFilter(since=since, until=until, sentiments=("negative",)),
                PostFilter(text="加班", units=("chaoyang",))]:
        for by, interval in [((), None), (("topic", "unit_tree"), "1d"), (("sentiment",), "6h")]:
            assert open_store(sq).aggregate(flt, by=list(by), interval=interval) == \
                open_store(es).aggregate(flt, by=list(by), interval=interval), (flt, by, interval)
        assert open_store(sq).count(flt) == open_store(es).count(flt)


def test_search_hits_identical_for_chinese_queries(stores):
    sq, es, posts, _ = stores
    mid = sorted(p.published_at for p in posts)[len(posts) // 2]
    filters = [PostFilter(), PostFilter(platforms=("weibo",)), PostFilter(topics=("overtime", "layoffs")),
               PostFilter(units=("jiuxianqiao",)), PostFilter(sentiments=("negative",)),
               PostFilter(since=mid), PostFilter(until=mid), PostFilter(exclude_duplicates=True)]
    nonempty = 0
    for query in QUERIES:
        for base in filters:
            flt = base.with_(text=query)
            expected = reference_search(posts, flt)
            page_sq = open_store(sq).search(flt, limit=1000)
            page_es = open_store(es).search(flt, limit=1000)
            assert [p.id for p in page_sq.posts] == expected, flt
            assert [p.id for p in page_es.posts] == expected, flt
            assert page_sq.total == page_es.total == len(expected)
            nonempty += bool(expected)
    assert nonempty > 20
    # paging gives the same slices
    flt = PostFilter(text="工会")
    assert [p.id for p in open_store(sq).search(flt, limit=7, offset=5).posts] == \
        [p.id for p in open_store(es).search(flt, limit=7, offset=5).posts]


def test_iter_range_and_get(stores):
    sq, es, posts, _ = stores
    since = sorted(p.published_at for p in posts)[50]
    flt = PostFilter(since=since, platforms=("weibo", "forum"))
    a = [p.id for p in open_store(sq).iter_range(flt, batch_size=17)]
    b = [p.id for p in open_store(es).iter_range(flt, batch_size=17)]
    assert a == b and len(a) > 50
    some = [p.id for p in posts[::40]] + ["weibo:missing"]
    got_sq, got_es = open_store(sq).get_many(some), open_store(es).get_many(some)
    assert got_sq == got_es and len(got_es) == len(some) - 1
    assert open_store(es).get(posts[3].id) == posts[3]
    assert open_store(es).get("news:nope") is None


def test_deep_pages_walk_with_search_after(stores, monkeypatch):
    """Past index.max_result_window Elasticsearch pages by search_after; the slices stay equal."""
    import yuqing.pipeline.store.elastic as elastic

    sq, es, posts, _ = stores
    monkeypatch.setattr(elastic, "MAX_WINDOW", 40)
    for flt, offset, limit in [(PostFilter(), 95, 30), (PostFilter(platforms=("weibo",)), 41, 3),
                               (PostFilter(text="工会"), 39, 5), (PostFilter(), len(posts) - 5, 20)]:
        a, b = open_store(sq).search(flt, limit=limit, offset=offset), open_store(es).search(flt, limit=limit, offset=offset)
        assert [p.id for p in a.posts] == [p.id for p in b.posts] and a.total == b.total
        assert len(b.posts) == max(0, min(limit, a.total - offset))
