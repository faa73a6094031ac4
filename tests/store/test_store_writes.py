"""Writing to a store, for each backend (SQLite always, Elasticsearch under the ``es`` mark):
idempotent upserts, the last copy of a post wins, a post that moves (time, labels, text) leaves
nothing of its old copy behind, and odd or unusual input reads back exactly — every answer
checked against the brute-force reference."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import store_reference as ref
from store_helpers import ingest

from yuqing.pipeline.core.record import Post
from yuqing.pipeline.store import open_store
from yuqing.pipeline.store.base import PostFilter, StoreError

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 10, 31, 23, 30, tzinfo=CST)  # half an hour before a local month boundary


def post(pid: str, when: datetime, **kw) -> Post:
    return Post(id=pid, platform=pid.split(":")[0], source=kw.pop("source", "t"),
                content=kw.pop("content", "朝阳区某公司拖欠工资"), published_at=when, **kw)


def assert_like_reference(store, posts: list[Post], tz, queries: list[str]) -> None:
    """Every kind of read on ``store`` answers as the reference does on ``posts``."""
    assert store.count() == len(posts)
    assert list(store.iter_range()) == ref.in_range(posts)
    assert store.get_many([p.id for p in posts] + ["news:absent"]) == {p.id: p for p in posts}
    for p in posts:
        assert store.get(p.id) == p
    for by, interval in [((), None), (("topic",), "1d"), (("unit_tree", "sentiment"), "1h"),
                         (("unit", "platform"), None), (("source",), "1d")]:
        assert store.aggregate(by=list(by), interval=interval) == ref.aggregate(posts, list(by), interval, tz), \
            (by, interval)
    for query in queries:
        for flt in (PostFilter(text=query), PostFilter(text=query, exclude_duplicates=True),
                    PostFilter(text=query, topics=("wage_arrears",)), PostFilter(text=query, units=("chaoyang",))):
            page = store.search(flt, limit=100)
            assert [p.id for p in page.posts] == ref.search(posts, flt), flt
            assert page.total == store.count(flt) == len(ref.search(posts, flt)), flt


def test_reingest_is_idempotent(backend_ctx, dataset_path):
    first = ingest(backend_ctx, dataset_path)
    store = open_store(backend_ctx)
    count, stats = store.count(), store.aggregate(by=["topic", "platform"], interval="1d")
    second = ingest(backend_ctx, dataset_path)
    assert first.stored == count > 300
    assert (second.stored, second.updated, second.duplicates) == (0, first.stored, first.duplicates)
    assert store.count() == count
    assert store.aggregate(by=["topic", "platform"], interval="1d") == stats


def test_empty_store_answers_empty(backend_ctx):
    store = open_store(backend_ctx)
    flt = PostFilter(text="拖欠工资", platforms=("weibo",))
    assert store.count() == 0 and store.count(flt) == 0
    assert store.search(flt).total == 0 and store.search(PostFilter()).posts == []
    assert store.aggregate(by=["topic"], interval="1d") == [] and store.aggregate() == []
    assert list(store.iter_range()) == [] and store.get("weibo:1") is None and store.get_many(["weibo:1"]) == {}
    store.refresh()
    with pytest.raises(ValueError, match="interval"):
        store.aggregate(interval="1w")
    with pytest.raises(StoreError, match="unknown dimension"):
        store.aggregate(by=["colour"])


def test_same_id_twice_in_one_call_last_wins(backend_ctx):
    store = open_store(backend_ctx)
    when = datetime(2026, 11, 3, 10, tzinfo=CST)
    batch = [post(f"weibo:{i}", when) for i in range(500)]
    batch.insert(300, post("weibo:7", when, content="第二个版本：工资已经补发"))
    res = store.upsert_many(batch)
    assert (res.created, res.updated) == (500, 1)
    store.refresh()
    assert store.count() == 500 and store.get("weibo:7").content == "第二个版本：工资已经补发"


def test_upserting_the_same_posts_again_changes_nothing(backend_ctx):
    store = open_store(backend_ctx)
    posts = [post(f"forum:{i}", T0 + timedelta(hours=i), topics=["wage_arrears"], org_units=["wangjing"],
                  org_path=["wangjing", "chaoyang"], metrics={"likes": i}) for i in range(6)]
    assert (store.upsert_many(posts).created, store.upsert_many([]).created) == (6, 0)
    store.refresh()
    res = store.upsert_many(posts)
    assert (res.created, res.updated, res.failed) == (0, 6, [])
    store.refresh()
    assert_like_reference(store, posts, backend_ctx.tz, ["拖欠工资", "朝阳"])


def test_posts_at_the_same_instant_are_ordered_by_id(backend_ctx):
    """Ties in time: newest-first search and oldest-first iteration order them by id, and
    paging through them in small batches neither skips nor repeats one."""
    store = open_store(backend_ctx)
    posts = [post(f"{platform}:{n}", T0 + timedelta(hours=n % 2)) for n in range(12)
             for platform in ("weibo", "news", "forum")]
    store.upsert_many(posts)
    store.refresh()
    assert_like_reference(store, posts, backend_ctx.tz, ["工资"])
    for batch_size in (1, 2, 5):
        assert [p.id for p in store.iter_range(batch_size=batch_size)] == [p.id for p in ref.in_range(posts)]
    flt = PostFilter(text="拖欠")
    walked = [p.id for off in range(0, len(posts), 4) for p in store.search(flt, limit=4, offset=off).posts]
    assert walked == ref.search(posts, flt)


def test_a_moved_post_leaves_nothing_of_its_old_copy(backend_ctx):
    """Re-sent with a new time (into another month), labels, text and cluster, a post is found
    only as it is now: old topics, units, words, buckets and position are gone."""
    store = open_store(backend_ctx)
    before = [post("weibo:1", T0, topics=["wage_arrears", "overtime"], org_units=["wangjing"],
                   org_path=["wangjing", "chaoyang"], sentiment={"label": "negative"}, metrics={"reposts": 5}),
              post("weibo:2", T0 + timedelta(minutes=20), content="外卖骑手社保断缴", topics=["social_insurance"]),
              post("news:3", T0 + timedelta(hours=2), title="工会服务", content="职工之家开放",
                   org_units=["jiuxianqiao"], org_path=["jiuxianqiao", "chaoyang"])]
    store.upsert_many(before)
    store.refresh()
    after = [post("weibo:1", T0 - timedelta(days=40), content="加班费没有按时发放", topics=["overtime"],
                  org_units=["jiuxianqiao"], org_path=["jiuxianqiao", "chaoyang"],
                  sentiment={"label": "neutral"}, metrics={"likes": 2}, dup_of="news:3"),
             post("news:3", T0 + timedelta(days=1), title="", content="工会驿站开放", source="other")]
    res = store.upsert_many(after)
    assert (res.created, res.updated) == (0, 2)
    store.refresh()
    now = ref.latest(before + after)
    assert_like_reference(store, now, backend_ctx.tz, ["拖欠工资", "加班费", "工会", "职工之家", "驿站"])
    assert store.count(PostFilter(units=("wangjing",))) == 0
    assert store.count(PostFilter(text="拖欠工资")) == 0 and store.count(PostFilter(text="服务")) == 0
    assert [p.id for p in store.iter_range()] == ["weibo:1", "weibo:2", "news:3"]


ODD = [  # (id, title, content): what crawlers bring in that a store might mangle
    ("weibo:a'b\"c", "", 'He said "拖欠工资" -- OR NOT * NEAR(a b) ^x: AND 工资'),
    ("news:https://example.com/a/b?c=1&d=%20e#f", "【标题】带符号 & < > \\ /", "工资 报道\t制表\n换行\r\n回车"),
    ("forum:中文编号-１２", "", "ＡＢＣ全角字母１２３和半角abc123 工资"),
    ("tieba:emoji", "", "🙂🙂拖欠工资😡😡 [哭] #话题# @某人 https://t.cn/abc"),
    ("wechat:zero\u200bwidth", "", "零\u200b宽\u200d字符\ufeff工资"),
    ("weibo:rtl", "", "مرحبا 工资 שלום"),
    ("weibo:combining", "", "cafe\u0301 café naïve 工资"),
    ("weibo:rare", "", "𠀀𠀁𪚥 生僻字 工资"),
    ("weibo:long", "", "拖欠工资。" * 4000),
    ("news:title-only", "只有标题的工资新闻", " "),
    ("weibo:NUL", "", "控制\u0001字符\u007f工资"),
]
ODD_QUERIES = ["工资", '"拖欠工资"', "OR", "NOT", "NEAR", "*", "AND 工资", "abc", "ＡＢＣ", "１２３", "😡", "🙂 工资",
               "[哭]", "https://t.cn/abc", "café", "cafe", "𠀀", "生僻字", "مرحبا", "零宽", "制表", "", "  ", "!!!",
               "a'b", "标题", "%20"]


def test_odd_ids_and_text_read_back_exactly(backend_ctx):
    store = open_store(backend_ctx)
    posts = [post(pid, T0 + timedelta(minutes=i), title=title, content=content, topics=["wage_arrears"],
                  org_units=["wangjing"], org_path=["wangjing", "chaoyang"])
             for i, (pid, title, content) in enumerate(ODD)]
    res = store.upsert_many(posts)
    assert (res.created, res.failed) == (len(ODD), [])
    store.refresh()
    assert_like_reference(store, posts, backend_ctx.tz, ODD_QUERIES)
    assert store.count(PostFilter(text="工资")) == len(ODD)
    assert store.count(PostFilter(text="!!!")) == 0  # nothing searchable in the query: no hits


def test_odd_label_values_group_exactly(backend_ctx):
    store = open_store(backend_ctx)
    odd = ["单位 空格", "unit'quote", 'unit"dq', "unit%like_", "ＵＮＩＴ", "unit,comma", "单位/斜杠"]
    posts = [post(f"weibo:{i}", T0 + timedelta(hours=i), org_units=[u], org_path=[u, "chaoyang"],
                  topics=[f"topic {u}"], source=f"source {u}") for i, u in enumerate(odd)]
    store.upsert_many(posts)
    store.refresh()
    assert_like_reference(store, posts, backend_ctx.tz, ["工资"])
    for u in odd:
        assert store.count(PostFilter(units=(u,))) == 1 and store.count(PostFilter(topics=(f"topic {u}",))) == 1
        assert store.count(PostFilter(sources=(f"source {u}",))) == 1
    assert store.count(PostFilter(units=("unit%",))) == 0  # values are matched exactly, not as patterns
