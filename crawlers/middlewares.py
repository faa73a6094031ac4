"""Scrapy middlewares: where fetching policy lives (the spiders never see any of it).

Downloader middlewares (``settings.DOWNLOADER_MIDDLEWARES``; ``process_response`` runs from the
highest number down, so 650 sees a response before redirects (600) and retries (550) act on it):

``BlockDetectionMiddleware`` (650)  asks :func:`yuqing.crawlers.blocking.detect_block` about every response.
    A login wall met with a pool cookie marks that cookie dead and retries with the next live one;
    anything else (or no cookie left) stops the source: the block is recorded on the crawler, the
    spider is closed with reason ``blocked`` (outstanding requests are dropped — no hammering) and
    the runner pauses the source and reports it.
``CookiePoolMiddleware`` (690)  gives each request a live cookie of the source's pool (round robin,
    one cookie jar per pool cookie, so sessions never mix).
``ProxyPoolMiddleware`` (740)  round-robin ``meta["proxy"]`` from the configured proxies.
``BackoffRetryMiddleware`` (550, replaces Scrapy's)  Scrapy's retry policy (5xx, timeouts,
    connection errors) with an exponential wait before each retry: base × 2^(n−1), capped.

Spider middleware:

``PageErrorMiddleware``  an exception while parsing a page (malformed JSON, truncated HTML, a
    changed layout) is logged with the URL, counted, and the page skipped; the crawl goes on, and the
    target's cursor is not advanced.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.defer import deferred_from_coro

from yuqing.crawlers.blocking import Block, detect_block

logger = logging.getLogger(__name__)


class SourceBlocked(IgnoreRequest):
    """The request was dropped because the source is blocked (ban/captcha/login wall)."""


class _CrawlerBound:
    """A component that only needs the crawler (its spider, stats and engine)."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)


class BlockDetectionMiddleware(_CrawlerBound):
    def process_response(self, request: Request, response: Response, spider=None):
        spider = self.crawler.spider
        if getattr(spider, "block", None) is not None:
            raise SourceBlocked(f"source already blocked: {spider.block}")
        location = response.headers.get("Location")
        block = detect_block(
            response.status, response.url, response.body,
            location.decode("latin-1") if location else None,
            (response.headers.get("Content-Type") or b"").decode("latin-1"),
        )
        if block is None:
            return response
        stats = self.crawler.stats
        stats.inc_value("yuqing/blocks")
        stats.inc_value(f"yuqing/blocks/{block.kind}")
        cookie_key = request.meta.get("pool_cookie")
        pool = getattr(spider, "cookie_pool", None)
        if block.kind == "login" and cookie_key and pool is not None:
            pool.mark_dead(cookie_key, block)
            if pool.has_live():
                logger.warning("cookie %s hit a login wall (%s); retrying with the next cookie", cookie_key, block)
                meta = {k: v for k, v in request.meta.items() if k not in ("pool_cookie", "cookiejar")}
                return request.replace(meta=meta, dont_filter=True, cookies={})
        self._stop(spider, block)
        raise SourceBlocked(str(block))

    def _stop(self, spider, block: Block) -> None:
        if spider.block is None:
            spider.block = block
            logger.error("source %s blocked — %s; stopping this run and pausing the source",
                         spider.source.name, block)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="blocked"))


class CookiePool:
    """The live cookies of one pool for this run (dead ones from earlier runs are skipped)."""

    def __init__(self, cookies: list, dead: set[str]):
        self.cookies = [c for c in cookies if c.key not in dead]
        self.verdicts: dict[str, tuple[str, str]] = {}
        self._cycle = itertools.cycle(range(len(self.cookies))) if self.cookies else None

    def has_live(self) -> bool:
        return any(c.key not in self.verdicts for c in self.cookies)

    def next(self):
        if not self._cycle:
            return None
        for _ in range(len(self.cookies)):
            cookie = self.cookies[next(self._cycle)]
            if cookie.key not in self.verdicts:
                return cookie
        return None

    def mark_dead(self, key: str, block: Block) -> None:
        self.verdicts[key] = (block.kind, block.reason)


class CookiePoolMiddleware(_CrawlerBound):
    def process_request(self, request: Request, spider=None):
        pool = getattr(self.crawler.spider, "cookie_pool", None)
        if pool is None or request.meta.get("pool_cookie") or request.meta.get("no_cookie_pool"):
            return None
        cookie = pool.next()
        if cookie is None:
            return None
        request.meta["pool_cookie"] = cookie.key
        request.meta["cookiejar"] = cookie.key
        if not request.cookies:
            request.cookies = cookie.as_dict()
        return None


class ProxyPoolMiddleware:
    def __init__(self, proxies: list[str]):
        if not proxies:
            raise NotConfigured
        self._cycle = itertools.cycle(proxies)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getlist("YUQING_PROXIES"))

    def process_request(self, request: Request, spider=None):
        if "proxy" not in request.meta:
            request.meta["proxy"] = next(self._cycle)
        return None


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, waiting ``base × 2^(n−1)`` seconds (capped) before retry n."""

    def __init__(self, settings):
        super().__init__(settings)
        self.base = settings.getfloat("YUQING_BACKOFF_SECONDS", 2.0)
        self.cap = settings.getfloat("YUQING_BACKOFF_MAX_SECONDS", 60.0)

    async def _wait(self, result):
        if isinstance(result, Request):
            n = int(result.meta.get("retry_times", 1))
            delay = min(self.base * (2 ** (n - 1)), self.cap)
            self.crawler.stats.inc_value("yuqing/retries")
            if delay > 0:
                logger.info("retry %d of %s in %.1fs", n, result.url, delay)
                await asyncio.sleep(delay)
        return result

    async def process_response(self, request, response, spider=None):  # type: ignore[override]
        return await self._wait(super().process_response(request, response))

    async def process_exception(self, request, exception, spider=None):  # type: ignore[override]
        return await self._wait(super().process_exception(request, exception))


class PageErrorMiddleware(_CrawlerBound):
    def process_spider_exception(self, response: Response, exception: Exception, spider=None):
        spider = self.crawler.spider
        if isinstance(exception, IgnoreRequest):
            return []
        spider.page_failed(response, exception)
        return []
