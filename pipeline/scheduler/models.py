"""Job-run records in the state database (table ``scheduler_runs``).

One row a run: the job id (``crawl:NAME``, ``alerts:evaluate`` …), the source for crawls, the time
the run was *scheduled* for, when it started and finished, its status and a message (the tail of
a failed crawl's output, a briefing's path …). ``(job_id, scheduled_at)`` is unique: inserting the
row is how a run claims its slot, so the same scheduled run cannot execute twice.

Statuses: ``running``, ``ok``, ``failed``, ``paused`` (crawl exit code 3: ban, captcha, login
wall), ``skipped`` (the previous run still going; a part not installed), ``missed`` (later than
the misfire grace time, e.g. after long downtime), ``interrupted`` (the daemon stopped or died
during the run).
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, Float, Index, Integer, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yuqing.pipeline.core.statedb import Base

STATUSES = ("running", "ok", "failed", "paused", "skipped", "missed", "interrupted")


class UTCDateTime(TypeDecorator):
    """Aware datetimes stored as UTC (SQLite keeps no offsets), read back aware in UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


class JobRun(Base):
    __tablename__ = "scheduler_runs"
    __table_args__ = (UniqueConstraint("job_id", "scheduled_at", name="uq_scheduler_runs_slot"),
                      Index("ix_scheduler_runs_job_started", "job_id", "started_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(200), nullable=False)
    source: Mapped[str | None] = mapped_column(String(100))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="running")
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
    instance: Mapped[str] = mapped_column(String(100), nullable=False, default="")

    def as_dict(self) -> dict:
        return {"id": self.id, "job_id": self.job_id, "source": self.source,
                "scheduled_at": self.scheduled_at.isoformat(), "started_at": self.started_at.isoformat(),
                "finished_at": self.finished_at.isoformat() if self.finished_at else None,
                "duration": self.duration, "status": self.status, "message": self.message}
