"""The feed spider: RSS/Atom (GB2312 too), incremental across runs, and what a broken feed does."""

from __future__ import annotations

from conftest import PAGES, Reply, read_posts, write_sources

from yuqing.crawlers.state import SourceState

R = PAGES / "rss"


def xml(path) -> Reply:
    return Reply(path.read_bytes(), content_type="application/rss+xml")


def test_gb2312_feed_exact_records_and_second_run(ctx, replay, crawl, tmp_path):
    replay.add("/rss/news.xml", xml(R / "chaoyang_news.xml"), xml(R / "chaoyang_news_run2.xml"))
    write_sources(ctx.config_dir, {"name": "cy", "spider": "feed", "feeds": ["rss/news.xml"], "base_url": replay.url,
                                   "lookback_hours": 1})
    result = crawl("cy", "--out", str(tmp_path / "o.jsonl"))
    assert result.code == 0, result.stderr[-3000:]
    posts = read_posts(tmp_path / "o.jsonl")
    assert [(p.title, p.published_at.isoformat()) for p in posts] == [
        ("区总工会开展职工法律援助进园区活动", "2026-11-26T10:30:00+08:00"),
        ("朝阳区人社局：欠薪线索可通过12345反映", "2026-11-25T16:00:00+00:00"),
        ("旧闻：2025年职工运动会闭幕", "2025-10-08T09:00:00+08:00"),   # local-style date, Beijing time
    ]
    assert posts[0].content == "11月26日，区总工会法律援助团队走进望京科技园，为200余名职工提供咨询。"
    assert posts[0].url == "http://news.chaoyang.test/a/1001.html" and posts[0].author.name == "朝阳报"
    assert all(p.platform == "news" and p.id.startswith("news:") for p in posts)
    assert SourceState.load(ctx.data_dir, "cy").cursor("feed:rss/news.xml")["newest_at"] == "2026-11-26T10:30:00+08:00"

    second = crawl("cy", "--out", str(tmp_path / "o2.jsonl"))
    # floor = 10:30 − 1 h: the new entry and the one inside the look-back
    assert [p.title for p in read_posts(tmp_path / "o2.jsonl")] == [
        "望京街道成立新就业形态劳动者工会联合会", "区总工会开展职工法律援助进园区活动"]
    assert second.summary["items"] == 2


def test_real_atom_and_gb2312_captures(ctx, replay, crawl, tmp_path, shared_dir):
    rss = shared_dir / "rss"
    replay.add("/atom.xml", xml(rss / "bison_atom_ruanyifeng.xml"))
    replay.add("/w3cn.xml", xml(rss / "chardet_gb2312_rss2_w3cn.org.xml"))
    replay.add("/cnblog.xml", xml(rss / "chardet_gb2312_rss092_cnblog.org.xml"))
    write_sources(ctx.config_dir, {"name": "blogs", "spider": "feed", "base_url": replay.url,
                                   "feeds": ["/atom.xml", "/w3cn.xml", "/cnblog.xml"]})
    result = crawl("blogs", "--out", str(tmp_path / "o.jsonl"))
    assert result.code == 0, result.stderr[-3000:]
    posts = read_posts(tmp_path / "o.jsonl")
    assert len(posts) == 3 + 20 + 16
    by_title = {p.title: p for p in posts}
    atom = by_title["科技爱好者周刊（第 255 期）：对待 AI 的正确态度"]
    assert atom.author.name == "阮一峰" and atom.published_at.isoformat() == "2023-05-19T00:12:46+00:00"
    w3 = by_title["如何以及何时使用sIFR"]
    assert w3.author.name == "阿宏" and w3.published_at.isoformat() == "2005-05-28T16:05:36+08:00"
    # RSS 0.92 entries carry no date: they take the time the feed was fetched (the server's Date)
    cn = [p for p in posts if p.url.startswith("http://www.cnblog.org/")]
    assert len(cn) == 16 and {p.published_at.isoformat() for p in cn} == {"2026-11-26T04:00:00+00:00"}


def test_html_instead_of_feed_and_403(ctx, replay, crawl, tmp_path):
    replay.add("/a.xml", Reply(b"<html><body>502 Bad Gateway</body></html>", content_type="text/html"))
    replay.add("/b.xml", xml(R / "chaoyang_news.xml"))
    write_sources(ctx.config_dir, {"name": "cy", "spider": "feed", "feeds": ["/a.xml", "/b.xml"], "base_url": replay.url})
    result = crawl("cy", "--out", str(tmp_path / "o.jsonl"))
    assert result.code == 0 and result.summary["status"] == "partial" and result.summary["items"] == 3
    assert "/a.xml" in result.summary["error_samples"][0] and "not a feed" in result.summary["error_samples"][0]

    replay.add("/b.xml", Reply(b"Forbidden", 403, "text/plain"))
    blocked = crawl("cy", "--out", str(tmp_path / "o2.jsonl"))
    assert blocked.code == 3 and blocked.summary["block_kind"] == "ban"


def test_requests_go_through_the_configured_proxy(ctx, replay, crawl, tmp_path):
    # the replay server doubles as an HTTP proxy: it sees the absolute URL of an unreachable host
    replay.add("http://news.chaoyang.test/rss.xml", xml(R / "chaoyang_news.xml"))
    write_sources(ctx.config_dir, {"name": "cy", "spider": "feed", "feeds": ["http://news.chaoyang.test/rss.xml"]})
    result = crawl("cy", "--out", str(tmp_path / "o.jsonl"), env={"YUQING_CRAWL_PROXIES": replay.url})
    assert result.code == 0, result.stderr[-3000:]
    assert result.summary["items"] == 3
    assert replay.log == ["http://news.chaoyang.test/rss.xml"]


def test_server_errors_are_retried_with_backoff(ctx, replay, crawl, tmp_path):
    replay.add("/rss.xml", Reply(b"busy", 503, "text/plain"), Reply(b"busy", 503, "text/plain"),
               xml(R / "chaoyang_news.xml"))
    write_sources(ctx.config_dir, {"name": "cy", "spider": "feed", "feeds": ["/rss.xml"], "base_url": replay.url,
                                   "politeness": {"download_delay": 0, "autothrottle": False, "retries": 2,
                                                  "backoff_seconds": 0.2}})
    result = crawl("cy", "--out", str(tmp_path / "o.jsonl"))
    assert result.code == 0 and result.summary["items"] == 3 and result.summary["errors"] == 0
    assert replay.log == ["/rss.xml"] * 3
    assert "retry 1 of" in result.stderr and "in 0.2s" in result.stderr and "in 0.4s" in result.stderr
