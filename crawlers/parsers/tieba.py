"""Baidu Tieba: forum thread lists and thread pages → post dicts.

Page types understood
    Forum list ``tieba.baidu.com/f?kw=…&pn=N``  the thread list is shipped *inside an HTML comment*
        (``<code id="pagelet_html_frs-list/pagelet/thread_list"><!-- … --></code>``) and rendered by
        script; we unwrap every comment holding ``j_thread_list`` and parse ``li.j_thread_list``:
        ``data-field`` JSON (``id``, ``author_name``, ``reply_num``, ``is_top``), title
        ``a.j_th_tit``, abstract ``.threadlist_abs``, created ``.is_show_create_time`` and last reply
        ``.threadlist_reply_date`` ("11:24" today, "7-6", "2023-7"); next page ``a.next``.
    Floor replies (楼中楼) ``/p/comment?tid=…&pid=…&pn=N``  ``li.lzl_single_post`` (``data-field``
        ``spid``/``showname``), text ``.lzl_content_main`` (emoticon-only → ``[表情]``), time
        ``.lzl_time``; paging from ``li.lzl_li_pager`` ``total_page``.
    Keyword search ``/f/search/res?qw=…``  ``div.s_post``: title link ``/p/{tid}?pid={pid}``,
        abstract ``.p_content``, forum ``a.p_forum``, author, time ``.p_date``.
    Thread ``/p/{tid}?pn=N``  title ``.core_title_txt``; floors ``div.l_post`` with ``data-field`` JSON
        (``author.user_name/user_nickname``, ``content.post_id/thread_id/post_no/comment_num``; older
        pages also ``content.date``), body ``#post_content_{pid}``, time from ``.tail-info`` or
        ``.post-tail-wrap span``; ads (no ``content`` in data-field) skipped; folded/deleted floors
        (``该楼层疑似违规已被系统折叠`` with no body) counted as deleted; next page ``下一页``.
"""

from __future__ import annotations

import html as htmllib
import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from parsel import Selector

from yuqing.crawlers.htmltext import node_text
from yuqing.crawlers.parsers import PageError, require_complete
from yuqing.crawlers.timeparse import parse_site_time

_COMMENT = re.compile(r"<!--(.*?)-->", re.S)


def _field(raw: str | None) -> dict:
    if not raw:
        return {}
    try:
        value = json.loads(htmllib.unescape(raw))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def unwrap_thread_list(html: str) -> str:
    """The thread-list HTML hidden in comments (or the page itself when already rendered)."""
    hidden = [m.group(1) for m in _COMMENT.finditer(html) if "j_thread_list" in m.group(1)]
    return "\n".join(hidden) if hidden else html


def parse_thread_list(html: str, url: str, now: datetime) -> dict[str, Any]:
    """A forum page → ``{"threads": [...], "next": url | None}``."""
    require_complete(html)
    inner = unwrap_thread_list(html)
    sel = Selector(text=inner)
    items = sel.css("li.j_thread_list")
    if not items:
        if "thread_list" in html or "frs-list" in html or "forum_name" in html:
            return {"threads": [], "next": _next(Selector(text=html), url)}
        raise PageError("no li.j_thread_list — truncated or not a Tieba forum page")
    threads = []
    for li in items:
        field = _field(li.attrib.get("data-field"))
        tid = str(field.get("id") or li.attrib.get("data-tid") or "")
        title_a = li.css("a.j_th_tit")
        if not tid or not title_a:
            continue
        created = li.css(".is_show_create_time::text").get()
        last = li.css(".threadlist_reply_date::text").get()
        threads.append({
            "tid": tid,
            "title": (title_a.attrib.get("title") or node_text(title_a[0])).strip(),
            "abstract": node_text(li.css(".threadlist_abs")[0]) if li.css(".threadlist_abs") else "",
            "author": str(field.get("author_nickname") or field.get("author_name") or ""),
            "replies": field.get("reply_num") if isinstance(field.get("reply_num"), int) else None,
            "created_at": _maybe_time(created, now),
            "last_post_at": _maybe_time(last, now) or _maybe_time(created, now),
            "pinned": bool(field.get("is_top") or field.get("is_membertop")),
            "first_post_id": str(field["first_post_id"]) if field.get("first_post_id") else None,
            "href": urljoin(url, title_a.attrib.get("href", f"/p/{tid}")),
        })
    return {"threads": threads, "next": _next(sel, url) or _next(Selector(text=html), url)}


def _maybe_time(text: str | None, now: datetime) -> str | None:
    if not text or not text.strip():
        return None
    try:
        return parse_site_time(text.strip(), now).isoformat()
    except ValueError:
        return None


def _next(sel: Selector, url: str) -> str | None:
    href = sel.css("#frs_list_pager a.next::attr(href), a.next.pagination-item::attr(href)").get()
    if not href:
        for a in sel.css("a"):
            if (a.css("::text").get() or "").strip() in ("下一页", "下一页>"):
                href = a.attrib.get("href")
                break
    return urljoin(url, htmllib.unescape(href)) if href else None


def parse_thread(html: str, url: str, now: datetime, source: str,
                 first_post_id: str | None = None) -> dict[str, Any]:
    """A thread page → ``{"posts": [...], "next": url | None, "deleted": n, "title": str}``.

    Replies point at the opening floor (``first_post_id`` from the list, when the page lacks it)."""
    require_complete(html)
    sel = Selector(text=html)
    title_sel = sel.css(".core_title_txt")
    title = (title_sel.attrib.get("title") or node_text(title_sel[0])).strip() if title_sel else ""
    floors = sel.css("div.l_post")
    if not floors:
        raise PageError("no div.l_post floors — truncated or not a Tieba thread page")
    posts, deleted = [], 0
    first = None
    for floor in floors:
        field = _field(floor.attrib.get("data-field"))
        content = field.get("content")
        if not isinstance(content, dict) or not content.get("post_id"):
            continue  # advertisement or recommendation block
        pid, tid = str(content["post_id"]), str(content.get("thread_id") or "")
        body = floor.css(f"#post_content_{pid}")
        text = node_text(body[0], (".replace_tip", "script", "style")) if body else ""
        post_no = content.get("post_no")
        if not text and not (post_no == 1 and title):  # the opening floor may be pictures only
            deleted += 1
            continue
        author = field.get("author") or {}
        when = content.get("date")
        if not when:
            tails = floor.css(".tail-info::text, .post-tail-wrap span::text").getall()
            when = next((t for t in reversed(tails) if re.search(r"\d{4}-\d{1,2}-\d{1,2}", t)), None)
        if not when:
            raise PageError(f"floor {pid} without a time")
        post = {
            "id": f"tieba:{pid}",
            "platform": "tieba",
            "source": source,
            "url": f"https://tieba.baidu.com/p/{tid}?pid={pid}#{pid}",
            "title": title if post_no == 1 else "",
            "content": text,
            "author": {"id": str(author.get("user_id") or ""),
                       "name": author.get("user_nickname") or author.get("user_name") or ""},
            "published_at": parse_site_time(when, now).isoformat(),
            "metrics": {"comments": content["comment_num"]} if isinstance(content.get("comment_num"), int) else {},
            "thread_id": f"tieba:t{tid}",
            "_native": pid,
            "_floor": post_no,
        }
        if post_no == 1:
            first = pid
        posts.append(post)
    current = (sel.css(".l_pager .tP::text").get() or "1").strip()
    first_pid = first or first_post_id
    if not first_pid and current == "1":  # page 1 whose opening floor had no text
        first_pid = str(_field(sel.css("div.l_post").attrib.get("data-field")).get("content", {}).get("post_id", ""))
    for post in posts:
        if post["_native"] != first_pid and first_pid:
            post["reply_to"] = f"tieba:{first_pid}"
    return {"posts": posts, "next": _next(sel.css(".l_pager, .pb_list_pager") or sel, url),
            "deleted": deleted, "title": title}


def parse_search(html: str, url: str, now: datetime, source: str) -> dict[str, Any]:
    """Keyword search results → ``{"posts": [...], "next": url | None}`` (abstracts as posts)."""
    sel = Selector(text=html)
    items = sel.css("div.s_post")
    if not items:
        if sel.css(".s_post_list, #search_no_result, .search_noresult") or "抱歉，没有找到" in html:
            return {"posts": [], "next": None}
        raise PageError("no div.s_post — not a Tieba search page")
    posts = []
    for item in items:
        link = item.css("span.p_title a, a.bluelink")
        href = link.attrib.get("href", "") if link else ""
        m = re.search(r"/p/(\d+)(?:\?pid=(\d+))?", href)
        if not m:
            continue
        tid, pid = m.group(1), m.group(2) or m.group(1)
        when = item.css(".p_date::text").get()
        if not when:
            continue
        author = item.css("a[href*='/home/main'] font::text, a[href*='/home/main']::text").get() or ""
        posts.append({
            "id": f"tieba:{pid}",
            "platform": "tieba",
            "source": source,
            "url": urljoin(url, href),
            "title": node_text(link[0]),
            "content": node_text(item.css(".p_content")[0]) if item.css(".p_content") else node_text(link[0]),
            "author": {"id": "", "name": author.strip()},
            "published_at": parse_site_time(when, now).isoformat(),
            "metrics": {},
            "thread_id": f"tieba:t{tid}",
            "_native": pid,
        })
    return {"posts": posts, "next": _next(sel, url)}


def parse_sub_comments(html: str, url: str, now: datetime, source: str, tid: str, pid: str,
                       page: int = 1) -> dict[str, Any]:
    """楼中楼 replies of one floor (``/p/comment?tid=…&pid=…&pn=N``, an HTML fragment) →
    ``{"posts": [...], "next": page + 1 | None}``; paging from the pager's ``total_page``."""
    sel = Selector(text=html)
    items = sel.css("li.lzl_single_post")
    if not items and "lzl" not in html:
        raise PageError("no li.lzl_single_post — not a Tieba sub-comment fragment")
    posts = []
    for li in items:
        field = _field(li.attrib.get("data-field"))
        spid = str(field.get("spid") or "")
        when = li.css(".lzl_time::text").get()
        if not spid or not when:
            continue
        body = li.css(".lzl_content_main")
        text = node_text(body[0]) if body else ""
        if not text and body and body.css("img.BDE_Smiley"):
            text = "[表情]"
        if not text:
            continue
        posts.append({
            "id": f"tieba:{spid}",
            "platform": "tieba",
            "source": source,
            "url": f"https://tieba.baidu.com/p/{tid}?pid={pid}&cid={spid}#{spid}",
            "content": text,
            "author": {"id": "", "name": str(field.get("showname") or field.get("user_name") or "")},
            "published_at": parse_site_time(when.strip(), now).isoformat(),
            "metrics": {},
            "thread_id": f"tieba:t{tid}",
            "reply_to": f"tieba:{pid}",
            "_native": spid,
        })
    pager = _field(sel.css("li.lzl_li_pager").attrib.get("data-field")) if sel.css("li.lzl_li_pager") else {}
    total = pager.get("total_page")
    return {"posts": posts, "next": page + 1 if isinstance(total, int) and page < total else None}
