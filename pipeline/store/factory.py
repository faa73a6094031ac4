"""Open the post store the settings (or ``YUQING_ES_URL``) select."""

from __future__ import annotations

from typing import TYPE_CHECKING

from yuqing.pipeline.store.base import PostStore

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context


def build_store(ctx: Context) -> PostStore:
    """A new store of the configured backend (the caller closes it)."""
    cfg = ctx.settings.store
    # each backend is imported when chosen: each pulls in its own client library
    if cfg.backend == "elasticsearch":
        from yuqing.pipeline.store.elastic import ElasticStore

        return ElasticStore(cfg.elasticsearch, tz=ctx.tz)
    from yuqing.pipeline.store.sqlite import SqliteStore

    return SqliteStore(ctx.path(cfg.sqlite.path), tz=ctx.tz)


def open_store(ctx: Context) -> PostStore:
    """The configured post store, opened once per context and closed with it."""
    return ctx.shared("store", lambda: build_store(ctx))
