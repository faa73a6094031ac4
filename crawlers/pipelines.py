"""Item pipelines: a spider's dict → a validated :class:`~yuqing.pipeline.core.record.Post` → a sink,
in batches.

``ValidatePipeline`` (300)  drops the spider's private ``_`` keys, validates into ``Post``; an item
    that fails validation is logged with its URL and the field at fault, counted as an error, and
    dropped. The same id twice in one run (a post found by two keywords) is counted a duplicate.
``SinkPipeline`` (800)  collects posts and hands each batch (``crawl.ingest_batch_size``) to the
    configured sink: :class:`IngestSink` → the ``ingest(posts, input_name=…)`` its caller gives
    (``Ingestor.ingest_posts``: normalise, dedupe, classify, link, store — the crawlers never import
    ingest), or :class:`JsonlSink` (``--out FILE``). Counts land in the crawler's stats under
    ``yuqing/…`` for the end-of-run summary.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from scrapy.exceptions import DropItem

from yuqing.pipeline.core.record import Post, describe_validation_error

logger = logging.getLogger(__name__)

#: ``ingest(posts, input_name=...)`` → a report with ``stored updated duplicates spooled failed
#: rejected errors`` (:meth:`yuqing.pipeline.ingest.Ingestor.ingest_posts`)
IngestPosts = Callable[..., Any]


class ValidatePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item, spider=None):
        stats = self.crawler.stats
        data = {k: v for k, v in dict(item).items() if not k.startswith("_")}
        try:
            post = Post.model_validate(data)
        except ValidationError as exc:
            where = data.get("url") or data.get("id") or "?"
            message = f"{where}: invalid post ({describe_validation_error(exc)})"
            logger.error("item dropped — %s", message)
            stats.inc_value("yuqing/errors")
            stats.inc_value("yuqing/invalid_items")
            spider_obj = self.crawler.spider
            if len(spider_obj.error_samples) < 20:
                spider_obj.error_samples.append(message)
            raise DropItem(message) from exc
        if post.id in self.seen:
            stats.inc_value("yuqing/duplicates")
            raise DropItem(f"{post.id} already collected in this run")
        self.seen.add(post.id)
        stats.inc_value("yuqing/items")
        return post


class JsonlSink:
    """Write posts as JSON Lines (``--out``); ``new`` = written."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "w", encoding="utf-8")

    def write(self, posts: list[Post]) -> dict[str, int]:
        for post in posts:
            self.fh.write(post.to_json() + "\n")
        self.fh.flush()
        return {"new": len(posts)}

    def close(self) -> None:
        self.fh.close()


class IngestSink:
    """Hand posts to the ingest stage; ``new`` = newly stored, ``updated`` = already stored.

    An unreachable store is the ingest stage's business (it spools). Any other failure of a batch
    writes the batch to ``<data dir>/crawl/unsaved/`` (JSON Lines, re-ingestable with ``yuqing
    ingest``) and counts it as failed — a crawl never loses what it collected.
    """

    def __init__(self, ctx, source: str, ingest: IngestPosts):
        self.ctx = ctx
        self.ingest = ingest
        self.name = f"crawl-{source}"

    def write(self, posts: list[Post]) -> dict[str, int]:
        try:
            report = self.ingest(posts, input_name=self.name)
        except Exception as exc:  # noqa: BLE001 - keep the batch whatever went wrong
            path = self.ctx.path("crawl", "unsaved", f"{self.name}-{time.strftime('%Y%m%dT%H%M%S')}.jsonl")
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as fh:
                for post in posts:
                    fh.write(post.to_json() + "\n")
            logger.error("ingest failed (%s: %s); %d posts kept in %s", type(exc).__name__, exc, len(posts), path)
            return {"failed": len(posts)}
        for err in report.errors[:5]:
            logger.error("ingest: %s", err)
        return {"new": report.stored, "updated": report.updated, "near_duplicates": report.duplicates,
                "spooled": report.spooled, "failed": report.failed + report.rejected}

    def close(self) -> None:
        pass


class SinkPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.batch: list[Post] = []
        self.size = crawler.settings.getint("YUQING_BATCH_SIZE", 200)
        self.sink = getattr(crawler, "yuqing_sink", None)
        if self.sink is None:
            raise ValueError("no sink on the crawler: crawlers.runner sets crawler.yuqing_sink")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item, spider=None):
        self.batch.append(item)
        if len(self.batch) >= self.size:
            self.flush()
        return item

    def flush(self) -> None:
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        counts = self.sink.write(batch)
        for key, value in counts.items():
            if value:
                self.crawler.stats.inc_value(f"yuqing/{key}", value)
        if counts.get("failed"):
            self.crawler.stats.inc_value("yuqing/errors", counts["failed"])

    def close_spider(self, spider=None):
        try:
            self.flush()
        finally:
            self.sink.close()
