"""The Discuz! spider: GBK boards and threads, pagination, replies, deleted posts, cursor, blocks."""

from __future__ import annotations

from conftest import PAGES, Reply, read_posts, write_sources

from yuqing.crawlers.state import SourceState

D = PAGES / "discuz"


def board(page: int) -> str:
    return f"/forum.php?mod=forumdisplay&fid=2&orderby=lastpost&filter=lastpost&page={page}"


def thread(tid: int, page: int) -> str:
    return f"/forum.php?mod=viewthread&tid={tid}&ordertype=1&page={page}"


def gbk(name: str) -> Reply:
    # no charset in the header: the page's <meta charset=gbk> must be honoured
    return Reply((D / name).read_bytes(), content_type="text/html")


def serve(replay):
    replay.add(board(1), gbk("forumdisplay_p1.html"))
    replay.add(board(2), gbk("forumdisplay_p2.html"))
    replay.add(thread(100, 1), gbk("viewthread_100.html"))
    replay.add(thread(101, 1), gbk("viewthread_101_p1.html"))
    replay.add(thread(101, 2), gbk("viewthread_101_p2.html"))
    replay.add(thread(102, 1), gbk("viewthread_102.html"))
    replay.add(thread(103, 1), gbk("viewthread_103.html"))


def source(base: str, **kw) -> dict:
    return {"name": "bbs", "spider": "discuz", "boards": ["2"], "base_url": base, "site": "bbs.chaoyang.test",
            "lookback_hours": 6, **kw}


def test_gbk_board_threads_replies_deleted_posts_and_cursor(ctx, replay, crawl, tmp_path):
    serve(replay)
    write_sources(ctx.config_dir, source(replay.url))
    result = crawl("bbs", "--out", str(tmp_path / "o.jsonl"))
    assert result.code == 0, result.stderr[-3000:]
    posts = {p.id: p for p in read_posts(tmp_path / "o.jsonl")}
    site = "forum:bbs.chaoyang.test-"
    assert set(posts) == {site + pid for pid in ("9001", "1001", "1002", "1003", "1005", "2001", "2002", "3001")}
    opening = posts[site + "1001"]
    assert opening.title == "朝阳某物业公司拖欠保安工资"
    assert opening.content == "我们小区八名保安，九月到现在工资没发。\n物业说开发商没给钱。"  # no "edited by" stamp
    assert opening.author.id == "501" and opening.author.name == "保安老张"
    assert opening.published_at.isoformat() == "2026-11-24T08:00:00+08:00"
    assert (opening.metrics.comments, opening.metrics.reads) == (4, 321)
    assert opening.thread_id == "forum:bbs.chaoyang.test-t101" and opening.reply_to is None
    quoted = posts[site + "1003"]
    assert quoted.content == "顶一下，我们也是"  # the quoted post is not repeated
    assert quoted.published_at.isoformat() == "2026-11-25T20:00:00+08:00"  # 昨天 20:00
    assert quoted.reply_to == site + "1001" and quoted.title == ""
    assert posts[site + "1005"].published_at.isoformat() == "2026-11-26T11:55:00+08:00"  # span title
    assert posts[site + "2002"].published_at.isoformat() == "2026-11-26T11:30:00+08:00"  # 半小时前
    assert posts[site + "2001"].content == "公司天天加班到九点，没有加班费 [怒]"
    assert posts[site + "1002"].content == "去劳动监察大队投诉"  # page 2 of the thread
    assert result.summary["deleted"] == 1 and result.summary["errors"] == 0
    assert result.summary["pages"] == 7
    state = SourceState.load(ctx.data_dir, "bbs")
    assert state.cursor("board:2")["newest_at"] == "2026-11-26T11:55:00+08:00"

    replay.log.clear()
    second = crawl("bbs", "--out", str(tmp_path / "o2.jsonl"))
    assert second.code == 0
    # floor 05:55: the two active threads' first pages; the old sticky thread, page 2 of the board
    # and thread 101's older page are not fetched again
    assert {p.id for p in read_posts(tmp_path / "o2.jsonl")} == {site + "1005", site + "2002"}
    assert sorted(replay.log) == sorted([board(1), board(2), thread(101, 1), thread(102, 1)]) or \
        sorted(replay.log) == sorted([board(1), thread(101, 1), thread(102, 1)])
    assert thread(101, 2) not in replay.log and thread(103, 1) not in replay.log


def test_truncated_board_page_is_an_error_not_a_crash(ctx, replay, crawl, tmp_path):
    cut = gbk("forumdisplay_p1.html")
    cut.body = cut.body[:1200]  # the connection dropped mid-page: rows parse, the next link is lost
    replay.add(board(1), cut)
    write_sources(ctx.config_dir, source(replay.url))
    result = crawl("bbs", "--out", str(tmp_path / "o.jsonl"))
    assert result.summary["status"] == "failed", result.summary["error_samples"]  # nothing collected
    assert result.code == 1
    assert result.summary["errors"] == 1
    assert board(1).split("?")[1] in result.summary["error_samples"][0]
    assert "truncated page" in result.summary["error_samples"][0]


def test_429_and_login_page_pause_the_source(ctx, replay, crawl, tmp_path):
    serve(replay)
    replay.add(board(2), Reply(b"Too Many Requests", 429, "text/plain"))
    write_sources(ctx.config_dir, source(replay.url))
    result = crawl("bbs", "--out", str(tmp_path / "o.jsonl"))
    assert result.code == 3 and result.summary["block_kind"] == "ban"
    assert "429" in result.summary["block_reason"]
    first_pause = SourceState.load(ctx.data_dir, "bbs").paused_until()

    replay.add(board(1), gbk("nopermission.html"))
    forced = crawl("bbs", "--out", str(tmp_path / "o2.jsonl"), "--force")
    assert forced.code == 3 and forced.summary["block_kind"] == "login"
    state = SourceState.load(ctx.data_dir, "bbs")
    assert state.data["consecutive_blocks"] == 2
    assert state.paused_until() > first_pause  # the pause doubles
