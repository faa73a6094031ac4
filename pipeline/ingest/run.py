"""Ingest: validated post records in, enriched posts stored.

    read (JSON Lines, validated) → normalise → de-duplicate → classify → link → store
                                                                          ↘ ingest-time alerts

Each batch that passed the stages also goes, while the store writes it, to the ingest-time checks
(:func:`yuqing.pipeline.ingest.stages.default_checks`: high-risk posts and urgent reports alert at
once, :mod:`yuqing.alerts.immediate`).

Stages come from :func:`yuqing.pipeline.ingest.stages.default_stages`. Posts move in batches of
``ingest.batch_size``. Nothing is silently dropped:

* a line that fails validation is counted and written, with its line number and reason, to
  ``rejects/<input name>-<time>.jsonl`` in the data dir;
* a post whose id already came earlier in the same input is counted as a duplicate id;
* a post a stage refuses (e.g. nothing left after removing control characters) or the store refuses
  (e.g. a mapping conflict) is written to the same rejects file with the reason, and counted;
* a batch the store cannot take because it is unreachable is spooled (:mod:`yuqing.pipeline.ingest.spool`)
  and replayed at the next ingest or by ``yuqing store replay``.

Storing is pipelined: while one batch is being written (the store mostly waits on Elasticsearch
or SQLite), the next batch runs through the stages. At most one batch is in flight and batches
are stored in input order, so the report and the spool behave as if it were sequential.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.record import Post, Reject, read_jsonl_path
from yuqing.pipeline.ingest.spool import Spool
from yuqing.pipeline.ingest.stages import Stage, default_checks, default_stages
from yuqing.pipeline.store import open_store
from yuqing.pipeline.store.base import PostStore, StoreUnavailable


@dataclass
class IngestReport:
    read: int = 0
    stored: int = 0          # new posts
    updated: int = 0         # posts that were already stored (same id)
    duplicates: int = 0      # near-duplicates (dup_of set) among the posts read
    duplicate_ids: int = 0   # same id twice in this input; the first is kept
    rejected: int = 0
    failed: int = 0          # refused by the store for a reason of the post itself
    spooled: int = 0         # waiting in the spool because the store was unreachable
    replayed: int = 0        # earlier spooled posts delivered during this run
    alerted: int = 0         # incidents opened or updated at ingest (high-risk posts, urgent reports)
    seconds: float = 0.0
    rejects_file: str | None = None
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


class Ingestor:
    def __init__(self, ctx: Context, *, store: PostStore | None = None, stages: list[Stage] | None = None,
                 on_batch: Callable[[int], None] | None = None, checks: list | None = None):
        self.ctx = ctx
        self.store = store if store is not None else open_store(ctx)
        self.stages = stages if stages is not None else default_stages(ctx)
        self.checks = checks if checks is not None else default_checks(ctx)
        self.batch_size = ctx.settings.ingest.batch_size
        self.spool = Spool(ctx.path("spool"))
        self.on_batch = on_batch
        self._spool_checked = False
        self._rejects_fh: IO[str] | None = None
        self._rejects_name = "input"
        self._rejects_lock = threading.Lock()

    # -- entry points ----------------------------------------------------------------------

    def ingest_path(self, path: str | Path) -> IngestReport:
        name = "stdin" if str(path) == "-" else Path(path).name
        return self.ingest_records(read_jsonl_path(path), input_name=name)

    def ingest_posts(self, posts: Iterable[Post], input_name: str = "posts") -> IngestReport:
        return self.ingest_records(posts, input_name=input_name)

    def ingest_records(self, records: Iterable[Post | Reject], input_name: str = "input") -> IngestReport:
        report = IngestReport()
        started = time.perf_counter()
        seen: set[str] = set()
        batch: list[Post] = []
        self._rejects_name = input_name
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="ingest-store")
        self._in_flight: Future | None = None
        try:
            for rec in records:
                report.read += 1
                if isinstance(rec, Reject):
                    report.rejected += 1
                    self._write_reject(rec, report)
                    continue
                if rec.id in seen:
                    report.duplicate_ids += 1
                    continue
                seen.add(rec.id)
                batch.append(rec)
                if len(batch) >= self.batch_size:
                    self._flush(batch, report)
                    batch = []
            if batch:
                self._flush(batch, report)
            self._wait()
            self._refresh(report)
        finally:
            self._writer.shutdown(wait=True)
            if self._rejects_fh is not None:
                self._rejects_fh.close()
                self._rejects_fh = None
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    # -- internals -------------------------------------------------------------------------

    def _write_reject(self, rec: Reject, report: IngestReport) -> None:
        # called from the main thread (validation, stages) and the store writer (store refusals)
        with self._rejects_lock:
            if self._rejects_fh is None:
                path = self.ctx.path("rejects", f"{self._rejects_name}-{time.strftime('%Y%m%dT%H%M%S')}.jsonl")
                path.parent.mkdir(parents=True, exist_ok=True)
                self._rejects_fh = open(path, "a", encoding="utf-8")
                report.rejects_file = str(path)
            self._rejects_fh.write(rec.to_json() + "\n")

    def _flush(self, batch: list[Post], report: IngestReport) -> None:
        for stage in self.stages:
            stage.process(batch)
            refused = stage.take_rejects() if hasattr(stage, "take_rejects") else []
            if refused:
                gone = {post.id for post, _ in refused}
                batch[:] = [p for p in batch if p.id not in gone]
                for post, reason in refused:
                    report.rejected += 1
                    self._write_reject(Reject(0, f"{stage.name}: {post.id}: {reason}", post.to_json()), report)
        report.duplicates += sum(1 for p in batch if p.dup_of)
        self._wait()
        self._in_flight = self._writer.submit(self._store, batch, report)
        for check in self.checks:
            report.alerted += len(check.check(batch).incidents)

    def _wait(self) -> None:
        """Wait for the batch being stored; re-raise what it raised."""
        if self._in_flight is None:
            return
        future, self._in_flight = self._in_flight, None
        n = future.result()
        if self.on_batch:
            self.on_batch(n)

    def _refresh(self, report: IngestReport) -> None:
        """Make this run's posts visible to the next command (Elasticsearch is near-real-time)."""
        if report.stored or report.updated or report.replayed:
            try:
                self.store.refresh()
            except StoreUnavailable as exc:
                report.errors.append(str(exc))

    def _store(self, batch: list[Post], report: IngestReport) -> int:
        try:
            if not self._spool_checked and self.spool.files():
                replayed = self.spool.replay(self.store)
                report.replayed += replayed.created + replayed.updated
            self._spool_checked = True
            result = self.store.upsert_many(batch)
        except StoreUnavailable as exc:
            self.spool.write(batch)
            report.spooled += len(batch)
            if str(exc) not in report.errors:
                report.errors.append(str(exc))
            return len(batch)
        report.stored += result.created
        report.updated += result.updated
        report.failed += len(result.failed)
        report.errors.extend(f"{pid}: {why}" for pid, why in result.failed[:20])
        if result.failed:
            by_id = {p.id: p for p in batch}
            for pid, why in result.failed:
                raw = by_id[pid].to_json() if pid in by_id else ""
                self._write_reject(Reject(0, f"store: {pid}: {why}", raw), report)
        return len(batch)
