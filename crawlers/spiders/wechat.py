"""WeChat official-account articles, discovered through Sogou WeChat search.

Requests (relative to ``base_url``, default ``https://weixin.sogou.com``):
    search   ``/weixin?type=2&query={kw}&ie=utf8&page={n}`` — for keywords, and for watched
             accounts (searching the account name, keeping only that account's articles)
    link     Sogou's ``/link?url=…`` interstitial → the article URL it assembles
    article  ``mp.weixin.qq.com/s?…`` (as linked)
An article that is gone (expired, deleted, blocked) or cannot be fetched is kept as its search
result — title and summary — so a deleted complaint still reaches the duty officer.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from yuqing.crawlers.parsers import PageError, wechat
from yuqing.crawlers.spiders.base import SourceSpider, target_key


class WechatSpider(SourceSpider):
    name = "wechat"
    kind = "wechat"

    async def start(self):
        for kind, value in self.source.targets():
            target = target_key(kind, value)
            yield self.request(self.search_url(value, 1), self.parse_search, target, page=1, query=value,
                               account=value if kind == "account" else None)

    def search_url(self, query: str, page: int) -> str:
        return f"{self.base}/weixin?type=2&query={quote(query)}&ie=utf8&page={page}"

    def parse_search(self, response):
        meta = response.meta
        target, page = meta["target"], meta["page"]
        result = wechat.parse_search(response.text, response.url, self.now(response))
        results = result["results"]
        if meta.get("account"):
            results = [r for r in results if r["account"] == meta["account"]]
        for r in results:
            if not self.is_new(target, r["published_at"]):
                continue
            link = r["link"]
            if urlsplit(link).path.startswith("/link"):
                yield self.request(link, self.parse_link, target, result=r, errback=self.article_failed)
            else:
                yield self.request(link, self.parse_article, target, result=r, errback=self.article_failed)
        times = [r["published_at"] for r in result["results"]]
        if self.more_pages(target, page, times, result["next"] is not None):
            yield self.request(self.search_url(meta["query"], page + 1), self.parse_search, target,
                               page=page + 1, query=meta["query"], account=meta.get("account"))

    def parse_link(self, response):
        url = wechat.parse_link_redirect(response.text, response.url)
        yield self.request(url, self.parse_article, response.meta["target"], result=response.meta["result"],
                           errback=self.article_failed)

    def parse_article(self, response):
        target, found = response.meta["target"], response.meta["result"]
        try:
            post = wechat.parse_article(response.text, response.url, self.now(response), self.source.name)
        except PageError as exc:  # truncated/changed article page: keep what the search showed
            self.page_failed(response, exc)
            if found.get("published_at"):
                yield self.emit(target, wechat.result_to_post(found, self.source.name))
            return
        except wechat.ArticleGone as gone:
            self.deleted += 1
            self.crawler.stats.inc_value("yuqing/deleted")
            if found.get("published_at"):
                yield self.emit(target, wechat.result_to_post(found, self.source.name, str(gone)))
            return
        if not post["author"]["name"]:
            post["author"]["name"] = found.get("account", "")
        yield self.emit(target, post)

    def article_failed(self, failure):
        self.on_request_error(failure)
        found = failure.request.meta.get("result")
        if self.block is None and found and found.get("published_at"):
            yield self.emit(failure.request.meta["target"], wechat.result_to_post(found, self.source.name))
