"""Baidu Tieba: forum thread lists (and keyword search), then active threads' floors.

Requests (relative to ``base_url``, default ``https://tieba.baidu.com``):
    forum    ``/f?kw={name}&ie=utf-8&pn={50·(n−1)}`` — threads sorted by last reply
    thread   ``/p/{tid}?pn={n}`` — read from the *last* page backwards (the last page is computed
             from the list's reply count, 30 floors a page) so new replies cost one request; the
             opening floor (page 1) is read too when the thread itself is new
    search   ``/f/search/res?ie=utf-8&qw={kw}&rn=20&pn={n}`` — abstracts kept as posts
    replies  ``/p/comment?tid={tid}&pid={pid}&pn={n}`` — 楼中楼 of floors with ≥ ``comments_min``
             replies (off unless the source sets ``comments_min``)
"""

from __future__ import annotations

import math
from urllib.parse import quote

from yuqing.crawlers.parsers import tieba
from yuqing.crawlers.spiders.base import SourceSpider, target_key

FLOORS_PER_PAGE = 30


class TiebaSpider(SourceSpider):
    name = "tieba"
    kind = "tieba"

    async def start(self):
        for kind, value in self.source.targets():
            target = target_key(kind, value)
            if kind == "board":
                yield self.request(self.forum_url(value, 1), self.parse_forum, target, page=1, kw=value)
            else:
                yield self.request(self.search_url(value, 1), self.parse_search, target, page=1, kw=value)

    def forum_url(self, kw: str, page: int) -> str:
        return f"{self.base}/f?kw={quote(kw)}&ie=utf-8&pn={50 * (page - 1)}"

    def search_url(self, kw: str, page: int) -> str:
        return f"{self.base}/f/search/res?ie=utf-8&qw={quote(kw)}&rn=20&pn={page}"

    def thread_url(self, tid: str, pn: int) -> str:
        return f"{self.base}/p/{tid}?pn={pn}"

    def parse_forum(self, response):
        meta = response.meta
        target, page = meta["target"], meta["page"]
        result = tieba.parse_thread_list(response.text, response.url, self.now(response))
        for thread in result["threads"]:
            if not self.is_new(target, thread["last_post_at"]):
                continue
            last = max(1, math.ceil(((thread["replies"] or 0) + 1) / FLOORS_PER_PAGE))
            yield self.request(self.thread_url(thread["tid"], last), self.parse_thread, target,
                               tid=thread["tid"], pn=last, budget=self.max_pages, thread=thread)
            if last > 1 and self.is_new(target, thread["created_at"]):
                yield self.request(self.thread_url(thread["tid"], 1), self.parse_thread, target,
                                   tid=thread["tid"], pn=1, budget=1, thread=thread)
        times = [t["last_post_at"] for t in result["threads"] if not t["pinned"]]
        if self.more_pages(target, page, times, result["next"] is not None):
            yield self.request(self.forum_url(meta["kw"], page + 1), self.parse_forum, target,
                               page=page + 1, kw=meta["kw"])

    def parse_thread(self, response):
        meta = response.meta
        target, pn = meta["target"], meta["pn"]
        first = (meta.get("thread") or {}).get("first_post_id")
        result = tieba.parse_thread(response.text, response.url, self.now(response), self.source.name, first)
        self.deleted += result["deleted"]
        if result["deleted"]:
            self.crawler.stats.inc_value("yuqing/deleted", result["deleted"])
        times = []
        for post in result["posts"]:
            if post.get("_floor") != 1:
                times.append(post["published_at"])
            if self.is_new(target, post["published_at"]):
                yield self.emit(target, post)
            if self._wants_comments(post):
                yield self.request(self.comments_url(meta["tid"], post["_native"], 1), self.parse_comments, target,
                                   tid=meta["tid"], pid=post["_native"], cpage=1)
        budget = meta["budget"] - 1
        if pn > 1 and budget > 0 and not self.reached_floor(target, times):
            yield self.request(self.thread_url(meta["tid"], pn - 1), self.parse_thread, target,
                               tid=meta["tid"], pn=pn - 1, budget=budget, thread=meta.get("thread"))

    def comments_url(self, tid: str, pid: str, page: int) -> str:
        return f"{self.base}/p/comment?tid={tid}&pid={pid}&pn={page}"

    def _wants_comments(self, post: dict) -> bool:
        threshold = self.source.comments_min
        return threshold is not None and (post.get("metrics", {}).get("comments") or 0) >= max(threshold, 1)

    def parse_comments(self, response):
        meta = response.meta
        target, page = meta["target"], meta["cpage"]
        result = tieba.parse_sub_comments(response.text, response.url, self.now(response), self.source.name,
                                          meta["tid"], meta["pid"], page)
        times = [p["published_at"] for p in result["posts"]]
        for post in result["posts"]:
            if self.is_new(target, post["published_at"]):
                yield self.emit(target, post, advance_cursor=False)
        if result["next"] and page < self.max_pages and not all(not self.is_new(target, t) for t in times):
            yield self.request(self.comments_url(meta["tid"], meta["pid"], page + 1), self.parse_comments, target,
                               tid=meta["tid"], pid=meta["pid"], cpage=page + 1)

    def parse_search(self, response):
        meta = response.meta
        target, page = meta["target"], meta["page"]
        result = tieba.parse_search(response.text, response.url, self.now(response), self.source.name)
        for post in result["posts"]:
            if self.is_new(target, post["published_at"]):
                yield self.emit(target, post)
        times = [p["published_at"] for p in result["posts"]]
        if self.more_pages(target, page, times, result["next"] is not None):
            yield self.request(self.search_url(meta["kw"], page + 1), self.parse_search, target,
                               page=page + 1, kw=meta["kw"])
