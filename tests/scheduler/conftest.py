"""Helpers for scheduler tests: sources served by a fake crawl child, a fast clock, run records."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from yuqing.pipeline.core import statedb
from yuqing.pipeline.scheduler.models import JobRun

FAKE_CRAWL = Path(__file__).with_name("fake_crawl.py")


def configure(ctx, tmp_path: Path, sources: list[tuple[str, int]]) -> Path:
    """Write ``sources.yaml`` with (name, minutes) sources and point the crawl command at the
    fake crawler; returns the directory where each crawl child leaves a marker line."""
    (ctx.config_dir / "sources.yaml").write_text(yaml.safe_dump({"sources": [
        {"name": name, "spider": "feed", "feeds": ["http://127.0.0.1:9/feed.xml"], "schedule": {"minutes": minutes}}
        for name, minutes in sources]}), encoding="utf-8")
    markers = tmp_path / "markers"
    markers.mkdir(exist_ok=True)
    cfg = ctx.settings.scheduler
    cfg.crawl_command = [sys.executable, str(FAKE_CRAWL), str(markers), "{source}"]
    # alert jobs (where installed) fire rarely so the fast clock exercises the crawls
    cfg.alerts_evaluate_minutes = cfg.alerts_escalate_minutes = 24 * 60
    cfg.outbox_seconds = 24 * 3600
    cfg.misfire_grace_seconds = 3600  # at 300× a loaded machine's second is five minutes of schedule
    return markers


def run_until(clock, until, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while clock.now() < until:
        assert time.monotonic() < deadline, "fast clock did not reach the end in time"
        time.sleep(0.02)


def wait_for(cond, timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def runs(ctx, job_id: str | None = None) -> list[JobRun]:
    with statedb.session_factory(statedb.engine_for(ctx))() as s:
        q = select(JobRun).order_by(JobRun.scheduled_at, JobRun.id)
        if job_id:
            q = q.where(JobRun.job_id == job_id)
        return list(s.scalars(q))


def marker_count(markers: Path, name: str) -> int:
    path = markers / f"{name}.log"
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.fixture
def json_log(tmp_path):
    """Structured logging into a file for the test; handlers removed afterwards."""
    from yuqing.pipeline.scheduler.logs import setup_logging

    path = tmp_path / "scheduler.log"
    setup_logging(path)
    yield path
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_yuqing", False):
            root.removeHandler(h)
            h.close()
