"""Open the post store the settings (or ``YUQING_ES_URL``) select."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.store.base import PostStore

if TYPE_CHECKING:
    from pipeline.context import Context


def open_store(ctx: Context) -> PostStore:
    cfg = ctx.settings.store
    if cfg.backend == "elasticsearch":
        from pipeline.store.elastic import ElasticStore

        return ElasticStore(cfg.elasticsearch, tz=ctx.tz)
    from pipeline.store.sqlite import SqliteStore

    return SqliteStore(ctx.path(cfg.sqlite.path), tz=ctx.tz)
