"""Every read of the store interface against the brute-force reference (:mod:`store_reference`), on
the generated dataset, for each backend: SQLite always, Elasticsearch under the ``es`` mark."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import store_reference as ref

from yuqing.pipeline.store.base import PostFilter, StoreError


def _filters(posts) -> list[PostFilter]:
    """Filters on every field, alone and combined, with bounds inside the data."""
    times = sorted(p.published_at for p in posts)
    mid, early = times[len(times) // 2], times[len(times) // 5]
    one = posts[7]
    return [
        PostFilter(), PostFilter(platforms=("weibo",)), PostFilter(platforms=("weibo", "news")),
        PostFilter(topics=("overtime", "layoffs")), PostFilter(topics=("wage_arrears",), exclude_duplicates=True),
        PostFilter(units=("jiuxianqiao",)), PostFilter(units=("wangjing",)), PostFilter(units=("chaoyang",)),
        PostFilter(sentiments=("negative",)), PostFilter(sentiments=("positive", "neutral")),
        PostFilter(since=mid), PostFilter(until=mid), PostFilter(since=early, until=mid),
        PostFilter(since=mid, until=mid), PostFilter(since=one.published_at, until=one.published_at + timedelta(milliseconds=1)),
        PostFilter(exclude_duplicates=True), PostFilter(sources=(one.source,)),
        PostFilter(authors=(one.author.id, posts[11].author.id)),
        PostFilter(since=early, until=mid, sentiments=("negative",), platforms=("weibo", "forum")),
        PostFilter(units=("nowhere",)), PostFilter(topics=("no_such_topic",)),
    ]


def test_ingest_report_and_counts(loaded):
    assert loaded.report.stored == len(loaded.posts) > 300
    assert loaded.report.duplicates == sum(1 for p in loaded.posts if p.dup_of) > 5  # repost storms folded
    assert loaded.store.count() == len(loaded.posts)
    for flt in _filters(loaded.posts):
        assert loaded.store.count(flt) == len(ref.search(loaded.posts, flt)), flt


@pytest.mark.parametrize("interval", [None, "1h", "1d"])
def test_aggregate_every_dimension_combination(loaded, interval):
    store, posts, tz = loaded.store, loaded.posts, loaded.ctx.tz
    for k in (0, 1, 2):
        for by in itertools.combinations(ref.DIMS, k):
            assert store.aggregate(by=list(by), interval=interval) == ref.aggregate(posts, list(by), interval, tz), \
                (by, interval)
    if interval == "1d":
        rows = store.aggregate(interval="1d")
        assert all(r.bucket.astimezone(tz).hour == 0 and r.bucket.astimezone(tz).minute == 0 for r in rows)
        assert sum(r.posts for r in rows) == len(posts)


def test_aggregate_three_dimensions_and_other_intervals(loaded):
    store, posts, tz = loaded.store, loaded.posts, loaded.ctx.tz
    for by in itertools.combinations(ref.DIMS, 3):
        assert store.aggregate(by=list(by)) == ref.aggregate(posts, list(by), None, tz), by
    for interval in ("15m", "3h", "6h"):
        for by in ((), ("topic",), ("unit_tree", "sentiment")):
            assert store.aggregate(by=list(by), interval=interval) == \
                ref.aggregate(posts, list(by), interval, tz), (by, interval)


def test_aggregate_with_filters(loaded):
    store, posts, tz = loaded.store, loaded.posts, loaded.ctx.tz
    for flt in _filters(posts) + [PostFilter(text="加班", units=("chaoyang",)), PostFilter(text="工会")]:
        for by, interval in [((), None), (("topic", "unit_tree"), "1d"), (("sentiment",), "6h"), (("unit",), "1h")]:
            assert store.aggregate(flt, by=list(by), interval=interval) == \
                ref.aggregate(posts, list(by), interval, tz, flt), (flt, by, interval)


def test_search_hits_and_order_for_chinese_queries(loaded):
    store, posts = loaded.store, loaded.posts
    nonempty = 0
    for query in ref.QUERIES:
        for base in _filters(posts)[:16]:
            flt = base.with_(text=query)
            expected = ref.search(posts, flt)
            page = store.search(flt, limit=1000)
            assert [p.id for p in page.posts] == expected, flt
            assert page.total == store.count(flt) == len(expected), flt
            nonempty += bool(expected)
    assert nonempty > 20


def test_search_without_text_and_paging(loaded):
    store, posts = loaded.store, loaded.posts
    for flt in _filters(posts):
        expected = ref.search(posts, flt)
        assert [p.id for p in store.search(flt, limit=1000).posts] == expected, flt
        for offset, limit in [(0, 7), (5, 7), (len(expected) - 3, 10), (len(expected), 5), (len(expected) + 40, 5)]:
            page = store.search(flt, limit=limit, offset=max(offset, 0))
            assert [p.id for p in page.posts] == expected[max(offset, 0):max(offset, 0) + limit], (flt, offset)
            assert page.total == len(expected)
    # walking a query page by page gives every hit once, in order
    flt = PostFilter(text="工会")
    walked = [p.id for off in range(0, len(posts) + 9, 9) for p in store.search(flt, limit=9, offset=off).posts]
    assert walked == ref.search(posts, flt) and len(walked) > 9


def test_relevance_sort_finds_the_same_hits(loaded):
    """Under ``sort="relevance"`` each backend ranks by its own BM25: same hits, own order."""
    store, posts = loaded.store, loaded.posts
    for query in ref.QUERIES:
        flt = PostFilter(text=query)
        page = store.search(flt, limit=1000, sort="relevance")
        assert sorted(p.id for p in page.posts) == sorted(ref.search(posts, flt)), query
        assert page.total == len(page.posts)


def test_iter_range_get_and_get_many(loaded):
    store, posts = loaded.store, loaded.posts
    since = sorted(p.published_at for p in posts)[50]
    for flt in (PostFilter(), PostFilter(since=since, platforms=("weibo", "forum")), PostFilter(text="工资")):
        expected = ref.in_range(posts, flt)
        for batch_size in (1, 17, 1000):
            assert [p.id for p in store.iter_range(flt, batch_size=batch_size)] == [p.id for p in expected], \
                (flt, batch_size)
    assert list(store.iter_range()) == ref.in_range(posts)  # every field as it went in
    some = [p.id for p in posts[::40]] + ["weibo:missing"]
    got = store.get_many(some)
    assert got == {p.id: p for p in posts[::40]} and len(got) == len(some) - 1
    missing = [f"weibo:missing-{i}" for i in range(300)]  # with them, more ids than one SQLite query takes
    assert store.get_many(missing + [p.id for p in posts]) == {p.id: p for p in posts}
    assert store.get_many([posts[3].id, posts[3].id]) == {posts[3].id: posts[3]}
    assert store.get_many([]) == {}
    assert store.get(posts[3].id) == posts[3]
    assert store.get("news:nope") is None


def test_bad_queries_say_what_is_wrong(loaded):
    store = loaded.store
    with pytest.raises(ValueError, match="interval '1w'"):
        store.aggregate(interval="1w")
    with pytest.raises(StoreError, match="unknown dimension 'colour'"):
        store.aggregate(by=["colour"])
    naive = loaded.posts[0].published_at.replace(tzinfo=None)
    with pytest.raises(StoreError, match="naive datetime"):
        store.count(PostFilter(since=naive))
