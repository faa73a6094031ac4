"""SQLite and Elasticsearch give the same answers on the same ingest, compared with each other
directly (each is compared with the brute-force reference in ``test_store_queries.py``)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import store_reference as ref

import yuqing.pipeline.store.elastic as elastic
from yuqing.pipeline.store.base import PostFilter

pytestmark = pytest.mark.es


@pytest.fixture
def stores(loaded_sqlite, loaded_es):
    """Both stores loaded with the same file (once a session), and the posts they were given."""
    return loaded_sqlite.store, loaded_es.store, loaded_sqlite.posts


def test_same_ingest_reports_and_counts(loaded_sqlite, loaded_es):
    r_sq, r_es = loaded_sqlite.report, loaded_es.report
    assert r_sq.stored == r_es.stored == len(loaded_sqlite.posts) > 300
    assert r_sq.duplicates == r_es.duplicates > 5  # the repost storms were folded
    # the same decisions (dedupe) before either store
    assert [(p.id, p.dup_of) for p in loaded_es.posts] == [(p.id, p.dup_of) for p in loaded_sqlite.posts]
    assert loaded_sqlite.store.count() == loaded_es.store.count() == len(loaded_sqlite.posts)
    assert [p.id for p in loaded_es.store.iter_range()] == [p.id for p in loaded_sqlite.store.iter_range()]


def test_aggregates_identical(stores):
    sq, es, posts = stores
    for by in itertools.combinations(ref.DIMS, 2):
        for interval in (None, "1d"):
            assert sq.aggregate(by=list(by), interval=interval) == es.aggregate(by=list(by), interval=interval)


def test_aggregate_with_filters(stores):
    sq, es, posts = stores
    since = min(p.published_at for p in posts) + timedelta(days=5)
    until = since + timedelta(days=9)
    for flt in [PostFilter(platforms=("weibo", "news")), PostFilter(units=("wangjing",)),
                PostFilter(topics=("wage_arrears",), exclude_duplicates=True),
                PostFilter(since=since, until=until, sentiments=("negative",)),
                PostFilter(text="加班", units=("chaoyang",))]:
        for by, interval in [((), None), (("topic", "unit_tree"), "1d"), (("sentiment",), "6h")]:
            assert sq.aggregate(flt, by=list(by), interval=interval) == \
                es.aggregate(flt, by=list(by), interval=interval), (flt, by, interval)
        assert sq.count(flt) == es.count(flt)


def test_search_hits_identical_for_chinese_queries(stores):
    sq, es, posts = stores
    mid = sorted(p.published_at for p in posts)[len(posts) // 2]
    filters = [PostFilter(), PostFilter(platforms=("weibo",)), PostFilter(topics=("overtime", "layoffs")),
               PostFilter(units=("jiuxianqiao",)), PostFilter(sentiments=("negative",)),
               PostFilter(since=mid), PostFilter(until=mid), PostFilter(exclude_duplicates=True)]
    nonempty = 0
    for query in ref.QUERIES:
        for base in filters:
            flt = base.with_(text=query)
            page_sq, page_es = sq.search(flt, limit=1000), es.search(flt, limit=1000)
            assert [p.id for p in page_sq.posts] == [p.id for p in page_es.posts], flt
            assert page_sq.total == page_es.total == len(page_sq.posts)
            nonempty += bool(page_sq.total)
    assert nonempty > 20
    # paging gives the same slices
    flt = PostFilter(text="工会")
    assert [p.id for p in sq.search(flt, limit=7, offset=5).posts] == \
        [p.id for p in es.search(flt, limit=7, offset=5).posts]


def test_iter_range_and_get(stores):
    sq, es, posts = stores
    since = sorted(p.published_at for p in posts)[50]
    flt = PostFilter(since=since, platforms=("weibo", "forum"))
    a = [p.id for p in sq.iter_range(flt, batch_size=17)]
    b = [p.id for p in es.iter_range(flt, batch_size=17)]
    assert a == b and len(a) > 50
    some = [p.id for p in posts[::40]] + ["weibo:missing"]
    got_sq, got_es = sq.get_many(some), es.get_many(some)
    assert got_sq == got_es and len(got_es) == len(some) - 1
    assert es.get(posts[3].id) == posts[3]
    assert es.get("news:nope") is None


def test_deep_pages_walk_with_search_after(stores, monkeypatch):
    """Past index.max_result_window Elasticsearch pages by search_after; the slices stay equal."""
    sq, es, posts = stores
    monkeypatch.setattr(elastic, "MAX_WINDOW", 40)
    for flt, offset, limit in [(PostFilter(), 95, 30), (PostFilter(platforms=("weibo",)), 41, 3),
                               (PostFilter(text="工会"), 39, 5), (PostFilter(), len(posts) - 5, 20)]:
        a, b = sq.search(flt, limit=limit, offset=offset), es.search(flt, limit=limit, offset=offset)
        assert [p.id for p in a.posts] == [p.id for p in b.posts] and a.total == b.total
        assert len(b.posts) == max(0, min(limit, a.total - offset))
        assert [p.id for p in b.posts] == ref.search(posts, flt)[offset:offset + limit]
