"""Weibo through the mobile JSON API: keyword search and watched accounts' timelines.

Requests (relative to the source's ``base_url``, default ``https://m.weibo.cn``):
    search     ``/api/container/getIndex?containerid=100103type%3D61%26q%3D{kw}&page_type=searchall&page={n}``
               (type=61 is the real-time search: newest first, so paging can stop at the floor)
    timeline   ``/api/container/getIndex?containerid=107603{uid}[&since_id=…|&page=…]``
    long text  ``/statuses/extend?id={id}``     — for posts flagged ``isLongText``
    desktop    with ``weibo_api: ajax`` (base ``https://weibo.com``), accounts are read from
               ``/ajax/statuses/mymblog?uid={uid}&page={n}&feature=0`` and long texts from
               ``/ajax/statuses/longtext?id={mblogid}`` — richer when a logged-in cookie is pooled
    comments   ``/comments/hotflow?id={id}&mid={id}[&max_id=…]&max_id_type=0`` — posts with ≥
               ``comments_min`` comments; further pages by ``max_id`` while they hold new comments
A failed long-text fetch keeps the truncated post (counted as an error) rather than losing it.
"""

from __future__ import annotations

from yuqing.crawlers.parsers import weibo
from yuqing.crawlers.spiders.base import SourceSpider, target_key


class WeiboSpider(SourceSpider):
    name = "weibo"
    kind = "weibo"

    async def start(self):
        for kind, value in self.source.targets():
            target = target_key(kind, value)
            if kind == "keyword":
                yield self.request(self.search_url(value, 1), self.parse_list, target, page=1, keyword=value)
            elif self.source.weibo_api == "ajax":
                yield self.request(self.ajax_url(value, 1), self.parse_list, target, page=1, uid=value, ajax=True)
            else:
                yield self.request(self.timeline_url(value), self.parse_list, target, page=1, uid=value)

    def search_url(self, keyword: str, page: int) -> str:
        return (f"{self.base}/api/container/getIndex?containerid={weibo.search_container(keyword)}"
                f"&page_type=searchall&page={page}")

    def timeline_url(self, uid: str, since_id: str | None = None, page: int | None = None) -> str:
        url = f"{self.base}/api/container/getIndex?containerid={weibo.timeline_container(uid)}"
        if since_id:
            url += f"&since_id={since_id}"
        elif page:
            url += f"&page={page}"
        return url

    def ajax_url(self, uid: str, page: int) -> str:
        return f"{self.base}/ajax/statuses/mymblog?uid={uid}&page={page}&feature=0"

    def long_url(self, post: dict, ajax: bool) -> str:
        if ajax:
            return f"{self.base}/ajax/statuses/longtext?id={post['_bid']}"
        return f"{self.base}/statuses/extend?id={post['_native']}"

    def parse_list(self, response):
        meta = response.meta
        target, page, ajax = meta["target"], meta["page"], meta.get("ajax", False)
        parse = weibo.parse_ajax_list if ajax else weibo.parse_cards
        result = parse(response.body, response.url, self.now(response), self.source.name)
        posts = result["posts"]
        for post in posts:
            if not self.is_new(target, post["published_at"]):
                continue
            if post["_native"] in result["long"]:
                yield self.request(self.long_url(post, ajax), self.parse_long, target, errback=self.long_failed,
                                   post=post)
            else:
                yield from self.finish(target, post)
        times = [p["published_at"] for p in posts if not p.get("_pinned")]
        nxt = result["next"]
        if self.more_pages(target, page, times, nxt is not None):
            if "keyword" in meta:
                url = self.search_url(meta["keyword"], page + 1)
            elif ajax:
                url = self.ajax_url(meta["uid"], page + 1)
            else:
                url = self.timeline_url(meta["uid"], since_id=nxt.get("since_id"), page=nxt.get("page"))
            yield self.request(url, self.parse_list, target, page=page + 1,
                               **{k: meta[k] for k in ("keyword", "uid", "ajax") if k in meta})

    def finish(self, target: str, post: dict):
        yield self.emit(target, post)
        threshold = self.source.comments_min
        if threshold is not None and (post.get("metrics", {}).get("comments") or 0) >= threshold:
            yield self.request(self.comments_url(post["_native"]), self.parse_comments, target,
                               parent=post["_native"], cpage=1)

    def parse_long(self, response):
        post = response.meta["post"]
        full = weibo.parse_long_text(response.body, response.url)
        if full["content"]:
            post["content"] = full["content"]
        post["metrics"].update(full["metrics"])
        yield from self.finish(response.meta["target"], post)

    def long_failed(self, failure):
        self.on_request_error(failure)
        request = failure.request
        if self.block is None:
            yield self.emit(request.meta["target"], request.meta["post"])

    def comments_url(self, pid: str, max_id: str | None = None) -> str:
        more = f"&max_id={max_id}" if max_id else ""
        return f"{self.base}/comments/hotflow?id={pid}&mid={pid}{more}&max_id_type=0"

    def parse_comments(self, response):
        meta = response.meta
        target, cpage = meta["target"], meta.get("cpage", 1)
        result = weibo.parse_hotflow(response.body, response.url, self.now(response), self.source.name,
                                     meta["parent"])
        fresh = [c for c in result["posts"] if self.is_new(target, c["published_at"])]
        for comment in fresh:
            yield self.emit(target, comment, advance_cursor=False)
        if result["next"] and fresh and cpage < self.max_pages:
            yield self.request(self.comments_url(meta["parent"], result["next"]), self.parse_comments, target,
                               parent=meta["parent"], cpage=cpage + 1)

