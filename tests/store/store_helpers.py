"""Helpers for the store tests: write JSON Lines, ingest with the model-free stages, and a store
loaded once with the generated dataset together with the posts it was given."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from store_reference import Recorder

from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.record import Post
from yuqing.pipeline.dedupe import DedupeStage
from yuqing.pipeline.ingest import Ingestor, IngestReport
from yuqing.pipeline.normalise import NormaliseStage
from yuqing.pipeline.store import open_store
from yuqing.pipeline.store.base import PostStore

ROOT = Path(__file__).resolve().parent.parent.parent


def write_jsonl(path: Path, records) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


def ingest(ctx: Context, path: Path, recorder: Recorder | None = None) -> IngestReport:
    """Ingest with the stages that exist without models: normalise + dedupe, then store; a
    ``recorder`` keeps the posts as they went to the store."""
    stages = [NormaliseStage(ctx.settings.ingest.max_content_chars), DedupeStage(ctx)]
    report = Ingestor(ctx, stages=stages + ([recorder] if recorder else [])).ingest_path(path)
    open_store(ctx).refresh()
    return report


@dataclass
class Loaded:
    """A store holding the dataset: its context, the ingest report and the posts it was given."""

    ctx: Context
    report: IngestReport
    posts: list[Post]

    @property
    def store(self) -> PostStore:
        return open_store(self.ctx)


def load(root: Path, dataset: Path, environ: dict[str, str]) -> Loaded:
    """A context under ``root`` (own copy of ``config/``) on the backend ``environ`` selects,
    with ``dataset`` ingested."""
    shutil.copytree(ROOT / "config", root / "config")
    ctx = Context.load(root / "config", root / "var", environ=environ)
    recorder = Recorder()
    report = ingest(ctx, dataset, recorder)
    return Loaded(ctx, report, recorder.posts)
