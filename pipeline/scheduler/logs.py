"""Structured logs for the daemon: one JSON object a line on stderr (and in
``data_dir/logs/scheduler.log``), with ``ts``, ``level``, ``logger``, ``event`` and — inside a job —
``job`` and ``source``, plus any ``extra=`` fields the caller gave."""

from __future__ import annotations

import contextvars
import json
import logging
import logging.handlers
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

current_job: contextvars.ContextVar[str | None] = contextvars.ContextVar("job", default=None)
current_source: contextvars.ContextVar[str | None] = contextvars.ContextVar("source", default=None)

_STD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


@contextmanager
def job_context(job: str, source: str | None):
    t1, t2 = current_job.set(job), current_source.set(source)
    try:
        yield
    finally:
        current_job.reset(t1)
        current_source.reset(t2)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
               "level": record.levelname.lower(), "logger": record.name, "event": record.getMessage()}
        job, source = current_job.get(), current_source.get()
        if job:
            out["job"] = job
        if source:
            out["source"] = source
        for key, value in vars(record).items():
            if key not in _STD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def setup_logging(log_file: Path | None, level: int = logging.INFO) -> None:
    """Route every logger to JSON lines on stderr and, if given, a rotating file."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_yuqing", False):
            root.removeHandler(h)
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.handlers.RotatingFileHandler(log_file, maxBytes=20_000_000, backupCount=5,
                                                             encoding="utf-8"))
    for h in handlers:
        h.setFormatter(JsonFormatter())
        h._yuqing = True  # type: ignore[attr-defined]
        root.addHandler(h)
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(max(level, logging.INFO))
    # Alembic narrates every start (plugins, dialect); yuqing.statedb logs what an upgrade changed
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))
