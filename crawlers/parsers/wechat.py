"""WeChat official-account articles, found through Sogou WeChat search → post dicts.

Page types understood
    Sogou article search ``weixin.sogou.com/weixin?type=2&query=…``  ``ul.news-list > li``: title,
        summary, account name, Unix time (``div.s-p[t]``), article link — direct
        ``mp.weixin.qq.com/s?…`` (older layout) or ``/link?url=…`` (current layout); next page from
        ``#sogou_next`` or the ``page=N+1`` link of ``#pagebar_container``. An empty result page
        (``#noresult_part1_container`` / no ``news-list``) is an empty list.
    Sogou ``/link?url=…`` interstitial  a script assembling the real article URL piece by piece
        (``url += '…'``) or a ``window.location.replace('…')``.
    Article ``mp.weixin.qq.com/s…``  title (``msg_title`` / ``h1,h2#activity-name``), account
        (``nickname`` / ``#js_name``), body text of ``#js_content``, publish time from the page
        script (``ct``/``create_time`` epoch seconds, else ``publish_time`` date, else ``#publish_time``
        / ``#post-date``), stable id from ``biz``/``mid``/``idx``.
    Deleted / expired article (``weui-msg``: 链接已过期, 该内容已被发布者删除, 此内容因违规无法查看)
        → :class:`ArticleGone` with the reason; the spider keeps the search-result record instead.
The Sogou antispider page is detected earlier (:mod:`yuqing.crawlers.blocking`) and never parsed here.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from parsel import Selector

from yuqing.crawlers.htmltext import node_text
from yuqing.crawlers.parsers import PageError, require_complete
from yuqing.crawlers.timeparse import SHANGHAI, parse_site_time


class ArticleGone(Exception):
    """The article was deleted, expired or blocked; the message is the page's reason."""


def _text(sel: Selector) -> str:
    return node_text(sel[0]) if sel else ""


def parse_search(html: str, url: str, now: datetime) -> dict[str, Any]:
    """A Sogou result page → ``{"results": [...], "next": url | None}``.

    Each result: ``title, summary, account, account_id, published_at, link`` (absolute).
    """
    require_complete(html)
    sel = Selector(text=html)
    items = sel.css("ul.news-list > li")
    if not items:
        if sel.css("#noresult_part1_container, .no-sosuo, #noresult_part2_container") or "暂无与" in html:
            return {"results": [], "next": None}
        if not sel.css("#main, .wrapper, .news-box, #pagebar_container"):
            raise PageError("not a Sogou WeChat result page (no ul.news-list)")
        return {"results": [], "next": None}
    results = []
    for li in items:
        title_a = li.css("div.txt-box h3 a, h3 a")
        if not title_a:
            continue
        link = title_a.attrib.get("data-share") or title_a.attrib.get("href") or ""
        if not link:
            continue
        when = li.css("div.s-p::attr(t)").get() or li.css("[t]::attr(t)").get()
        if not when:
            scr = li.css("div.s-p script::text").get() or ""
            m = re.search(r"timeConvert\('(\d+)'\)", scr)
            when = m.group(1) if m else None
        results.append({
            "title": _text(title_a),
            "summary": _text(li.css("p.txt-info")),
            "account": _text(li.css("a.account, span.all-time-y2, div.s-p a")),
            "account_id": li.css("a.account::attr(i)").get() or "",
            "published_at": parse_site_time(when, now).isoformat() if when else None,
            "link": urljoin(url, link.replace("&amp;", "&")),
            "docid": li.attrib.get("d") or "",
        })
    nxt = sel.css("#sogou_next::attr(href)").get()
    if not nxt:
        cur = int((parse_qs(urlsplit(url).query).get("page") or ["1"])[0])
        for href in sel.css("#pagebar_container a::attr(href)").getall():
            if re.search(rf"[?&]page={cur + 1}(&|$)", href):
                nxt = href
                break
    return {"results": results, "next": urljoin(url, nxt) if nxt else None}


_LINK_PIECE = re.compile(r"url\s*\+=\s*'([^']*)'")


def parse_link_redirect(html: str, url: str) -> str:
    """The article URL behind a Sogou ``/link?url=…`` interstitial page."""
    pieces = _LINK_PIECE.findall(html)
    if pieces:
        return "".join(pieces).replace("@", "")
    m = re.search(r"location\.(?:replace|href)\s*\(?\s*=?\s*['\"]([^'\"]+)['\"]", html)
    if m:
        return urljoin(url, m.group(1))
    raise PageError("Sogou link page without a target URL")


_GONE = ("链接已过期", "该内容已被发布者删除", "此内容因违规无法查看", "此内容被投诉且经审核涉嫌侵权",
         "该公众号已迁移", "内容已被删除", "此内容已被删除", "该内容暂时无法查看")


def _script_var(html: str, name: str) -> str:
    """Value of ``var name = "…" || "…"`` (or ``name: '…'``) in the page scripts: first non-empty."""
    for m in re.finditer(rf"(?:var\s+|[\s,{{]){name}\s*[=:]\s*([^\n]+)", html):
        for lit in re.findall(r"\"([^\"]*)\"|'([^']*)'", m.group(1)):
            value = lit[0] or lit[1]
            if value:
                return value
    return ""


def parse_article(html: str, url: str, now: datetime, source: str) -> dict:
    """An ``mp.weixin.qq.com`` article → a post dict; raises :class:`ArticleGone` / :class:`PageError`."""
    sel = Selector(text=html)
    body = sel.css("#js_content")
    if not body:
        msg = _text(sel.css(".weui-msg__title, .weui-msg h2, .global_error_msg, .weui-msg__desc"))
        if msg or any(g in html for g in _GONE):
            raise ArticleGone(msg or next(g for g in _GONE if g in html))
        raise PageError("no #js_content (truncated or not an article page)")
    title = _script_var(html, "msg_title") or _text(sel.css("#activity-name, .rich_media_title"))
    account = _script_var(html, "nickname") or _text(sel.css("#js_name, .profile_nickname"))
    content = node_text(body[0], ("script", "style", "mpvoice", "qqmusic", "mpvideosnap"))
    published = None
    for var in ("ct", "create_time", "publish_time"):
        value = _script_var(html, var)
        if value:
            try:
                published = parse_site_time(value, now, SHANGHAI)
                break
            except ValueError:
                continue
    if published is None:
        shown = _text(sel.css("#publish_time, #post-date"))
        if not shown:
            raise PageError("article without a publish time")
        published = parse_site_time(shown, now)
    biz, mid, idx = _script_var(html, "biz"), _script_var(html, "mid"), _script_var(html, "idx")
    if not (biz and mid):
        q = parse_qs(urlsplit(url).query)
        biz, mid, idx = (q.get("__biz") or [""])[0], (q.get("mid") or [""])[0], (q.get("idx") or ["1"])[0]
    native = f"{biz}_{mid}_{idx or 1}" if biz and mid else _hash_id(url)
    link = _script_var(html, "msg_link").replace("&amp;", "&") or url
    post = {
        "id": f"wechat:{native}",
        "platform": "wechat",
        "source": source,
        "url": link,
        "title": title.strip(),
        "content": content or _script_var(html, "msg_desc"),
        "author": {"id": _script_var(html, "user_name") or biz, "name": account.strip()},
        "published_at": published.isoformat(),
        "metrics": {},
        "_native": native,
    }
    return post


def result_to_post(result: dict, source: str, gone_reason: str | None = None) -> dict:
    """A search result kept as a post (the article itself was gone or unreachable)."""
    native = "s" + hashlib.sha1((result["title"] + "|" + result["account"]).encode()).hexdigest()[:16]
    content = result["summary"] or result["title"]
    if gone_reason:
        content = f"{content}\n（原文已不可访问：{gone_reason}）"
    return {
        "id": f"wechat:{native}", "platform": "wechat", "source": source, "url": result["link"],
        "title": result["title"], "content": content,
        "author": {"id": result.get("account_id", ""), "name": result["account"]},
        "published_at": result["published_at"], "metrics": {}, "_native": native,
    }


def _hash_id(url: str) -> str:
    return "u" + hashlib.sha1(url.encode()).hexdigest()[:20]
