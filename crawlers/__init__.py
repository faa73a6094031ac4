"""The crawlers: a Scrapy project that turns configured sources into post records.

Layout (one job per module, data flows one way)::

    config/sources.yaml ─► sources.py (SourceConfig, load_sources)
                               │
    yuqing crawl NAME ─► runner.py ─► CrawlerProcess(settings.py + per-source politeness)
                               │
          spiders/<kind>.py  (thin: build requests, call a parser, yield items/requests)
               │   uses parsers/<kind>.py  (pure functions: bytes/text in, plain dicts out)
               │        and timeparse.py / htmltext.py (site time formats, HTML → text)
               ▼
    middlewares.py   downloader: cookie pool, proxies, ban/captcha/login-wall detection
                     (blocking.py decides; the source is paused, never hammered),
                     retry with exponential backoff; spider: malformed page → logged, skipped
               ▼
    pipelines.py     item → pipeline.record.Post (validated) → batches →
                     pipeline.ingest.Ingestor.ingest_posts  or  JSON Lines (--out)
               ▼
    state.py         per-source cursors (bounded look-back), run history, pause state
    health.py        freshness / error and ban rates; stale or banned → alerts.api.notify_admins

    credentials.py   cookie pools and proxies from the files/env vars named in settings
    preflight.py     ``yuqing sources check``: which cookies still get real pages

``cli.py`` adds ``yuqing crawl``, ``yuqing sources`` (``check``, ``health``, ``resume``);
``python -m crawlers`` runs the same commands without loading the other areas' modules.
"""
