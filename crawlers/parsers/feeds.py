"""RSS 0.9x/2.0 and Atom feeds (feedparser) → post dicts.

Handles what Chinese news and government feeds do in practice:

* declared ``gb2312``/``gbk`` encodings are read as GB18030 (their superset — real feeds contain
  characters outside GB2312 and would otherwise be rejected by feedparser as mis-encoded);
* dates in RFC 822, ISO 8601, and the local ``2005-5-28 16:05:36`` style (read in Asia/Shanghai;
  feedparser would drop those or treat them as UTC); the offset a feed gives is kept;
* entries without a date take the feed's own date, else the time the feed was fetched
  (marked so in the record's ``metrics``-free way: ``published_at`` = fetch time);
* HTML in summaries/content reduced to text; the id is a hash of the entry's guid (or link).

A response that is not a feed at all (HTML error page, truncated XML with no entries) raises
:class:`PageError`; a well-formed feed with no entries is an empty list.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

import feedparser

from yuqing.crawlers.htmltext import html_to_text
from yuqing.crawlers.parsers import PageError
from yuqing.crawlers.timeparse import parse_site_time

_DECL = re.compile(rb"^(\s*<\?xml[^>]*encoding=[\"'])(gb2312|gbk|GB2312|GBK|x-gbk)([\"'])", re.I)


def normalise_encoding(body: bytes) -> bytes:
    """Rewrite a ``gb2312``/``gbk`` XML declaration to ``gb18030`` (same bytes, superset codec)."""
    return _DECL.sub(rb"\1gb18030\3", body, count=1)


def parse_feed(body: bytes, url: str, now: datetime, source: str) -> dict[str, Any]:
    """Feed bytes → ``{"title": feed title, "posts": [...]}``."""
    parsed = feedparser.parse(normalise_encoding(body))
    if not parsed.entries and not parsed.feed.get("title"):
        reason = parsed.get("bozo_exception") or "no channel and no entries"
        raise PageError(f"not a feed ({reason})")
    feed_title = parsed.feed.get("title", "")
    feed_date = _date(parsed.feed, now)
    posts = []
    for entry in parsed.entries:
        link = entry.get("link") or ""
        guid = entry.get("id") or link or entry.get("title", "")
        if not guid:
            continue
        title = html_to_text(entry.get("title", ""))
        body_html = ""
        if entry.get("content"):
            body_html = entry["content"][0].get("value", "")
        body_html = body_html or entry.get("summary", "") or entry.get("description", "")
        content = html_to_text(body_html)
        if not content and not title:
            continue
        published = _date(entry, now) or feed_date or now
        native = hashlib.sha1(guid.encode("utf-8")).hexdigest()[:20]
        post = {
            "id": f"news:{native}",
            "platform": "news",
            "source": source,
            "url": link,
            "title": title,
            "content": content,
            "author": {"id": "", "name": entry.get("author", "") or feed_title},
            "published_at": published.isoformat(),
            "metrics": {},
            "_native": native,
        }
        posts.append(post)
    return {"title": feed_title, "posts": posts}


def _date(obj: Any, now: datetime) -> datetime | None:
    for key in ("published", "updated", "created", "pubdate", "dc_date", "date"):
        raw = obj.get(key)
        if not raw:
            continue
        try:
            return parse_site_time(raw, now)
        except ValueError:
            continue
    return None
