"""Pure pieces: site time formats and the block detector."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from yuqing.crawlers.blocking import detect_block
from yuqing.crawlers.timeparse import TimeFormatError, parse_site_time, server_now

NOW = datetime(2026, 11, 26, 4, 0, tzinfo=timezone.utc)  # 12:00 in Beijing


@pytest.mark.parametrize("text,expected", [
    ("刚刚", "2026-11-26T12:00:00+08:00"),
    ("5分钟前", "2026-11-26T11:55:00+08:00"),
    ("30秒前", "2026-11-26T11:59:30+08:00"),
    ("半小时前", "2026-11-26T11:30:00+08:00"),
    ("3小时前", "2026-11-26T09:00:00+08:00"),
    ("4 天前", "2026-11-22T12:00:00+08:00"),
    ("4\xa0天前", "2026-11-22T12:00:00+08:00"),
    ("今天 08:31", "2026-11-26T08:31:00+08:00"),
    ("昨天 21:10", "2026-11-25T21:10:00+08:00"),
    ("前天 09:00", "2026-11-24T09:00:00+08:00"),
    ("11:24", "2026-11-26T11:24:00+08:00"),
    ("23:50", "2026-11-25T23:50:00+08:00"),          # later than now today: yesterday
    ("11-20", "2026-11-20T00:00:00+08:00"),
    ("12-31", "2025-12-31T00:00:00+08:00"),          # a future month-day is last year's
    ("11-20 08:05", "2026-11-20T08:05:00+08:00"),
    ("11月20日 08:05", "2026-11-20T08:05:00+08:00"),
    ("2025-11-20", "2025-11-20T00:00:00+08:00"),
    ("2022-5-19 00:35:31", "2022-05-19T00:35:31+08:00"),
    ("发表于 2022-5-19 00:35", "2022-05-19T00:35:00+08:00"),
    ("2025/11/20 08:31", "2025-11-20T08:31:00+08:00"),
    ("2025年11月20日 08:31", "2025-11-20T08:31:00+08:00"),
    ("2020-3", "2020-03-01T00:00:00+08:00"),
    ("Sat Nov 22 10:15:00 +0800 2026", "2026-11-22T10:15:00+08:00"),
    ("Tue Jun 08 09:35:04 +0800 2021", "2021-06-08T09:35:04+08:00"),
    ("1523110915", "2018-04-07T22:21:55+08:00"),
    ("2026-11-20T08:00:00Z", "2026-11-20T08:00:00+00:00"),
    ("Wed, 25 Nov 2026 16:00:00 GMT", "2026-11-25T16:00:00+00:00"),
])
def test_site_times(text, expected):
    assert parse_site_time(text, NOW).isoformat() == expected


@pytest.mark.parametrize("text", ["", "明天", "2026-13-40", "sometime"])
def test_bad_times_name_the_text(text):
    with pytest.raises(TimeFormatError):
        parse_site_time(text, NOW)


def test_server_now_reads_the_date_header():
    assert server_now(b"Thu, 26 Nov 2026 04:00:00 GMT") == NOW
    fallback = datetime(2020, 1, 1, tzinfo=timezone.utc)
    assert server_now(None, fallback) == fallback and server_now(b"garbage", fallback) == fallback


@pytest.mark.parametrize("status,location,body,kind", [
    (403, None, b"", "ban"), (418, None, b"", "ban"), (429, None, b"", "ban"), (432, None, b"", "ban"),
    (302, "https://passport.weibo.cn/signin/login?entry=mweibo", b"", "login"),
    (302, "https://passport.baidu.com/v2/?login", b"", "login"),
    (302, "http://bbs.test/member.php?mod=logging&action=login", b"", "login"),
    (302, "http://weixin.sogou.com/antispider/?from=x", b"", "captcha"),
    (302, "https://wappass.baidu.com/static/captcha/tuxing.html", b"", "captcha"),
    (200, None, json.dumps({"ok": -100, "url": "https://passport.weibo.cn/signin/welcome"}).encode(), "login"),
    (200, None, json.dumps({"ok": 0, "msg": "请求过于频繁"}, ensure_ascii=False).encode(), "ban"),
    (200, None, json.dumps({"ok": 0, "msg": "系统繁忙"}, ensure_ascii=False).encode(), "refused"),
    (200, None, "<html><title>百度安全验证</title></html>".encode(), "captcha"),
    (200, None, "<html><body>当前环境异常，完成验证后即可继续访问</body></html>".encode(), "captcha"),
])
def test_blocks(status, location, body, kind):
    block = detect_block(status, "http://site.test/page", body, location)
    assert block is not None and block.kind == kind


@pytest.mark.parametrize("status,location,body", [
    (200, None, json.dumps({"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}}, ensure_ascii=False).encode()),
    (200, None, json.dumps({"ok": 1, "data": {"cards": []}}).encode()),
    (200, None, b'{"ok":1,"data":{"cards":[{"card_type":9,"mblog":{"id":"50010'),  # malformed: the parser's
    (302, "http://bbs.test/forum.php?mod=viewthread&tid=1", b""),
    (404, None, b"not found"),
    (200, None, "<html><body>正常页面：访问过于频繁的问题如何解决（论坛帖子标题）" .encode() + b"x" * 40000),
])
def test_not_blocks(status, location, body):
    assert detect_block(status, "http://site.test/page", body, location) is None


def test_real_block_and_empty_captures(shared_dir):
    page = (shared_dir / "wechat" / "wechatsogou_search-gaokao-gzh-error.html").read_bytes()
    block = detect_block(200, "https://weixin.sogou.com/weixin?type=1&query=x", page)
    assert block.kind == "captcha" and "Sogou" in block.reason
    empty = (shared_dir / "weibo_api" / "bison_getIndex_error_ok0.json").read_bytes()
    assert detect_block(200, "https://m.weibo.cn/api/container/getIndex", empty) is None
    for name in ("wechat/wechatsogou_search-gaokao-article.html", "wechat/wechatsogou_article_detail_expired.html",
                 "forum/discuzx35_mcbbs_viewthread_utf8.html", "tieba/mediacrawler_note_detail.html",
                 "weibo_api/bison_getIndex_user_timeline_6279793937.json"):
        assert detect_block(200, "https://site.test/", (shared_dir / name).read_bytes()) is None, name
