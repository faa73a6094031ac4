"""Weibo mobile JSON API (``m.weibo.cn``) and ``weibo.com/ajax`` responses → post dicts.

Page types understood
    ``api/container/getIndex``  search (``containerid=100103type=61&q=…``, real time) and user timeline
                                (``containerid=107603{uid}``): ``data.cards[]`` of ``card_type`` 9
                                (an ``mblog``) or 11 (a ``card_group`` holding more cards); paging by
                                ``cardlistInfo.since_id`` (timeline) or ``cardlistInfo.page`` (search).
    ``statuses/extend``         ``data.longTextContent`` — the full text of a ``isLongText`` post.
    ``statuses/show``           one ``mblog`` under ``data``.
    ``comments/hotflow``        ``data.data[]`` comments, paging by ``data.max_id``.
    ``weibo.com/ajax/statuses/mymblog`` (``data.list``), ``…/ajax/statuses/longtext`` (``data.
                                longTextContent``) and ``…/ajax/statuses/show`` — the desktop JSON,
                                for accounts when a source sets ``weibo_api: ajax`` (needs a login cookie).
An ``ok: 0`` response whose message says "no content" is an empty list, not an error.

Text: HTML stripped, ``<br>`` → newline, emoji images kept as their alt text (``[心]``), links
reduced to their visible text (``#话题#``, ``@用户``, ``网页链接``). Metrics: reposts, comments,
likes (``attitudes_count``). ``region_name`` ("发布于 北京") or ``status_city`` becomes ``location``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import quote

from yuqing.crawlers.blocking import EMPTY_MESSAGES
from yuqing.crawlers.htmltext import html_to_text
from yuqing.crawlers.parsers import PageError
from yuqing.crawlers.timeparse import parse_site_time


def search_container(keyword: str) -> str:
    return quote(f"100103type=61&q={keyword}", safe="")


def timeline_container(uid: str) -> str:
    return f"107603{uid}"


def load_json(body: bytes | str, url: str) -> dict:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PageError(f"malformed JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise PageError(f"expected a JSON object, got {type(data).__name__}")
    return data


def is_empty_reply(data: dict) -> bool:
    """``{"ok": 0, "msg": "这里还没有内容"}`` — the normal end of a list."""
    return data.get("ok") in (0, "0") and any(m in str(data.get("msg", "")) for m in EMPTY_MESSAGES)


def parse_cards(body: bytes | str, url: str, now: datetime, source: str) -> dict[str, Any]:
    """A getIndex page → ``{"posts": [...], "next": {"since_id"|"page": …} | None, "long": [...]}``.

    ``long`` lists the ids whose text is truncated (``isLongText``) and needs ``statuses/extend``.
    """
    data = load_json(body, url)
    if is_empty_reply(data):
        return {"posts": [], "next": None, "long": []}
    if data.get("ok") not in (1, "1"):
        raise PageError(f"unexpected ok={data.get('ok')!r} msg={data.get('msg')!r}")
    payload = data.get("data")
    if not isinstance(payload, dict) or not isinstance(payload.get("cards"), list):
        raise PageError("no data.cards in a getIndex response")
    posts, long_ids = _collect(_iter_mblogs(payload["cards"]), now, source)
    info = payload.get("cardlistInfo") or {}
    nxt = None
    if posts:
        if info.get("since_id"):
            nxt = {"since_id": str(info["since_id"])}
        elif info.get("page"):
            nxt = {"page": int(info["page"])}
    return {"posts": posts, "next": nxt, "long": long_ids}


def _iter_mblogs(cards: list) -> list[dict]:
    out = []
    for card in cards:
        if not isinstance(card, dict):
            continue
        if isinstance(card.get("mblog"), dict):
            out.append(card["mblog"])
        if isinstance(card.get("card_group"), list):
            out.extend(_iter_mblogs(card["card_group"]))
    return out


def mblog_to_post(mblog: dict, now: datetime, source: str) -> dict | None:
    """One ``mblog`` object → a post dict (``None`` for a deleted/invisible post)."""
    native = str(mblog.get("idstr") or mblog.get("id") or mblog.get("mid") or "")
    if not native:
        raise PageError("mblog without id")
    if mblog.get("deleted") in (1, "1", True) or mblog.get("state") == 7:
        return None
    raw = mblog.get("text_raw") or mblog.get("text") or ""  # weibo.com/ajax: text_raw is plain text
    user = mblog.get("user") or {}
    if not raw.strip() and not user:
        return None  # "抱歉，此微博已被作者删除" stubs carry neither
    content = weibo_text(raw)
    retweeted = mblog.get("retweeted_status")
    if isinstance(retweeted, dict) and retweeted.get("user"):
        rt_text = weibo_text(retweeted.get("text_raw") or retweeted.get("text") or "")
        rt_user = (retweeted.get("user") or {}).get("screen_name") or ""
        content = f"{content}\n//@{rt_user}: {rt_text}" if rt_text else content
    created = mblog.get("created_at")
    if not created:
        raise PageError(f"mblog {native} without created_at")
    bid = mblog.get("bid") or mblog.get("mblogid")
    uid = str(user.get("id") or user.get("idstr") or "")
    url = f"https://m.weibo.cn/detail/{native}" if not (bid and uid) else f"https://weibo.com/{uid}/{bid}"
    location = mblog.get("region_name") or mblog.get("status_city") or None
    if location:
        location = location.replace("发布于", "").strip() or None
    post = {
        "id": f"weibo:{native}",
        "platform": "weibo",
        "source": source,
        "url": url,
        "title": "",
        "content": content,
        "author": {"id": uid, "name": user.get("screen_name") or ""},
        "published_at": parse_site_time(created, now).isoformat(),
        "metrics": _metrics(mblog),
        "_native": native,
        "_bid": bid or native,
    }
    if location:
        post["location"] = location
    if isinstance(retweeted, dict) and retweeted.get("id"):
        post["reply_to"] = f"weibo:{retweeted.get('idstr') or retweeted['id']}"
    if mblog.get("isLongText") or mblog.get("isLongTextContent"):
        post["_long"] = True
    if mblog.get("isTop") in (1, True) or (mblog.get("title") or {}).get("text") == "置顶":
        post["_pinned"] = True
    return post


_HTML_HINT = re.compile(r"<(?:br|a|span|img|p|div)\b", re.I)


def weibo_text(value: str) -> str:
    """Mobile API text is HTML; weibo.com/ajax ``text_raw``/``longTextContent`` is plain text."""
    if _HTML_HINT.search(value):
        return html_to_text(value)
    return html_to_text(value.replace("&", "&amp;").replace("<", "&lt;").replace("\n", "<br>"))


def _metrics(obj: dict) -> dict:
    out = {}
    for key, name in (("reposts_count", "reposts"), ("comments_count", "comments"),
                      ("attitudes_count", "likes"), ("like_count", "likes")):
        value = obj.get(key)
        if isinstance(value, str):  # "100万+" on very popular posts
            value = _count(value)
        if isinstance(value, int) and value >= 0:
            out[name] = value
    return out


def _count(text: str) -> int | None:
    t = text.strip().rstrip("+")
    try:
        if t.endswith("万"):
            return int(float(t[:-1]) * 10000)
        if t.endswith("亿"):
            return int(float(t[:-1]) * 100000000)
        return int(t)
    except ValueError:
        return None


def parse_long_text(body: bytes | str, url: str) -> dict[str, Any]:
    """``statuses/extend`` → ``{"content": str, "metrics": {...}}``."""
    data = load_json(body, url)
    payload = data.get("data")
    if data.get("ok") not in (1, "1") or not isinstance(payload, dict) or "longTextContent" not in payload:
        raise PageError(f"no data.longTextContent (ok={data.get('ok')!r})")
    return {"content": weibo_text(payload["longTextContent"]), "metrics": _metrics(payload)}


def parse_show(body: bytes | str, url: str, now: datetime, source: str) -> dict | None:
    """``statuses/show`` (mobile) or ``ajax/statuses/show`` (desktop) → a post dict."""
    data = load_json(body, url)
    mblog = data.get("data") if "data" in data else data
    if not isinstance(mblog, dict) or not (mblog.get("id") or mblog.get("idstr")):
        raise PageError("no status in response")
    return mblog_to_post(mblog, now, source)


def parse_ajax_list(body: bytes | str, url: str, now: datetime, source: str) -> dict[str, Any]:
    """Desktop ``weibo.com/ajax/statuses/mymblog?uid=…&page=N`` → ``{"posts", "next", "long"}``
    (next = the following page while the list is not empty)."""
    data = load_json(body, url)
    payload = data.get("data")
    if not isinstance(payload, dict) or not isinstance(payload.get("list"), list):
        raise PageError("no data.list in a weibo.com/ajax response")
    posts, long_ids = _collect(payload["list"], now, source)
    return {"posts": posts, "next": {"page": _page_of(url) + 1} if posts else None, "long": long_ids}


def _page_of(url: str) -> int:
    from urllib.parse import parse_qs, urlsplit

    return int((parse_qs(urlsplit(url).query).get("page") or ["1"])[0])


def _collect(mblogs: list[dict], now: datetime, source: str) -> tuple[list[dict], list[str]]:
    """Posts of a list of mblogs (deleted ones skipped) and the ids whose text is truncated."""
    posts, long_ids = [], []
    for mblog in mblogs:
        post = mblog_to_post(mblog, now, source)
        if post is None:
            continue
        posts.append(post)
        if post.pop("_long", False):
            long_ids.append(post["_native"])
    return posts, long_ids


def parse_hotflow(body: bytes | str, url: str, now: datetime, source: str, parent_id: str) -> dict[str, Any]:
    """``comments/hotflow`` → ``{"posts": [comment posts], "next": max_id | None}``."""
    data = load_json(body, url)
    if is_empty_reply(data):
        return {"posts": [], "next": None}
    payload = data.get("data")
    if data.get("ok") not in (1, "1") or not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise PageError(f"no data.data in a hotflow response (ok={data.get('ok')!r})")
    posts = []
    for c in payload["data"]:
        cid = str(c.get("idstr") or c.get("id") or "")
        text = html_to_text(c.get("text") or "")
        if not cid or not text:
            continue
        user = c.get("user") or {}
        post = {
            "id": f"weibo:c{cid}",
            "platform": "weibo",
            "source": source,
            "url": f"https://m.weibo.cn/detail/{parent_id}#comment-{cid}",
            "content": text,
            "author": {"id": str(user.get("id") or ""), "name": user.get("screen_name") or ""},
            "published_at": parse_site_time(c["created_at"], now).isoformat(),
            "metrics": {"likes": int(c["like_count"])} if isinstance(c.get("like_count"), int) else {},
            "thread_id": f"weibo:{parent_id}",
            "reply_to": f"weibo:{parent_id}",
            "_native": f"c{cid}",
        }
        loc = (c.get("source") or "").replace("来自", "").strip()
        if loc:
            post["location"] = loc
        posts.append(post)
    max_id = payload.get("max_id")
    return {"posts": posts, "next": str(max_id) if max_id else None}
