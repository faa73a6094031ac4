"""The Tieba spider: lists hidden in HTML comments, thread pages read backwards, cursor, captcha."""

from __future__ import annotations

from urllib.parse import quote

from conftest import PAGES, Reply, read_posts, write_sources

from yuqing.crawlers.state import SourceState

T = PAGES / "tieba"
KW = "朝阳区"


def forum(page: int, kw: str = KW) -> str:
    return f"/f?kw={quote(kw)}&ie=utf-8&pn={50 * (page - 1)}"


def html(path) -> Reply:
    return Reply(path.read_bytes(), content_type="text/html; charset=utf-8")


def serve(replay):
    replay.add(forum(1), html(T / "forum_p1.html"))
    replay.add(forum(2), html(T / "forum_p2.html"))
    replay.add("/p/2000?pn=1", html(T / "thread_2000.html"))
    replay.add("/p/2001?pn=1", html(T / "thread_2001_p1.html"))
    replay.add("/p/2001?pn=2", html(T / "thread_2001_p2.html"))
    replay.add("/p/2002?pn=1", html(T / "thread_2002.html"))
    replay.add("/p/2003?pn=1", html(T / "thread_2003.html"))


def source(base: str, **kw) -> dict:
    return {"name": "tb", "spider": "tieba", "boards": [KW], "base_url": base, "lookback_hours": 6, **kw}


def test_forum_list_in_comments_threads_backwards_and_cursor(ctx, replay, crawl, tmp_path):
    serve(replay)
    write_sources(ctx.config_dir, source(replay.url))
    result = crawl("tb", "--out", str(tmp_path / "o.jsonl"))
    assert result.code == 0, result.stderr[-3000:]
    posts = {p.id: p for p in read_posts(tmp_path / "o.jsonl")}
    assert set(posts) == {f"tieba:{i}" for i in (10001, 30001, 30002, 30035, 30036, 40001, 40002, 50001)}
    opening = posts["tieba:30001"]
    assert opening.title == "朝阳大悦城附近餐馆拖欠服务员工资"
    assert opening.content == "老板说下个月一起发，已经拖了两个月[泪]"
    assert opening.author.id == "7001" and opening.author.name == "小刘同学"
    assert opening.published_at.isoformat() == "2026-11-24T10:00:00+08:00"
    assert opening.metrics.comments == 5 and opening.thread_id == "tieba:t2001"
    last = posts["tieba:30036"]
    assert last.reply_to == "tieba:30001" and last.title == ""
    assert last.published_at.isoformat() == "2026-11-26T11:40:00+08:00"
    assert result.summary["deleted"] == 1  # the folded floor
    assert replay.requested("/p/2001?pn=2") and replay.requested(forum(2))

    replay.log.clear()
    replay.date = "Thu, 26 Nov 2026 04:30:00 GMT"
    second = crawl("tb", "--out", str(tmp_path / "o2.jsonl"))
    assert second.code == 0
    assert {p.id for p in read_posts(tmp_path / "o2.jsonl")} == {"tieba:30036", "tieba:40001", "tieba:40002"}
    # the active long thread costs one page (its last); old and pinned threads are not opened
    assert "/p/2001?pn=1" not in replay.log and "/p/2003?pn=1" not in replay.log
    assert "/p/2000?pn=1" not in replay.log
    assert SourceState.load(ctx.data_dir, "tb").cursor(f"board:{KW}")["newest_at"] == "2026-11-26T11:40:00+08:00"


def test_real_thread_page(ctx, replay, crawl, tmp_path, shared_dir):
    listing = (T / "forum_p2.html").read_text(encoding="utf-8").replace("2003", "9117905169")
    replay.add(forum(1, "盗墓笔记"), Reply(listing.encode(), content_type="text/html; charset=utf-8"))
    replay.add("/p/9117905169?pn=1", html(shared_dir / "tieba" / "mediacrawler_note_detail.html"))
    # 楼中楼 of the floor with 123 replies (the real fragment: 10 replies on page 1 of 2)
    replay.add("/p/comment?tid=9117905169&pid=150719088158&pn=1",
               html(shared_dir / "tieba" / "mediacrawler_note_sub_comments.html"))
    write_sources(ctx.config_dir, source(replay.url, boards=["盗墓笔记"], max_pages=1, comments_min=100))
    result = crawl("tb", "--out", str(tmp_path / "o.jsonl"), "--since", "2024-01-01")
    assert result.code == 0, result.stderr[-3000:]
    posts = {p.id: p for p in read_posts(tmp_path / "o.jsonl")}
    replies = [p for p in posts.values() if p.reply_to == "tieba:150719088158"]
    assert len(replies) == 10
    reply = posts["tieba:150726506822"]
    assert reply.content == "陈芋汐水花也不小" and reply.author.name == "可爱的搬运工94"
    assert reply.published_at.isoformat() == "2024-08-06T22:12:00+08:00"
    assert posts["tieba:150726504693"].content == "[表情]"  # emoticons only
    assert "/p/comment?tid=9117905169&pid=150719088158&pn=2" not in replay.log  # max_pages 1
    assert len(posts) - len(replies) == 29  # 31 floors: ads skipped, a folded floor counted as deleted
    first = posts["tieba:150719031818"]  # the opening floor is a picture: kept with its title
    assert first.title == "对于一个父亲来说，这个女儿14岁就死了" and first.content == ""
    second = posts["tieba:150719088158"]
    assert second.author.name == "jkl028" and second.metrics.comments == 123
    assert second.published_at.isoformat() == "2024-08-05T17:07:00+08:00"
    assert second.reply_to == "tieba:150719031818"


def test_baidu_captcha_redirect_pauses(ctx, replay, crawl, tmp_path):
    serve(replay)
    replay.add("/p/2002?pn=1", Reply(b"", 302, "text/html", {
        "Location": "https://wappass.baidu.com/static/captcha/tuxing.html?ak=x&backurl=https%3A%2F%2Ftieba.baidu.com"}))
    write_sources(ctx.config_dir, source(replay.url))
    result = crawl("tb", "--out", str(tmp_path / "o.jsonl"))
    assert result.code == 3 and result.summary["block_kind"] == "captcha"
    assert SourceState.load(ctx.data_dir, "tb").cursor(f"board:{KW}") is None
