"""The WeChat spider: Sogou search pages → article pages, against a local replay server."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest
from conftest import PAGES, Reply, read_posts, write_sources

from yuqing.crawlers.state import SourceState

W = PAGES / "wechat"
KW = "朝阳区 工会"


def search_path(query: str, page: int) -> str:
    return f"/weixin?type=2&query={quote(query)}&ie=utf8&page={page}"


def html(body: bytes | str) -> Reply:
    return Reply(body.encode() if isinstance(body, str) else body, content_type="text/html; charset=utf-8")


def serve(replay, shared_dir=None):
    replay.add(search_path(KW, 1), html((W / "search_p1.html").read_bytes()))
    replay.add(search_path(KW, 2), html((W / "search_p2.html").read_bytes()))
    link = (W / "link_1.html").read_text(encoding="utf-8").replace("http://127.0.0.1:PORT", replay.url)
    replay.add("/link?url=dn9a_-gY295K0Rci_xozVXfdMkSQTLW6cwJThYulHEtVjXrGTiVgS4pNomRYaLmiaB4l7TBxNqiQ&type=2"
               "&query=x&k=1", html(link))
    replay.add("/s?__biz=MzA3NjY3NDMyMA==&mid=2651234567&idx=1&sn=abcdef&chksm=1234",
               html((W / "article_1.html").read_bytes()))
    replay.add("/s/article-2", html((W / "article_2.html").read_bytes()))
    if shared_dir is not None:
        real = shared_dir / "wechat"
        replay.add("/s/expired", html((real / "wechatsogou_article_detail_expired.html").read_bytes()))
        replay.add("/s/iframe", html((real / "wechatsogou_article_detail_iframe.html").read_bytes()))
        replay.add("/s/old", html((real / "wechatsogou_article_detail_qqmusic.html").read_bytes()))


def source(base: str, **kw) -> dict:
    return {"name": "wx", "spider": "wechat", "keywords": [KW], "base_url": base, "lookback_hours": 6,
            "max_pages": 2, **kw}


def test_search_link_pages_articles_and_a_deleted_article(ctx, replay, crawl, tmp_path, shared_dir):
    serve(replay, shared_dir)
    write_sources(ctx.config_dir, source(replay.url))
    result = crawl("wx", "--out", str(tmp_path / "o.jsonl"))
    assert result.code == 0, result.stderr[-3000:]
    posts = {p.id: p for p in read_posts(tmp_path / "o.jsonl")}
    gone_id = "wechat:s" + hashlib.sha1("一篇已删除的文章|某自媒体".encode()).hexdigest()[:16]
    assert set(posts) == {"wechat:MzA3NjY3NDMyMA==_2651234567_1", "wechat:MzIyMjIyMjIyMg==_2650000002_1",
                          gone_id, "wechat:MzA4ODUzNjAxOA==_2671068104_7", "wechat:MzIwOTc2ODc1NQ==_2247484727_1"}
    art = posts["wechat:MzA3NjY3NDMyMA==_2651234567_1"]
    assert art.title == "朝阳区总工会：冬季送温暖活动启动"
    assert art.author.name == "朝阳工会" and art.author.id == "gh_0123456789ab"
    assert art.published_at.isoformat() == "2026-11-26T11:00:00+08:00"
    assert art.content == ("11月25日，朝阳区总工会启动2026年“冬季送温暖”活动。\n\n今年共筹集慰问金 300 万元，"
                           "覆盖环卫、快递、外卖等一线职工12000余人。\n图片\n咨询电话：12351")
    assert art.url == "http://mp.weixin.qq.com/s?__biz=MzA3NjY3NDMyMA==&mid=2651234567&idx=1&sn=abcdef#rd"
    gone = posts[gone_id]  # the article page says 链接已过期: the search result is kept, marked
    assert gone.title == "一篇已删除的文章"
    assert gone.content == "这篇文章已被发布者删除，但摘要还在\n（原文已不可访问：链接已过期）"
    assert gone.published_at.isoformat() == "2026-11-26T09:30:00+08:00"
    real = posts["wechat:MzA4ODUzNjAxOA==_2671068104_7"]  # a real 2018 article page
    assert real.title == "【视频】石榴花开" and real.author.name == "共产党员"
    assert real.published_at.isoformat() == "2018-03-20T11:19:59+08:00"
    assert real.content.startswith("“各民族要相互了解、相互尊重、")
    s = result.summary
    assert (s["items"], s["deleted"], s["errors"], s["status"]) == (5, 1, 0, "ok")
    assert not replay.requested("/weixin?type=2&query=x&page=3")  # max_pages 2

    # second run: page 1 is within the look-back, page 1 already holds nothing older → no page 2? It
    # holds only new items, so page 2 is read, and that page reaches the floor: its articles are not.
    replay.log.clear()
    second = crawl("wx", "--out", str(tmp_path / "o2.jsonl"))
    assert second.code == 0
    assert {p.id for p in read_posts(tmp_path / "o2.jsonl")} == {
        "wechat:MzA3NjY3NDMyMA==_2651234567_1", "wechat:MzIyMjIyMjIyMg==_2650000002_1", gone_id}
    assert replay.requested(search_path(KW, 2)) and not replay.requested("/s/iframe")
    assert SourceState.load(ctx.data_dir, "wx").cursor(f"keyword:{KW}")["newest_at"] == "2026-11-26T11:00:00+08:00"


def test_account_filter_and_truncated_article_keeps_the_search_result(ctx, replay, crawl, tmp_path):
    serve(replay)
    replay.add("/s/article-2", html((W / "article_2.html").read_bytes()[:900]))  # cut off mid-page
    write_sources(ctx.config_dir, {"name": "wx", "spider": "wechat", "accounts": ["朝阳工会"], "base_url": replay.url,
                                   "max_pages": 1})
    replay.add(search_path("朝阳工会", 1), html((W / "search_p1.html").read_bytes()))
    result = crawl("wx", "--out", str(tmp_path / "o.jsonl"))
    posts = {p.id: p for p in read_posts(tmp_path / "o.jsonl")}
    # only 朝阳工会's two articles; the truncated one survives as its search result
    assert len(posts) == 2 and result.summary["errors"] == 1 and result.code == 0
    kept = [p for p in posts.values() if p.id.startswith("wechat:s")][0]
    assert kept.title == "关于快递员权益保障的几点建议"
    assert kept.content == "近期多名快递员反映劳动强度大、社保缴纳不规范..."
    assert "/s/article-2" in result.summary["error_samples"][0]


def test_empty_result_page(ctx, replay, crawl, tmp_path):
    replay.add(search_path("某某某", 1), html((W / "search_empty.html").read_bytes()))
    write_sources(ctx.config_dir, source(replay.url, keywords=["某某某"]))
    result = crawl("wx", "--out", str(tmp_path / "o.jsonl"))
    assert result.code == 0 and result.summary["items"] == 0 and result.summary["status"] == "ok"


@pytest.mark.parametrize("kind", ["page", "redirect"])
def test_sogou_antispider_pauses_the_source(ctx, replay, crawl, tmp_path, shared_dir, kind):
    serve(replay, shared_dir)
    if kind == "page":
        block = (shared_dir / "wechat" / "wechatsogou_search-gaokao-gzh-error.html").read_bytes()
        replay.add(search_path(KW, 2), html(block))
    else:
        replay.add(search_path(KW, 2), Reply(b"", 302, "text/html",
                                             {"Location": "http://weixin.sogou.com/antispider/?from=%2fweixin"}))
    write_sources(ctx.config_dir, source(replay.url))
    result = crawl("wx", "--out", str(tmp_path / "o.jsonl"))
    assert result.code == 3
    assert result.summary["block_kind"] == "captcha"
    assert not replay.requested("/s/iframe")  # nothing of the blocked page is parsed as results
    assert SourceState.load(ctx.data_dir, "wx").paused_until() is not None
