"""Run one source once, in this process, with Scrapy's CrawlerProcess — the body of ``yuqing crawl``.

Steps: take the source's run lock (a second concurrent run of the same source fails at once) →
refuse if the source is paused (exit 3) unless forced → compute each target's floor (``--since``,
else cursor − look-back) → build Scrapy settings (project :mod:`yuqing.crawlers.settings` + the source's
politeness + credentials + sink) → crawl → turn the crawler's stats into a :class:`RunRecord` →
advance cursors of complete, error-free targets, or pause the source on a block → record the run
and review health (alerting administrators on a change).

The Twisted reactor cannot be restarted, so one process runs one source; the scheduler starts
``yuqing crawl NAME`` as a child process and reads the exit code:
``0`` ok (possibly with some skipped pages), ``3`` paused for a ban/captcha/login wall,
``1`` failed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from filelock import FileLock, Timeout

from yuqing.crawlers.credentials import load_cookie_pools, load_proxies
from yuqing.crawlers.health import Health, Notify, assess, review
from yuqing.crawlers.middlewares import CookiePool
from yuqing.crawlers.pipelines import IngestPosts, IngestSink, JsonlSink
from yuqing.crawlers.sources import SourceConfig
from yuqing.crawlers.spiders import SPIDER_CLASSES
from yuqing.crawlers.state import RunRecord, SourceState, iso, parse_iso, utcnow

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_PAUSED = 0, 1, 3


class CrawlError(Exception):
    """The run could not start (already running, bad credentials file, …)."""


@dataclass
class CrawlOutcome:
    run: RunRecord
    exit_code: int
    health: Health
    paused_until: datetime | None = None
    health_event: dict | None = None


def scrapy_settings(ctx, source: SourceConfig, proxies: list[str]):
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("yuqing.crawlers.settings", priority="project")
    pol = source.effective_politeness()
    cfg = ctx.settings.crawl
    overrides = {
        "DOWNLOAD_DELAY": pol["download_delay"],
        "RANDOMIZE_DOWNLOAD_DELAY": pol["download_delay"] > 0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": pol["concurrency"],
        "AUTOTHROTTLE_ENABLED": pol["autothrottle"],
        "AUTOTHROTTLE_START_DELAY": max(pol["download_delay"], 0.5),
        "RETRY_TIMES": pol["retries"],
        "RETRY_ENABLED": pol["retries"] > 0,
        "YUQING_BACKOFF_SECONDS": pol["backoff_seconds"],
        "YUQING_BACKOFF_MAX_SECONDS": pol["backoff_max_seconds"],
        "DOWNLOAD_TIMEOUT": pol["timeout_seconds"],
        "USER_AGENT": cfg.user_agent,
        "LOG_LEVEL": cfg.log_level,
        "YUQING_BATCH_SIZE": cfg.ingest_batch_size,
        "YUQING_PROXIES": proxies,
    }
    settings.setdict(overrides, priority="cmdline")
    return settings


def run_source(ctx, source: SourceConfig, *, out: str | Path | None = None, max_pages: int | None = None,
               since: datetime | None = None, force: bool = False, ingest: IngestPosts | None = None,
               notify: Notify | None = None) -> CrawlOutcome:
    """Crawl ``source`` once. Posts go to ``out`` (JSON Lines) or to ``ingest(posts, input_name=…)``;
    health changes are sent with ``notify(ctx, subject, body)``. Both are given by the caller (the
    ``yuqing crawl`` command passes ``Ingestor(ctx).ingest_posts`` and ``yuqing.alerts.api.notify_admins``)."""
    if out is None and ingest is None:
        raise CrawlError("nowhere to put the posts: give an output file or an ingest function")
    lock_path = ctx.path("crawl", f"{source.name}.run.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_path), timeout=0)
    try:
        lock.acquire()
    except Timeout as exc:
        raise CrawlError(f"source {source.name} is already being crawled (lock {lock_path})") from exc
    try:
        return _run_locked(ctx, source, out=out, max_pages=max_pages, since=since, force=force,
                           ingest=ingest, notify=notify)
    finally:
        lock.release()


def _run_locked(ctx, source, *, out, max_pages, since, force, ingest, notify) -> CrawlOutcome:
    started = utcnow()
    state = SourceState.load(ctx.data_dir, source.name)
    paused = state.paused_until(started)
    if paused and not force:
        run = RunRecord(source=source.name, started_at=iso(started), finished_at=iso(utcnow()), status="skipped",
                        block_kind=state.data.get("pause_kind"), block_reason=state.data.get("pause_reason"))
        return CrawlOutcome(run, EXIT_PAUSED, assess(ctx, source, state, started), paused_until=paused)
    floors = {key: since if since is not None else state.floor(key, source.lookback_hours)
              for key in (f"{kind}:{value}" for kind, value in source.targets())}
    pool = _cookie_pool(ctx, source, state)
    proxies = load_proxies(ctx)
    sink = _open_sink(ctx, source, out, ingest)
    crawler = _crawl(ctx, source, proxies, sink, floors=floors, max_pages=max_pages, cookie_pool=pool)
    finished = utcnow()
    run = _run_record(source, crawler, started, finished, out)
    with SourceState.locked(ctx.data_dir, source.name) as state:
        paused_until = _settle(ctx, state, run, crawler.spider, pool, finished)
        event = review(ctx, source, state, finished, notify)
        health = assess(ctx, source, state, finished)
    code = {"blocked": EXIT_PAUSED, "failed": EXIT_FAILED}.get(run.status, EXIT_OK)
    return CrawlOutcome(run, code, health, paused_until=paused_until, health_event=event)


def _cookie_pool(ctx, source: SourceConfig, state: SourceState) -> CookiePool | None:
    """The source's cookies less those marked dead; None when it has none (or all are dead)."""
    cookies = load_cookie_pools(ctx).get(source.pool, [])
    if not cookies:
        return None
    pool = CookiePool(cookies, state.dead_cookies())
    if not pool.cookies:
        logger.warning("every cookie of pool %s is marked dead; crawling without cookies "
                       "(refresh them and run `yuqing sources check`)", source.pool)
        return None
    return pool


def _open_sink(ctx, source: SourceConfig, out, ingest: IngestPosts | None):
    """Where the posts go; an unusable store or output file fails before anything is fetched."""
    try:
        return JsonlSink(Path(out)) if out else IngestSink(ctx, source.name, ingest)
    except Exception as exc:
        raise CrawlError(f"cannot open the {'output file' if out else 'post store'}: {type(exc).__name__}: {exc}") from exc


def _crawl(ctx, source: SourceConfig, proxies: list[str], sink, **spider_args):
    """Run the source's spider to the end in a Scrapy CrawlerProcess; return its crawler."""
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(scrapy_settings(ctx, source, proxies))
    crawler = process.create_crawler(SPIDER_CLASSES[source.spider])
    crawler.yuqing_sink = sink  # objects are not settings (settings get deep-copied)
    process.crawl(crawler, source=source, **spider_args)
    process.start()
    return crawler


def _run_record(source: SourceConfig, crawler, started: datetime, finished: datetime, out) -> RunRecord:
    """The run as recorded: counts from the crawler's stats, and its status."""
    spider = crawler.spider
    stats = crawler.stats.get_stats()
    get = lambda key: int(stats.get(f"yuqing/{key}", 0))  # noqa: E731
    run = RunRecord(
        source=source.name, started_at=iso(started), finished_at=iso(finished),
        pages=int(stats.get("response_received_count", 0)), items=get("items"), new=get("new"),
        updated=get("updated"), duplicates=get("duplicates") + get("updated") + get("near_duplicates"),
        errors=get("errors"), bans=get("blocks"), deleted=get("deleted"), spooled=get("spooled"),
        error_samples=list(spider.error_samples), out=str(out) if out else None,
    )
    newest = max((t for t, _ in spider.newest.values()), default=None)
    run.newest_item_at = iso(newest)
    reason = stats.get("finish_reason", "")
    if spider.block is not None:
        run.status, run.block_kind, run.block_reason = "blocked", spider.block.kind, spider.block.reason
    elif reason not in ("finished",) or (run.errors and not run.items and not spider.completed):
        run.status = "failed"
        if reason not in ("finished",):
            run.error_samples.append(f"crawl ended: {reason}")
    elif run.errors:
        run.status = "partial"
    return run


def _settle(ctx, state: SourceState, run: RunRecord, spider, pool: CookiePool | None,
            finished: datetime) -> datetime | None:
    """Record the run in the (locked) state: cookie verdicts, then a pause on a block or else the
    cursors of complete, error-free targets. Returns the end of the pause, if any."""
    paused_until = None
    if pool is not None:
        for key, (kind, why) in pool.verdicts.items():
            state.cookie_verdict(key, kind, why, finished)
    if run.status == "blocked":
        paused_until = state.pause(run.block_kind, run.block_reason, finished,
                                   ctx.settings.crawl.pause_minutes, ctx.settings.crawl.max_pause_hours)
    else:
        if state.data.get("paused_until"):
            state.resume()
        for target in spider.completed:
            if target in spider.failed or target not in spider.newest:
                continue
            when, post_id = spider.newest[target]
            state.advance(target, when, post_id, finished)
    state.add_run(run, ctx.settings.crawl.history)
    return paused_until


def describe_cursor(state: SourceState) -> str:
    """Short text of a source's cursors for listings."""
    curs = state.data["cursors"]
    if not curs:
        return "—"
    newest = max((parse_iso(c["newest_at"]) for c in curs.values() if c.get("newest_at")), default=None)
    return f"{len(curs)} target(s), newest {newest.isoformat() if newest else '—'}"
