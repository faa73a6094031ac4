"""What every source spider shares: targets, floors (incremental), page limits, error accounting.

A spider is built for one :class:`yuqing.crawlers.sources.SourceConfig`. Each keyword / account / board /
feed is a *target* with its own cursor. ``floors[target]`` is the oldest publish time the run needs
(``--since``, else cursor − look-back, else ``None`` = everything up to ``max_pages``). Listing pages
are walked newest first; a target's walk ends when a page reaches the floor, when there is no next
page, or at ``max_pages`` — only then is the target *complete*, and only complete targets without
errors advance their cursor (see :mod:`yuqing.crawlers.state`).

Items are plain dicts in the post-record shape; keys starting with ``_`` are for the spider only
and are dropped by the validation pipeline.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import scrapy
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from yuqing.crawlers.middlewares import SourceBlocked
from yuqing.crawlers.sources import SourceConfig
from yuqing.crawlers.timeparse import server_now

logger = logging.getLogger(__name__)


def target_key(kind: str, value: str) -> str:
    return f"{kind}:{value}"


class SourceSpider(scrapy.Spider):
    name = "source"
    kind = "base"

    def __init__(self, source: SourceConfig, floors: dict[str, datetime | None] | None = None,
                 max_pages: int | None = None, cookie_pool=None, **kwargs: Any):
        super().__init__(name=source.name, **kwargs)
        self.source = source
        self.base = source.base.rstrip("/")
        self.floors = floors or {}
        self.max_pages = max_pages or source.max_pages
        self.cookie_pool = cookie_pool
        self.block = None                     # set by BlockDetectionMiddleware
        self.newest: dict[str, tuple[datetime, str]] = {}
        self.completed: set[str] = set()
        self.failed: dict[str, str] = {}
        self.error_samples: list[str] = []
        self.deleted = 0

    # -- requests ------------------------------------------------------------------------

    def request(self, url: str, callback, target: str, errback=None, **meta: Any) -> Request:
        meta["target"] = target
        return Request(url, callback=callback, errback=errback or self.on_request_error, meta=meta,
                       dont_filter=meta.pop("dont_filter", False))

    def now(self, response: Response) -> datetime:
        """When the server rendered the page (relative times resolve against it)."""
        return server_now(response.headers.get("Date"))

    # -- incremental -----------------------------------------------------------------------

    def floor(self, target: str) -> datetime | None:
        return self.floors.get(target)

    def is_new(self, target: str, published_at: str | datetime | None) -> bool:
        floor = self.floor(target)
        if floor is None or published_at is None:
            return True
        when = datetime.fromisoformat(published_at) if isinstance(published_at, str) else published_at
        return when >= floor

    def reached_floor(self, target: str, times: list[str | datetime | None]) -> bool:
        """True when this page already holds something older than the floor (stop paging)."""
        return any(t is not None and not self.is_new(target, t) for t in times)

    def more_pages(self, target: str, page: int, times: list, has_next: bool) -> bool:
        """Follow the next listing page? Otherwise the target's walk is complete."""
        if has_next and page < self.max_pages and not self.reached_floor(target, times):
            return True
        self.completed.add(target)
        return False

    def emit(self, target: str, post: dict, advance_cursor: bool = True) -> dict:
        """Account for a post about to be yielded (cursor bookkeeping)."""
        if advance_cursor:
            when = datetime.fromisoformat(post["published_at"])
            cur = self.newest.get(target)
            if cur is None or when > cur[0]:
                self.newest[target] = (when, post["id"])
        post["_target"] = target
        return post

    # -- failures ------------------------------------------------------------------------

    def _record_error(self, target: str | None, message: str) -> None:
        self.crawler.stats.inc_value("yuqing/errors")
        if len(self.error_samples) < 20:
            self.error_samples.append(message)
        if target:
            self.failed.setdefault(target, message)

    def page_failed(self, response: Response, exc: Exception) -> None:
        """A page that could not be parsed: logged with its URL, skipped, cursor held back."""
        message = f"{response.url}: {type(exc).__name__}: {exc}"
        logger.error("malformed page skipped — %s", message)
        self._record_error(response.meta.get("target"), message)

    def on_request_error(self, failure: Failure):
        request = failure.request
        if failure.check(SourceBlocked):
            self.failed.setdefault(request.meta.get("target", ""), "blocked")
            return None
        value = failure.value
        status = getattr(getattr(value, "response", None), "status", None)
        what = f"HTTP {status}" if status else f"{type(value).__name__}: {value}"
        message = f"{request.url}: {what}"
        logger.error("request failed — %s", message)
        self._record_error(request.meta.get("target"), message)
        return None
