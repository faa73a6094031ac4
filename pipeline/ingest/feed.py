"""Feeding single posts through the whole ingest — the way a grassroots report (信息报送) made in the
console or by ``yuqing report submit`` enters: one :class:`~yuqing.pipeline.ingest.run.Ingestor` per
context (its stages, the classifier model and the linker built once), used one call at a time."""

from __future__ import annotations

import threading
from collections.abc import Callable

from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.record import Post
from yuqing.pipeline.ingest.run import Ingestor, IngestReport


class _Feeder:
    def __init__(self, ctx: Context):
        self.ingestor = Ingestor(ctx)
        self.lock = threading.Lock()

    def __call__(self, posts: list[Post]) -> IngestReport:
        with self.lock:
            report = self.ingestor.ingest_posts(posts, input_name="reports")
        if report.failed or report.rejected:
            raise RuntimeError("; ".join(report.errors) or f"post refused (see {report.rejects_file})")
        return report


def post_feeder(ctx: Context) -> Callable[[list[Post]], IngestReport]:
    """``feed(posts)`` → the ingest report; raises when a post was refused."""
    return ctx.shared("ingest.feeder", lambda: _Feeder(ctx))
