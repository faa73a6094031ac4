"""Discuz! X boards: thread lists, then each active thread's posts, newest replies first.

Requests (relative to the forum's ``base_url``):
    board   ``/forum.php?mod=forumdisplay&fid={fid}&orderby=lastpost&filter=lastpost&page={n}``
            (threads sorted by last reply, so paging stops at the floor)
    thread  ``/forum.php?mod=viewthread&tid={tid}&ordertype=1&page={n}`` — ``ordertype=1`` lists the
            newest replies first (the opening post stays on top), so a long thread with a few new
            replies costs one page
Only threads whose last reply is at or after the floor are opened. Post ids are
``forum:{site}-{pid}`` with ``site`` the source's ``site`` or the forum's host name.
"""

from __future__ import annotations

from yuqing.crawlers.parsers import discuz
from yuqing.crawlers.spiders.base import SourceSpider, target_key


class DiscuzSpider(SourceSpider):
    name = "discuz"
    kind = "discuz"

    async def start(self):
        for kind, value in self.source.targets():
            yield self.request(self.board_url(value, 1), self.parse_board, target_key(kind, value), page=1, fid=value)

    def board_url(self, fid: str, page: int) -> str:
        return f"{self.base}/forum.php?mod=forumdisplay&fid={fid}&orderby=lastpost&filter=lastpost&page={page}"

    def thread_url(self, tid: str, page: int) -> str:
        return f"{self.base}/forum.php?mod=viewthread&tid={tid}&ordertype=1&page={page}"

    def parse_board(self, response):
        meta = response.meta
        target, page = meta["target"], meta["page"]
        result = discuz.parse_forumdisplay(response.text, response.url, self.now(response))
        for thread in result["threads"]:
            if not self.is_new(target, thread["last_post_at"]):
                continue
            if self.source.fetch_threads:
                yield self.request(self.thread_url(thread["tid"], 1), self.parse_thread, target,
                                   tid=thread["tid"], tpage=1, thread=thread)
            else:
                yield self.emit(target, self._thread_post(thread))
        times = [t["last_post_at"] for t in result["threads"] if not t["pinned"]]
        if self.more_pages(target, page, times, result["next"] is not None):
            yield self.request(self.board_url(meta["fid"], page + 1), self.parse_board, target,
                               page=page + 1, fid=meta["fid"])

    def parse_thread(self, response):
        meta = response.meta
        target, tid, tpage = meta["target"], meta["tid"], meta["tpage"]
        result = discuz.parse_viewthread(response.text, response.url, self.now(response), self.source.name,
                                         self.source.site_id(), tid=tid)
        self.deleted += result["deleted"]
        if result["deleted"]:
            self.crawler.stats.inc_value("yuqing/deleted", result["deleted"])
        thread = meta.get("thread") or {}
        views, replies = thread.get("views"), thread.get("replies")
        replies_seen = []
        for post in result["posts"]:
            if post["_floor"] == 1:
                post["metrics"] = {k: v for k, v in (("reads", views), ("comments", replies)) if v is not None}
            else:
                replies_seen.append(post["published_at"])
            if self.is_new(target, post["published_at"]):
                yield self.emit(target, post)
        if result["next"] and tpage < self.max_pages and not self.reached_floor(target, replies_seen):
            yield self.request(self.thread_url(tid, tpage + 1), self.parse_thread, target,
                               tid=tid, tpage=tpage + 1, thread=thread)

    def _thread_post(self, thread: dict) -> dict:
        site = self.source.site_id()
        return {
            "id": f"forum:{site}-t{thread['tid']}", "platform": "forum", "source": self.source.name,
            "url": thread["href"], "title": thread["title"], "content": thread["title"],
            "author": thread["author"], "published_at": thread["created_at"] or thread["last_post_at"],
            "metrics": {k: v for k, v in (("reads", thread["views"]), ("comments", thread["replies"]))
                        if v is not None},
            "thread_id": f"forum:{site}-t{thread['tid']}",
        }
