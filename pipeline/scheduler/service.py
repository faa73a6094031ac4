"""The scheduler service behind ``yuqing run`` (see the package docstring for the design)."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import obj_to_ref
from filelock import FileLock, Timeout
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from yuqing.crawlers.sources import SourceConfig, load_sources
from yuqing.pipeline.core import statedb
from yuqing.pipeline.scheduler import jobs
from yuqing.pipeline.scheduler.clock import Clock, WallClock
from yuqing.pipeline.scheduler.executor import ScheduledTimeExecutor
from yuqing.pipeline.scheduler.models import JobRun

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context

log = logging.getLogger("yuqing.scheduler")

JOBS_TABLE = "scheduler_jobs"
LOCK_FILE = "scheduler.lock"
PID_FILE = "scheduler.pid"


class AlreadyRunning(Exception):
    """Another ``yuqing run`` holds this data dir."""


# --- what should be scheduled -----------------------------------------------------------------


@dataclass
class JobSpec:
    id: str
    name: str                 # Chinese, shown by `yuqing jobs`
    func: Any
    trigger: Any
    args: tuple = ()
    source: str | None = None
    misfire_grace_time: int | None = None

    @property
    def signature(self) -> tuple:
        return _signature(obj_to_ref(self.func), self.args, self.trigger, self.name, self.misfire_grace_time)


def _job_signature(job) -> tuple:
    """The signature of a stored job, to compare with :attr:`JobSpec.signature`."""
    return _signature(job.func_ref, job.args, job.trigger, job.name, job.misfire_grace_time)


def _signature(func_ref: str, args, trigger, name: str, misfire_grace_time: int | None) -> tuple:
    """What makes a job the same job: an unchanged signature keeps the stored next run time."""
    tz = getattr(trigger, "timezone", None)
    return (func_ref, tuple(args), str(trigger), str(tz), name, misfire_grace_time)


def _source_trigger(src: SourceConfig, tz, start: datetime):
    """The trigger of a source's ``schedule`` (validated by :mod:`yuqing.crawlers.sources`:
    exactly one of ``cron`` and ``minutes``)."""
    if src.schedule.cron:
        return CronTrigger.from_crontab(src.schedule.cron, timezone=tz)
    return IntervalTrigger(minutes=float(src.schedule.minutes), start_date=start, timezone=tz)


def desired_jobs(ctx: Context, now: datetime) -> list[JobSpec]:
    """Every job the configuration asks for. ``now`` anchors interval triggers (first run soon
    after a fresh start, crawls staggered 20 s apart so they do not all start at once)."""
    return _crawl_jobs(ctx, now) + _alert_jobs(ctx, now) + _briefing_jobs(ctx)


def _crawl_jobs(ctx: Context, now: datetime) -> list[JobSpec]:
    grace = ctx.settings.scheduler.misfire_grace_seconds
    sources = [s for s in load_sources(ctx) if s.enabled]
    return [JobSpec(f"crawl:{src.name}", f"采集 {src.name}", jobs.crawl,
                    _source_trigger(src, ctx.tz, now + timedelta(seconds=5 + 20 * i)), (src.name,), src.name, grace)
            for i, src in enumerate(sources)]


def _alert_jobs(ctx: Context, now: datetime) -> list[JobSpec]:
    cfg, tz = ctx.settings.scheduler, ctx.tz

    def every(delay_s: int, **interval) -> IntervalTrigger:
        return IntervalTrigger(**interval, start_date=now + timedelta(seconds=delay_s), timezone=tz)

    grace = cfg.misfire_grace_seconds
    return [
        JobSpec("alerts:evaluate", "预警研判", jobs.evaluate_alerts,
                every(2, minutes=cfg.alerts_evaluate_minutes), misfire_grace_time=grace),
        JobSpec("alerts:escalate", "超时升级", jobs.escalate_alerts,
                every(3, minutes=cfg.alerts_escalate_minutes), misfire_grace_time=grace),
        JobSpec("alerts:outbox", "消息投递", jobs.deliver_outbox,
                every(1, seconds=cfg.outbox_seconds), misfire_grace_time=max(60, int(cfg.outbox_seconds * 4))),
    ]


def _briefing_jobs(ctx: Context) -> list[JobSpec]:
    """The briefings and the nightly pruning: cron jobs, late by up to hours after downtime."""
    bcfg, tz = ctx.settings.briefing, ctx.tz
    grace = int(ctx.settings.scheduler.briefing_misfire_grace_hours * 3600)
    specs = [JobSpec("briefing:weekly", "舆情周报", jobs.weekly_briefing,
                     CronTrigger.from_crontab(bcfg.weekly_cron, timezone=tz), misfire_grace_time=grace)]
    if bcfg.daily_digest:
        specs.append(JobSpec("briefing:daily", "舆情日报", jobs.daily_digest,
                             CronTrigger.from_crontab(bcfg.daily_cron, timezone=tz), misfire_grace_time=grace))
    specs.append(JobSpec("maintenance:prune", "清理运行记录", jobs.prune_history,
                         CronTrigger.from_crontab("30 3 * * *", timezone=tz), misfire_grace_time=grace))
    return specs


# --- APScheduler pieces -----------------------------------------------------------------------


def open_jobstore(ctx: Context) -> SQLAlchemyJobStore:
    return SQLAlchemyJobStore(engine=statedb.engine_for(ctx), tablename=JOBS_TABLE)


#: builds the (not yet started) scheduler from APScheduler options; tests pass one on a fast clock
SchedulerFactory = Callable[..., BaseScheduler]


# --- the service --------------------------------------------------------------------------------


class SchedulerService:
    """``yuqing run``: the scheduler, its jobs synced from the configuration, and a clean stop.

    ``clock`` is the time the service and its jobs record and compute with, ``scheduler_factory``
    makes the APScheduler scheduler; both default to the real thing (wall clock,
    ``BackgroundScheduler``) and are given by tests that run days of schedule in seconds."""

    def __init__(self, ctx: Context, clock: Clock | None = None,
                 scheduler_factory: SchedulerFactory = BackgroundScheduler):
        self.ctx = ctx
        self.clock = clock or WallClock()
        self.scheduler_factory = scheduler_factory
        self.runtime = jobs.Runtime(ctx=ctx, clock=self.clock)
        self.scheduler: BaseScheduler | None = None
        self._lock = FileLock(str(ctx.path(LOCK_FILE)))
        self._pid_file = ctx.data_dir / PID_FILE
        self._stop = threading.Event()
        self._stopped = False

    # lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._acquire_lock()
        try:
            self._pid_file.write_text(str(os.getpid()))
            statedb.ensure_schema(self.ctx)  # every state table, once, before concurrent jobs start
            jobs.install(self.runtime)
            n = jobs.mark_interrupted(self.runtime, reason="the daemon stopped before this run finished")
            if n:
                log.warning("runs left unfinished by the previous daemon marked interrupted", extra={"runs": n})
            self.scheduler = self._new_scheduler()
            self.scheduler.start(paused=True)
            self.sync_jobs()
            self.scheduler.resume()
        except BaseException:
            self._shutdown_scheduler()
            self._release()
            raise
        log.info("scheduler started", extra={"data_dir": str(self.ctx.data_dir.resolve()),
                                              "jobs": len(self.scheduler.get_jobs())})

    def _acquire_lock(self) -> None:
        try:
            self._lock.acquire(timeout=0)
        except Timeout as exc:
            pid = self._pid_file.read_text().strip() if self._pid_file.exists() else "?"
            raise AlreadyRunning(f"another `yuqing run` (pid {pid}) is already running for data dir "
                                 f"{self.ctx.data_dir.resolve()}") from exc

    def _new_scheduler(self) -> BaseScheduler:
        """Jobs in the state DB; runs coalesced, never overlapping, late by at most the grace time."""
        cfg = self.ctx.settings.scheduler
        scheduler = self.scheduler_factory(
            timezone=self.ctx.tz, jobstores={"default": open_jobstore(self.ctx)},
            executors={"default": ScheduledTimeExecutor(cfg.max_workers, jobs.scheduled_for)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": cfg.misfire_grace_seconds})
        scheduler.add_listener(self._on_not_run, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        return scheduler

    def sync_jobs(self) -> dict[str, list[str]]:
        """Make the job store match the configuration; unchanged jobs keep their next run."""
        assert self.scheduler is not None
        changes: dict[str, list[str]] = {"added": [], "updated": [], "kept": [], "removed": []}
        specs = desired_jobs(self.ctx, self.clock.now(self.ctx.tz))
        existing = {j.id: j for j in self.scheduler.get_jobs()}
        for spec in specs:
            job = existing.get(spec.id)
            if job is not None and _job_signature(job) == spec.signature:
                changes["kept"].append(spec.id)
                continue
            self._add_job(spec)
            changes["updated" if job is not None else "added"].append(spec.id)
        for job_id in existing.keys() - {s.id for s in specs}:
            self.scheduler.remove_job(job_id)
            changes["removed"].append(job_id)
        log.info("jobs synced with the configuration", extra={k: v for k, v in changes.items() if v})
        return changes

    def _add_job(self, spec: JobSpec) -> None:
        assert self.scheduler is not None
        # an interval job's first run is its start date even if setting up took longer than that
        first = spec.trigger.start_date if isinstance(spec.trigger, IntervalTrigger) else None
        extra = {"next_run_time": first} if first is not None else {}
        self.scheduler.add_job(spec.func, spec.trigger, args=spec.args, id=spec.id, name=spec.name,
                               misfire_grace_time=spec.misfire_grace_time, replace_existing=True, **extra)

    def _on_not_run(self, event) -> None:
        """Record runs APScheduler skipped: missed beyond the grace time, or still running."""
        if event.code == EVENT_JOB_MISSED:
            times, status = [event.scheduled_run_time], "missed"
            message = "missed its time by more than the misfire grace time"
        else:
            times, status = list(event.scheduled_run_times), "skipped"
            message = "the previous run was still going (runs never overlap)"
        job_id = event.job_id
        source = job_id.split(":", 1)[1] if job_id.startswith("crawl:") else None
        Session = self.runtime.sessions()
        now = self.clock.now()
        for at in times:
            with Session() as s:
                s.add(JobRun(job_id=job_id, source=source, scheduled_at=at, started_at=now, finished_at=now,
                             duration=0.0, status=status, message=message, instance=self.runtime.instance))
                try:
                    s.commit()
                except IntegrityError:
                    s.rollback()
        log.warning(f"job not run: {message}", extra={"job": job_id, "source": source, "status": status})

    def request_stop(self) -> None:
        self._stop.set()

    def stop(self, grace: float | None = None) -> None:
        """Stop scheduling; let running jobs finish for ``grace`` seconds, then stop crawl children
        and record what is still running as interrupted."""
        if self._stopped:
            return
        self._stopped = True
        rt = self.runtime
        grace = self.ctx.settings.scheduler.shutdown_grace_seconds if grace is None else grace
        rt.stopping.set()
        log.info("scheduler stopping", extra={"running": sorted(rt.active.values()), "grace_seconds": grace})
        self._shutdown_scheduler()
        if not self._wait_idle(grace) and jobs.stop_children(rt, signal.SIGTERM):
            log.warning("crawl children asked to stop", extra={"running": sorted(rt.active.values())})
            if not self._wait_idle(10) and jobs.stop_children(rt, signal.SIGKILL):
                self._wait_idle(5)
        n = jobs.mark_interrupted(rt, instance=rt.instance, reason="stopped by shutdown before the run finished")
        log.info("scheduler stopped", extra={"interrupted": n})
        self._release()

    def _shutdown_scheduler(self) -> None:
        """Stop scheduling new runs; runs already going carry on."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def _wait_idle(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self.runtime.lock:
                if not self.runtime.active:
                    return True
            time.sleep(0.05)
        with self.runtime.lock:
            return not self.runtime.active

    def _release(self) -> None:
        if not self.runtime.active:
            jobs.install(None)
        try:
            self._pid_file.unlink(missing_ok=True)
        finally:
            if self._lock.is_locked:
                self._lock.release()

    def run_forever(self) -> None:
        """Start, then block until SIGTERM/SIGINT (a second signal stops crawl children at once)."""

        def on_signal(signum, _frame):
            if self._stop.is_set():
                log.warning("second signal: stopping crawl children now")
                jobs.stop_children(self.runtime, signal.SIGTERM)
            log.info("signal received", extra={"signal": signal.Signals(signum).name})
            self._stop.set()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            while not self._stop.wait(1.0):
                pass
        finally:
            self.stop()
            for s, handler in previous.items():
                signal.signal(s, handler)


# --- reporting (yuqing jobs) -------------------------------------------------------------------


def describe_trigger(trigger) -> str:
    """``cron 0 8 * * mon`` or ``every 30 min`` / ``every 15 s``."""
    if isinstance(trigger, CronTrigger):
        f = {fld.name: str(fld) for fld in trigger.fields}
        return f"cron {f['minute']} {f['hour']} {f['day']} {f['month']} {f['day_of_week']}"
    if isinstance(trigger, IntervalTrigger):
        secs = trigger.interval.total_seconds()
        return f"every {secs / 60:g} min" if secs >= 60 else f"every {secs:g} s"
    return str(trigger)


def job_overview(ctx: Context) -> list[dict[str, Any]]:
    """Every job — configured or stored — with its trigger, next run and last run."""
    engine = statedb.ensure_schema(ctx)
    store = open_jobstore(ctx)
    store.start(BackgroundScheduler(timezone=ctx.tz), "default")
    stored = {j.id: j for j in store.get_all_jobs()}
    now = datetime.now(ctx.tz)
    specs = {s.id: s for s in desired_jobs(ctx, now)}
    last_runs, counts = _run_summary(engine)
    # configured jobs first, then jobs only in the store, then jobs known only from their runs
    job_ids = dict.fromkeys([*specs, *stored, *last_runs])
    return [_overview_row(ctx, job_id, specs.get(job_id), stored.get(job_id), last_runs.get(job_id),
                          counts.get(job_id, {}), now) for job_id in job_ids]


def _run_summary(engine) -> tuple[dict[str, JobRun], dict[str, dict[str, int]]]:
    """Each job's latest run, and how many runs it had of each status."""
    Session = statedb.session_factory(engine)
    with Session() as s:
        latest = select(JobRun.job_id, func.max(JobRun.id).label("last")).group_by(JobRun.job_id).subquery()
        last_runs = {r.job_id: r for r in s.scalars(select(JobRun).join(latest, JobRun.id == latest.c.last))}
        counts: dict[str, dict[str, int]] = {}
        for job_id, status, n in s.execute(
                select(JobRun.job_id, JobRun.status, func.count()).group_by(JobRun.job_id, JobRun.status)):
            counts.setdefault(job_id, {})[status] = n
    return last_runs, counts


def _overview_row(ctx: Context, job_id: str, spec: JobSpec | None, job, run: JobRun | None,
                  runs: dict[str, int], now: datetime) -> dict[str, Any]:
    """One line of ``yuqing jobs``: the stored job if there is one, else what the configuration asks for."""
    if job is not None:
        name, trigger, next_run = job.name, job.trigger, job.next_run_time
    elif spec is not None:
        name, trigger, next_run = spec.name, spec.trigger, spec.trigger.get_next_fire_time(None, now)
    else:
        name, trigger, next_run = "", None, None
    return {
        "id": job_id, "name": name,
        "trigger": describe_trigger(trigger) if trigger else "", "configured": spec is not None,
        "scheduled": job is not None,
        "next_run": next_run.astimezone(ctx.tz).isoformat() if next_run else None,
        "last_run": run.started_at.astimezone(ctx.tz).isoformat() if run else None,
        "last_status": run.status if run else None, "last_duration": run.duration if run else None,
        "last_message": (run.message or "").strip().splitlines()[-1][:200] if run and run.message else "",
        "runs": runs,
    }


def recent_runs(ctx: Context, job_id: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    engine = statedb.ensure_schema(ctx)
    with statedb.session_factory(engine)() as s:
        q = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
        if job_id:
            q = q.where(JobRun.job_id == job_id)
        return [r.as_dict() for r in s.scalars(q)]
