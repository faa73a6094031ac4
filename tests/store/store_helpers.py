"""Helpers for the store tests: write JSON Lines, ingest with the model-free stages."""

from __future__ import annotations

import json
from pathlib import Path

from yuqing.pipeline.core.context import Context
from yuqing.pipeline.dedupe import DedupeStage
from yuqing.pipeline.ingest import Ingestor, IngestReport
from yuqing.pipeline.normalise import NormaliseStage
from yuqing.pipeline.store import open_store

ROOT = Path(__file__).resolve().parent.parent.parent


def write_jsonl(path: Path, records) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


def ingest(ctx: Context, path: Path) -> IngestReport:
    """Ingest with the stages that exist without models: normalise + dedupe, then store."""
    stages = [NormaliseStage(ctx.settings.ingest.max_content_chars), DedupeStage(ctx)]
    report = Ingestor(ctx, stages=stages).ingest_path(path)
    open_store(ctx).refresh()
    return report
