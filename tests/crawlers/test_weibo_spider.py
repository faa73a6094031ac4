"""The Weibo spider end to end: ``yuqing crawl`` in a child process against a local replay server."""

from __future__ import annotations

import json

import pytest
from conftest import PAGES, Reply, read_posts, write_sources

from yuqing.crawlers.parsers.weibo import search_container
from yuqing.crawlers.state import SourceState

W = PAGES / "weibo"
KW = "朝阳 欠薪"


def search_path(keyword: str, page: int) -> str:
    return f"/api/container/getIndex?containerid={search_container(keyword)}&page_type=searchall&page={page}"


def weibo_source(base: str, **kw) -> dict:
    return {"name": "wb", "spider": "weibo", "keywords": [KW], "base_url": base, "comments_min": 100,
            "lookback_hours": 6, **kw}


def serve_search(replay, first=W / "search_p1.json"):
    replay.add(search_path(KW, 1), first)
    replay.add(search_path(KW, 2), W / "search_p2.json")
    replay.add(search_path(KW, 3), W / "search_end.json")
    replay.add("/statuses/extend?id=5001000000000002", W / "extend_5001000000000002.json")
    replay.add("/comments/hotflow?id=5001000000000002&mid=5001000000000002&max_id_type=0",
               W / "hotflow_5001000000000002.json")


def by_id(posts):
    return {p.id: p for p in posts}


def test_search_pages_long_text_comments_and_every_time_format(ctx, replay, crawl, tmp_path):
    serve_search(replay)
    write_sources(ctx.config_dir, weibo_source(replay.url))
    out = tmp_path / "out.jsonl"
    result = crawl("wb", "--out", str(out))
    assert result.code == 0, result.stderr[-3000:]
    posts = by_id(read_posts(out))
    assert set(posts) == {f"weibo:500100000000000{i}" for i in range(1, 8)} | {"weibo:c6001", "weibo:c6002"}
    # server time is 2026-11-26 12:00 Beijing; every Weibo time format resolves against it
    times = {pid[-1]: posts[pid].published_at.isoformat() for pid in posts if pid.startswith("weibo:5")}
    assert times == {
        "1": "2026-11-26T12:00:00+08:00",      # 刚刚
        "2": "2026-11-26T11:55:00+08:00",      # 5分钟前
        "3": "2026-11-26T08:31:00+08:00",      # 今天 08:31
        "4": "2026-11-25T21:10:00+08:00",      # 昨天 21:10
        "5": "2026-11-20T00:00:00+08:00",      # 11-20
        "6": "2025-11-20T00:00:00+08:00",      # 2025-11-20
        "7": "2025-11-22T10:15:00+08:00",      # Sat Nov 22 10:15:00 +0800 2025
    }
    first = posts["weibo:5001000000000001"]
    assert first.content == "朝阳区某工地@老王 等十几名工人被拖欠工资三个月[怒]\n求关注！#朝阳欠薪#"
    assert first.author.id == "1001" and first.author.name == "朝阳打工人"
    assert first.metrics.reposts == 12 and first.metrics.comments == 30 and first.metrics.likes == 88
    assert first.location == "北京"
    assert first.url == "https://weibo.com/1001/B000001"
    long = posts["weibo:5001000000000002"]
    assert long.content == ("讨薪无门，劳动监察电话打不通。\n我们一共二十三人，在朝阳区将台乡的项目干了四个月，"
                            "老板只发了一个月工资。\n\n希望有关部门关注！[哭]")
    assert (long.metrics.reposts, long.metrics.comments, long.metrics.likes) == (4, 251, 10)
    comment = posts["weibo:c6001"]
    assert comment.reply_to == "weibo:5001000000000002" and comment.thread_id == "weibo:5001000000000002"
    assert comment.content == "同样被欠薪，一起维权[加油]" and comment.metrics.likes == 7
    assert comment.published_at.isoformat() == "2026-11-26T11:57:00+08:00"
    assert "weibo:5001000000000009" not in posts  # the deleted post is skipped
    s = result.summary
    assert (s["items"], s["new"], s["errors"], s["bans"], s["status"]) == (9, 9, 0, 0, "ok")
    assert s["pages"] == 5  # 3 search pages (the third the empty end), the long text, the comments
    assert replay.requested(search_path(KW, 3))


def test_second_run_reads_back_only_to_the_lookback_and_advances_the_cursor(ctx, replay, crawl, tmp_path):
    serve_search(replay)
    write_sources(ctx.config_dir, weibo_source(replay.url))
    assert crawl("wb", "--out", str(tmp_path / "1.jsonl")).code == 0
    state = SourceState.load(ctx.data_dir, "wb")
    assert state.cursor(f"keyword:{KW}")["newest_at"] == "2026-11-26T12:00:00+08:00"
    assert state.cursor(f"keyword:{KW}")["newest_id"] == "weibo:5001000000000001"

    replay.log.clear()
    replay.date = "Thu, 26 Nov 2026 04:30:00 GMT"  # half an hour later
    replay.add(search_path(KW, 1), W / "search_p1_run2.json")
    second = crawl("wb", "--out", str(tmp_path / "2.jsonl"))
    assert second.code == 0, second.stderr[-3000:]
    posts = by_id(read_posts(tmp_path / "2.jsonl"))
    # floor = 12:00 − 6 h look-back: the new post, the refreshed ones since 06:00, their comments
    assert set(posts) == {"weibo:5001000000000010", "weibo:5001000000000001", "weibo:5001000000000002",
                          "weibo:5001000000000003", "weibo:c6001", "weibo:c6002"}
    assert posts["weibo:5001000000000001"].metrics.reposts == 99  # refreshed metrics
    assert posts["weibo:5001000000000001"].published_at.isoformat() == "2026-11-26T12:00:00+08:00"
    assert not replay.requested(search_path(KW, 2))  # page 1 already reached the floor
    state = SourceState.load(ctx.data_dir, "wb")
    assert state.cursor(f"keyword:{KW}")["newest_at"] == "2026-11-26T12:30:00+08:00"
    assert [r["items"] for r in state.runs] == [9, 6]


def test_since_overrides_the_cursor(ctx, replay, crawl, tmp_path):
    serve_search(replay)
    write_sources(ctx.config_dir, weibo_source(replay.url, comments_min=None))
    result = crawl("wb", "--out", str(tmp_path / "o.jsonl"), "--since", "2026-11-26T08:00:00+08:00")
    assert result.code == 0
    assert sorted(p.id for p in read_posts(tmp_path / "o.jsonl")) == [
        "weibo:5001000000000001", "weibo:5001000000000002", "weibo:5001000000000003"]
    assert not replay.requested(search_path(KW, 2))


def test_real_timeline_capture_with_since_id_paging_and_long_texts(ctx, replay, crawl, tmp_path, shared_dir):
    api = shared_dir / "weibo_api"
    base = "/api/container/getIndex?containerid=1076036279793937"
    replay.add(base, api / "bison_getIndex_user_timeline_6279793937.json")
    replay.add(base + "&since_id=4646131823281332", api / "bison_getIndex_error_ok0.json")
    for pid in ("4645748019299849", "4649031014551911"):
        replay.add(f"/statuses/extend?id={pid}", api / f"bison_statuses_extend_{pid}.json")
    for pid in ("4647212359090479", "4646569834450357", "4646502071534367", "4646192191903210"):
        replay.add(f"/statuses/extend?id={pid}", Reply(b"", 500, "text/plain"))  # long text unavailable
    write_sources(ctx.config_dir, {"name": "ak", "spider": "weibo", "accounts": ["6279793937"],
                                   "base_url": replay.url})
    result = crawl("ak", "--out", str(tmp_path / "ak.jsonl"))
    assert result.code == 0, result.stderr[-3000:]
    posts = by_id(read_posts(tmp_path / "ak.jsonl"))
    assert len(posts) == 10
    notice = posts["weibo:4649031014551911"]
    assert notice.content.startswith("#明日方舟# 06月17日16:00闪断更新公告\n\n感谢您对《明日方舟》的关注与支持。")
    assert notice.content.endswith("*本次维护不排除延迟开启的可能，如若延迟则请关注官方发布的具体开服时间*")
    assert (notice.metrics.reposts, notice.metrics.comments, notice.metrics.likes) == (79, 654, 20111)
    assert notice.published_at.isoformat() == "2021-06-17T11:00:31+08:00"
    # a long text that could not be fetched keeps the truncated text instead of being lost
    assert posts["weibo:4647212359090479"].content
    assert result.summary["errors"] == 4 and result.summary["status"] == "partial"
    assert replay.requested(base + "&since_id=4646131823281332")
    # the failed long texts hold the cursor back (nothing is skipped next time)
    assert SourceState.load(ctx.data_dir, "ak").cursor("account:6279793937") is None


@pytest.mark.parametrize("reply,kind", [
    (Reply(b"", 432, "text/html"), "ban"),
    (Reply(b"", 302, "text/html", {"Location": "https://passport.weibo.cn/signin/login?entry=mweibo"}), "login"),
    (Reply(json.dumps({"ok": -100, "url": "https://passport.weibo.cn/signin/welcome"}).encode()), "login"),
])
def test_block_on_page_two_pauses_the_source_and_stops(ctx, replay, crawl, tmp_path, reply, kind):
    serve_search(replay)
    replay.add(search_path(KW, 2), reply)
    write_sources(ctx.config_dir, weibo_source(replay.url, comments_min=None))
    result = crawl("wb", "--out", str(tmp_path / "o.jsonl"))
    assert result.code == 3, result.stderr[-3000:]
    assert result.summary["status"] == "blocked" and result.summary["block_kind"] == kind
    assert result.summary["bans"] == 1
    assert not replay.requested(search_path(KW, 3))  # stopped, not hammering
    state = SourceState.load(ctx.data_dir, "wb")
    assert state.cursor(f"keyword:{KW}") is None  # incomplete walk: the cursor does not move
    assert state.paused_until() is not None and state.data["pause_kind"] == kind
    events = [json.loads(x) for x in (ctx.data_dir / "crawl" / "health-events.jsonl").read_text().splitlines()]
    assert events[-1]["status"] == "paused" and "wb" in events[-1]["subject"]

    replay.log.clear()
    again = crawl("wb", "--out", str(tmp_path / "o2.jsonl"))
    assert again.code == 3 and again.summary["status"] == "skipped"
    assert replay.log == []  # a paused source sends nothing


def test_malformed_page_is_logged_and_skipped_other_targets_go_on(ctx, replay, crawl, tmp_path):
    serve_search(replay)
    replay.add(search_path("坏页面", 1), W / "malformed.json")
    write_sources(ctx.config_dir, weibo_source(replay.url, keywords=[KW, "坏页面"], comments_min=None))
    result = crawl("wb", "--out", str(tmp_path / "o.jsonl"))
    assert result.code == 0
    assert result.summary["status"] == "partial" and result.summary["errors"] == 1
    assert "page_type=searchall&page=1" in result.summary["error_samples"][0]
    assert "malformed JSON" in result.summary["error_samples"][0]
    assert len(read_posts(tmp_path / "o.jsonl")) == 7
    state = SourceState.load(ctx.data_dir, "wb")
    assert state.cursor(f"keyword:{KW}") is not None
    assert state.cursor("keyword:坏页面") is None


def test_cookie_pool_skips_a_dead_cookie_and_check_reports_it(ctx, replay, crawl, tmp_path):
    def by_cookie(handler):
        if "SUB=dead" in (handler.headers.get("Cookie") or ""):
            return Reply(b"", 302, "text/html", {"Location": "https://passport.weibo.cn/signin/login"})
        return Reply((W / "search_p1.json").read_bytes())

    serve_search(replay)
    replay.add_fn(search_path(KW, 1), by_cookie)
    cookies = tmp_path / "cookies.yaml"
    cookies.write_text("weibo:\n  - 'SUB=dead; SUBP=x'\n  - 'SUB=good; SUBP=y'\n", encoding="utf-8")
    settings = ctx.config_dir / "settings.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + f"\ncrawl:\n  cookies_file: {cookies}\n",
                        encoding="utf-8")
    write_sources(ctx.config_dir, weibo_source(replay.url, comments_min=None))
    result = crawl("wb", "--out", str(tmp_path / "o.jsonl"))
    assert result.code == 0, result.stderr[-3000:]
    assert result.summary["items"] == 7 and result.summary["bans"] == 1
    assert SourceState.load(ctx.data_dir, "wb").data["cookies"]["weibo#0"]["status"] == "login"

    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "yuqing", "--config-dir", str(ctx.config_dir),
                           "--data-dir", str(ctx.data_dir), "sources", "check", "wb", "--json"],
                          capture_output=True, text=True, timeout=60)
    checks = json.loads(proc.stdout)
    assert proc.returncode == 3
    assert [(c["cookie"].split(" ")[0], c["verdict"]) for c in checks] == [("weibo#0", "login"), ("weibo#1", "ok")]
    assert "SUB=good" not in proc.stdout  # cookie values are never printed



def test_account_through_weibo_com_ajax(ctx, replay, crawl, tmp_path):
    replay.add("/ajax/statuses/mymblog?uid=2418542712&page=1&feature=0", W / "ajax_mymblog_p1.json")
    replay.add("/ajax/statuses/mymblog?uid=2418542712&page=2&feature=0", W / "ajax_mymblog_p2.json")
    replay.add("/ajax/statuses/longtext?id=PbCdEfGh2", W / "ajax_longtext_PbCdEfGh2.json")
    write_sources(ctx.config_dir, {"name": "cyzgh", "spider": "weibo", "accounts": ["2418542712"],
                                   "weibo_api": "ajax", "base_url": replay.url})
    result = crawl("cyzgh", "--out", str(tmp_path / "o.jsonl"))
    assert result.code == 0, result.stderr[-3000:]
    posts = by_id(read_posts(tmp_path / "o.jsonl"))
    notice = posts["weibo:5002000000000002"]
    assert notice.content == "【通知】2026年职工冬季送温暖活动安排\n一、时间：12月1日至12月31日\n二、对象：环卫、快递、外卖等一线职工"
    assert notice.url == "https://weibo.com/2418542712/PbCdEfGh2" and notice.location == "北京"
    assert (notice.metrics.reposts, notice.metrics.comments, notice.metrics.likes) == (15, 4, 60)
    assert posts["weibo:5002000000000001"].content == "12351职工服务热线24小时在线[心]"
    assert result.summary["status"] == "ok" and result.summary["pages"] == 3


def test_comment_pages_follow_max_id(ctx, replay, crawl, tmp_path):
    serve_search(replay)
    hot = "/comments/hotflow?id=5001000000000002&mid=5001000000000002"
    replay.add(hot + "&max_id_type=0", W / "hotflow_paged_p1.json")
    replay.add(hot + "&max_id=138404898521034&max_id_type=0", W / "hotflow_paged_p2.json")
    write_sources(ctx.config_dir, weibo_source(replay.url, max_pages=1))
    result = crawl("wb", "--out", str(tmp_path / "o.jsonl"))
    assert result.code == 0, result.stderr[-3000:]
    posts = by_id(read_posts(tmp_path / "o.jsonl"))
    # max_pages 1 bounds the listing, and the comment pages too
    assert "weibo:c6003" not in posts and not replay.requested(hot + "&max_id=")
    second = crawl("wb", "--out", str(tmp_path / "o2.jsonl"), "--max-pages", "2", "--since", "2026-11-25")
    posts = by_id(read_posts(tmp_path / "o2.jsonl"))
    assert posts["weibo:c6003"].published_at.isoformat() == "2026-11-25T22:00:00+08:00"
    assert posts["weibo:c6003"].reply_to == "weibo:5001000000000002"
    assert second.code == 0
