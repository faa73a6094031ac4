"""Discuz! X forums (X2.5–X3.5): board thread lists and thread pages → post dicts.

Page types understood
    ``forum.php?mod=forumdisplay&fid=N`` (or rewritten ``forum-N-P.html``)
        ``tbody[id^=normalthread_]`` rows (``stickthread_`` rows are pinned: listed, but they never
        end the paging): tid, title ``a.xst``, author (first ``td.by cite a``, uid from its href),
        start date and last-reply time (``td.by em span[title]`` or the text: ``2022-5-16``,
        ``4 天前``, ``昨天 00:35``, ``半小时前``), replies / views (``td.num a`` / ``td.num em``);
        next page from ``div.pg a.nxt``.
    ``forum.php?mod=viewthread&tid=N`` (or ``thread-N-P-1.html``)
        subject ``#thread_subject``; posts ``div[id^=post_]`` with numeric id: author ``.authi a.xw1``
        (uid from the href), time ``em#authorposton{pid}`` (``span[title]`` or "发表于 …"),
        floor ``#postnum{pid}`` (楼主 = 1), body ``td.t_f#postmessage_{pid}`` without quoted posts,
        "edited by" stamps, login tips and attachment menus; next page ``div.pg a.nxt``.
    Deleted / banned posts (``div.locked``: 提示: 作者被禁止或删除 内容自动屏蔽) are skipped and counted.
    A "need permission / not logged in" page (``#messagetext`` with 登录) → :class:`LoginRequired`.
Encoding: GBK/GB18030 boards are decoded by Scrapy from the header or ``<meta charset>``; a page
declaring ``gb2312`` is read as GB18030 (its superset) by the spider.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from parsel import Selector

from yuqing.crawlers.htmltext import node_text
from yuqing.crawlers.parsers import PageError, require_complete
from yuqing.crawlers.timeparse import parse_site_time


class LoginRequired(Exception):
    """The board or thread is only visible to members."""


_DROP = (".quote", "blockquote", ".pstatus", "i.pstatus", ".attach_nopermission", ".tip", ".aimg_tip",
         "ignore_js_op .tip", "script", "style", ".jammer", "span[style*='display:none']",
         "font.jammer", ".locked")


def _check_login(sel: Selector, html: str) -> None:
    msg = node_text(sel.css("#messagetext")[0]) if sel.css("#messagetext") else ""
    if msg and ("登录" in msg or "没有权限" in msg or "无权" in msg):
        raise LoginRequired(msg.split("\n")[0])


def _time_of(cell: Selector, now: datetime) -> datetime | None:
    title = cell.css("span[title]::attr(title)").get()
    candidates = [title] if title else []
    text = node_text(cell[0]) if cell else ""
    if text:
        candidates.append(text)
    for cand in candidates:
        try:
            return parse_site_time(cand, now)
        except ValueError:
            continue
    return None


def _uid(href: str | None) -> str:
    if not href:
        return ""
    q = parse_qs(urlsplit(href.replace("&amp;", "&")).query)
    if q.get("uid"):
        return q["uid"][0]
    m = re.search(r"space-uid-(\d+)", href)
    if m:
        return m.group(1)
    return ("u:" + q["username"][0]) if q.get("username") else ""


def parse_forumdisplay(html: str, url: str, now: datetime) -> dict[str, Any]:
    """A board page → ``{"threads": [...], "next": url | None}``."""
    require_complete(html)
    sel = Selector(text=html)
    _check_login(sel, html)
    rows = sel.css("tbody[id^=normalthread_], tbody[id^=stickthread_]")
    if not rows:
        if sel.css("#threadlisttableid, #threadlist, .emp"):
            return {"threads": [], "next": None}  # an empty board
        raise PageError("no thread rows (tbody#normalthread_*) — truncated or not a Discuz! board page")
    threads = []
    for row in rows:
        rid = row.attrib.get("id", "")
        tid = rid.split("_", 1)[1]
        if not tid.isdigit():
            continue
        link = row.css("a.xst")
        if not link:
            continue
        by = row.css("td.by")
        author = by[0].css("cite a") if by else []
        created = _time_of(by[0].css("em"), now) if by else None
        last = _time_of(by[1].css("em"), now) if len(by) > 1 else None
        replies = row.css("td.num a::text").get()
        views = row.css("td.num em::text").get()
        threads.append({
            "tid": tid,
            "title": node_text(link[0]),
            "href": urljoin(url, link.attrib.get("href", "")),
            "author": {"id": _uid(author.attrib.get("href")) if author else "",
                       "name": node_text(author[0]) if author else ""},
            "created_at": created.isoformat() if created else None,
            "last_post_at": (last or created).isoformat() if (last or created) else None,
            "replies": int(replies) if replies and replies.strip().isdigit() else None,
            "views": int(views) if views and views.strip().isdigit() else None,
            "pinned": rid.startswith("stickthread_"),
        })
    nxt = sel.css("div.pg a.nxt::attr(href)").get()
    return {"threads": threads, "next": urljoin(url, nxt.replace("&amp;", "&")) if nxt else None}


def parse_viewthread(html: str, url: str, now: datetime, source: str, site: str,
                     tid: str | None = None) -> dict[str, Any]:
    """A thread page → ``{"posts": [...], "next": url | None, "deleted": n, "title": str}``."""
    require_complete(html)
    sel = Selector(text=html)
    _check_login(sel, html)
    subject_sel = sel.css("#thread_subject")
    title = node_text(subject_sel[0]) if subject_sel else ""
    if tid is None:
        q = parse_qs(urlsplit(url).query)
        tid = (q.get("tid") or [""])[0] or (re.search(r"thread-(\d+)-", url) or [None, ""])[1]
    blocks = [b for b in sel.css("div[id^=post_]") if re.fullmatch(r"post_\d+", b.attrib.get("id", ""))]
    if not blocks:
        raise PageError("no posts (div#post_*) — truncated or not a Discuz! thread page")
    posts, deleted = [], 0
    first_pid = None
    for block in blocks:
        pid = block.attrib["id"][5:]
        body = block.css(f"#postmessage_{pid}")
        floor_txt = node_text(block.css(f"#postnum{pid}")[0]) if block.css(f"#postnum{pid}") else ""
        floor = _floor(floor_txt)
        if floor == 1 or first_pid is None and "楼主" in floor_txt:
            first_pid = pid
        if not body or block.css(".locked") and not body:
            deleted += 1
            continue
        content = node_text(body[0], _DROP)
        if not content or block.css(f"#postmessage_{pid} .locked, .plc .locked"):
            deleted += 1
            continue
        when = _time_of(block.css(f"#authorposton{pid}"), now)
        if when is None:
            raise PageError(f"post {pid} without a time (em#authorposton{pid})")
        author = block.css(".authi a.xw1, .pls .authi a")
        post = {
            "id": f"forum:{site}-{pid}",
            "platform": "forum",
            "source": source,
            "url": urljoin(url, f"forum.php?mod=redirect&goto=findpost&ptid={tid}&pid={pid}"),
            "title": title if floor == 1 else "",
            "content": content,
            "author": {"id": _uid(author.attrib.get("href")) if author else "",
                       "name": node_text(author[0]) if author else "匿名"},
            "published_at": when.isoformat(),
            "metrics": {},
            "thread_id": f"forum:{site}-t{tid}",
            "_native": pid,
            "_floor": floor,
        }
        posts.append(post)
    if first_pid:
        for post in posts:
            if post["_native"] != first_pid:
                post["reply_to"] = f"forum:{site}-{first_pid}"
    nxt = sel.css("div.pg a.nxt::attr(href)").get()
    return {"posts": posts, "next": urljoin(url, nxt.replace("&amp;", "&")) if nxt else None,
            "deleted": deleted, "title": title}


def _floor(text: str) -> int | None:
    t = text.strip()
    if "楼主" in t:
        return 1
    m = re.search(r"(\d+)", t)
    if m:
        return int(m.group(1))
    return {"沙发": 2, "板凳": 3, "地板": 4}.get(t.replace("#", "").strip())
