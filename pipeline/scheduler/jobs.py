"""The daemon's job functions and the bookkeeping around every run.

Job functions are module-level and take only strings, because APScheduler's SQLAlchemy job store
pickles a *reference* to the function and its arguments. What they need at run time (the context,
the clock, the crawl children) is the :class:`Runtime` the service installs in this module.

Every run goes through :func:`recorded`: it claims the run's slot — a ``scheduler_runs`` row keyed
by job id and scheduled time (unique) — runs the work inside a log context naming the job and the
source, and records the status, duration and a message.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from filelock import FileLock, Timeout
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from yuqing.alerts import api
from yuqing.alerts.api import notify_admins
from yuqing.pipeline.briefing.build import build, build_daily, build_weekly, mail_briefing
from yuqing.pipeline.briefing.labels import load_labels
from yuqing.pipeline.briefing.mail import MailError
from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.statedb import engine_for, session_factory
from yuqing.pipeline.scheduler.clock import Clock, WallClock
from yuqing.pipeline.scheduler.logs import job_context
from yuqing.pipeline.scheduler.models import JobRun

log = logging.getLogger("yuqing.scheduler")

#: exit code of ``yuqing crawl`` when the source is paused (ban, captcha, login wall)
EXIT_PAUSED = 3
# ``python -m yuqing crawl`` loads only the crawl command (subcommands are imported when they run)
DEFAULT_CRAWL_COMMAND = ["{python}", "-m", "yuqing", "--config-dir", "{config_dir}",
                         "--data-dir", "{data_dir}", "crawl", "{source}"]


@dataclass
class Runtime:
    """What running jobs share inside one daemon process."""

    ctx: Context
    clock: Clock = field(default_factory=WallClock)
    instance: str = field(default_factory=lambda: f"{os.uname().nodename}:{os.getpid()}")
    stopping: threading.Event = field(default_factory=threading.Event)
    children: dict[int, subprocess.Popen] = field(default_factory=dict)
    active: dict[int, str] = field(default_factory=dict)   # run id → job id
    signalled: set[int] = field(default_factory=set)       # crawl children told to stop at shutdown
    lock: threading.Lock = field(default_factory=threading.Lock)

    def new_context(self) -> Context:
        """A context of its own for one job (stores are not shared between threads)."""

        return Context(config_dir=self.ctx.config_dir, data_dir=self.ctx.data_dir, settings=self.ctx.settings)

    def sessions(self):
        return session_factory(engine_for(self.ctx))


_runtime: Runtime | None = None
_scheduled = threading.local()


def install(runtime: Runtime | None) -> None:
    global _runtime
    _runtime = runtime


def runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError("no scheduler runtime installed: job functions run inside `yuqing run`")
    return _runtime


@contextmanager
def scheduled_for(at: datetime | None):
    """Tell :func:`recorded` (in this thread) which scheduled time the run is for; the scheduler's
    executor (:mod:`.executor`) calls every job inside it."""
    _scheduled.at = at
    try:
        yield
    finally:
        _scheduled.at = None


# --- run records -------------------------------------------------------------------------------


def _claim(rt: Runtime, job_id: str, source: str | None, scheduled: datetime) -> int | None:
    Session = rt.sessions()
    with Session() as s:
        run = JobRun(job_id=job_id, source=source, scheduled_at=scheduled, started_at=rt.clock.now(),
                     status="running", message="", instance=rt.instance)
        s.add(run)
        try:
            s.commit()
        except IntegrityError:
            s.rollback()
            return None
        return run.id


def _finish(rt: Runtime, run_id: int, status: str, message: str, duration: float) -> None:
    Session = rt.sessions()
    with Session() as s:
        s.execute(update(JobRun).where(JobRun.id == run_id).values(
            status=status, message=message[:4000], duration=round(duration, 3), finished_at=rt.clock.now()))
        s.commit()


def mark_interrupted(rt: Runtime, *, instance: str | None = None, reason: str) -> int:
    """Close ``running`` rows (of one instance, or all) as ``interrupted``; returns how many."""
    Session = rt.sessions()
    with Session() as s:
        q = update(JobRun).where(JobRun.status == "running")
        if instance is not None:
            q = q.where(JobRun.instance == instance)
        n = s.execute(q.values(status="interrupted", message=reason, finished_at=rt.clock.now())).rowcount
        s.commit()
    return n


Work = Callable[[Runtime], "tuple[str, str]"]


def recorded(job_id: str, source: str | None, work: Work) -> str:
    """Run ``work`` as one recorded run of ``job_id``; returns the status."""
    rt = runtime()
    scheduled = getattr(_scheduled, "at", None) or rt.clock.now()
    with job_context(job_id, source):
        run_id = _claim(rt, job_id, source, scheduled)
        if run_id is None:
            log.warning("run already claimed, not repeated", extra={"scheduled_at": scheduled.isoformat()})
            return "duplicate"
        if rt.stopping.is_set():  # submitted just before shutdown: claim the slot, do not start
            _finish(rt, run_id, "interrupted", "not started: the daemon was stopping", 0.0)
            log.warning("job not started: the daemon is stopping")
            return "interrupted"
        with rt.lock:
            rt.active[run_id] = job_id
        log.info("job started", extra={"scheduled_at": scheduled.isoformat(), "run": run_id})
        t0 = time.monotonic()
        status, message = "failed", ""
        try:
            status, message = work(rt)
        except Exception as exc:  # a job's failure is recorded, never kills the daemon
            status, message = "failed", f"{type(exc).__name__}: {exc}"
            log.exception("job failed")
        finally:
            duration = time.monotonic() - t0
            _finish(rt, run_id, status, message, duration)
            with rt.lock:
                rt.active.pop(run_id, None)
            log.log(logging.WARNING if status in ("failed", "interrupted") else logging.INFO, "job finished",
                    extra={"status": status, "duration": round(duration, 3), "detail": message[:500], "run": run_id})
        if status == "failed":  # a pause is reported by the crawler itself, with the site's answer
            _tell_admins(rt, job_id, source, status, message)
        return status


def _failure_streak(rt: Runtime, job_id: str) -> int:
    """How many of the job's latest runs in a row did not succeed."""
    with rt.sessions()() as s:
        statuses = s.scalars(select(JobRun.status).where(JobRun.job_id == job_id, JobRun.status != "running")
                             .order_by(JobRun.id.desc()).limit(50)).all()
    n = 0
    for st in statuses:
        if st not in ("failed", "paused"):
            break
        n += 1
    return n


def _tell_admins(rt: Runtime, job_id: str, source: str | None, status: str, message: str) -> None:
    """System-health message to the admins (``yuqing.alerts.api.notify_admins``) once per failure streak:
    at the first failed briefing, the N-th failure in a row otherwise."""
    threshold = 1 if job_id.startswith("briefing:") \
        else rt.ctx.settings.scheduler.notify_after_failures
    streak = _failure_streak(rt, job_id)
    if streak != threshold:
        return
    if source:
        subject = f"采集源 {source} 连续{streak}次采集失败"
    else:
        subject = f"任务 {job_id} 连续{streak}次失败"
    body = (f"{subject}。\n最近一次：{rt.clock.now().astimezone(rt.ctx.tz):%Y-%m-%d %H:%M}\n{message[-1500:]}\n\n"
            f"查看：yuqing jobs --history 20 --job {job_id}")
    ctx = rt.new_context()
    try:
        notify_admins(ctx, subject, body, at=rt.clock.now())
        log.warning("admins notified", extra={"subject": subject})
    except Exception:  # telling the admins must never break the daemon
        log.exception("admins could not be notified")
    finally:
        ctx.close()


# --- crawls ------------------------------------------------------------------------------------


def crawl_command(ctx: Context, source: str) -> list[str]:
    template = ctx.settings.scheduler.crawl_command or DEFAULT_CRAWL_COMMAND
    values = {"python": sys.executable, "config_dir": str(ctx.config_dir.resolve()),
              "data_dir": str(ctx.data_dir.resolve()), "source": source}
    return [part.format(**values) for part in template]


def _tail(text: str, lines: int = 12, chars: int = 1500) -> str:
    out = "\n".join(text.strip().splitlines()[-lines:])
    return out[-chars:]


def stop_children(rt: Runtime, sig: int = signal.SIGTERM) -> int:
    """Signal every running crawl child's process group; returns how many were signalled."""
    with rt.lock:
        procs = list(rt.children.values())
    for proc in procs:
        rt.signalled.add(proc.pid)
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
    return len(procs)


def _run_crawl(rt: Runtime, name: str) -> tuple[str, str]:
    ctx = rt.ctx
    lock = FileLock(str(ctx.path("locks") / f"crawl-{name}.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return "skipped", "the previous crawl of this source still holds its lock"
    try:
        cmd = crawl_command(ctx, name)
        log.info("crawl child starting", extra={"command": shlex.join(cmd)})
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                text=True, errors="replace", start_new_session=True)
        with rt.lock:
            rt.children[proc.pid] = proc
        timeout = ctx.settings.scheduler.crawl_timeout_minutes * 60
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            return "failed", f"killed after {timeout / 60:g} min (crawl_timeout_minutes)\n{_tail(out)}"
        finally:
            with rt.lock:
                rt.children.pop(proc.pid, None)
        rc = proc.returncode
        log.info("crawl child exited", extra={"exit_code": rc, "pid": proc.pid})
        if rc == 0:
            return "ok", _tail(out, lines=3, chars=500)
        if rc == EXIT_PAUSED:
            return "paused", f"source paused (exit 3): {_tail(out)}"
        if rt.stopping.is_set() and (rc < 0 or proc.pid in rt.signalled):
            return "interrupted", f"stopped by shutdown (exit code {rc}): {_tail(out, lines=3, chars=300)}"
        return "failed", f"exit code {rc}: {_tail(out)}"
    finally:
        lock.release()


def crawl(name: str) -> str:
    """Scheduled crawl of one configured source (``yuqing crawl NAME`` in a child process)."""
    return recorded(f"crawl:{name}", name, lambda rt: _run_crawl(rt, name))


# --- alerts ------------------------------------------------------------------------------------


def _alerts(fn: Callable[..., object], describe: Callable[[object], str]) -> Work:
    """A job running ``fn(ctx, now)`` of :mod:`yuqing.alerts.api`; ``describe`` says what it did."""
    def work(rt: Runtime) -> tuple[str, str]:
        ctx = rt.new_context()
        try:
            return "ok", describe(fn(ctx, rt.clock.now()))[:1000]
        finally:
            ctx.close()
    return work


def evaluate_alerts() -> str:
    """Evaluate the alert rules over the recent posts (``yuqing.alerts.api.evaluate``)."""
    return recorded("alerts:evaluate", None, _alerts(
        api.evaluate, lambda report: json.dumps(report.as_dict(), ensure_ascii=False, default=str)))


def escalate_alerts() -> str:
    """Escalate incidents nobody acknowledged in time (``yuqing.alerts.api.escalate``)."""
    return recorded("alerts:escalate", None, _alerts(api.escalate, lambda n: f"{n} escalated"))


def deliver_outbox() -> str:
    """Deliver pending notifications (``yuqing.alerts.api.deliver_outbox``)."""
    return recorded("alerts:outbox", None, _alerts(api.deliver_outbox, lambda n: f"{n} sent"))


# --- briefings ---------------------------------------------------------------------------------


def _briefing(kind: str) -> Work:
    def work(rt: Runtime) -> tuple[str, str]:

        ctx = rt.new_context()
        try:
            cfg = ctx.settings.briefing
            builder = build_weekly if kind == "weekly" else build_daily
            result = builder(ctx, None, cfg.unit, None, now=rt.clock.now())
            recipients = cfg.recipients if kind == "weekly" else (cfg.daily_recipients or cfg.recipients)
            message = f"{result.period.key}: {result.data['overview']['posts']} posts → {result.paths['docx']}"
            status = "ok"
            if not recipients:
                message += " (no recipients configured, not mailed)"
            else:
                try:
                    mail_briefing(ctx, result, recipients)
                    message += f"; mailed to {len(recipients)}"
                except MailError as exc:
                    status, message = "failed", f"{message}; mail failed: {exc}"
            if kind == "weekly" and cfg.unit_briefings:
                done, errors = _unit_briefings(ctx, result, rt.clock.now())
                message += f"; {done} unit briefings mailed"
                if errors:
                    status, message = "failed", message + "; " + "; ".join(errors[:5])
            return status, message
        finally:
            ctx.close()
    return work


def _unit_briefings(ctx: Context, district, now: datetime) -> tuple[int, list[str]]:
    """Each unit one level below the scope that had posts gets its own briefing, mailed to the
    e-mail addresses of its duty roster. Returns (mailed, errors)."""

    labels = load_labels(ctx)
    if labels.org is None:
        return 0, ["unit briefings need the union hierarchy (org.yaml)"]
    done, errors = 0, []
    for row in district.data["units"]["rows"]:
        unit = labels.org.get(row["unit"])
        emails = sorted({o.email for o in unit.roster if o.email}) if unit else []
        if not row["posts"] or not emails:
            continue
        try:
            result = build(ctx, district.period, row["unit"], None, now=now)
            mail_briefing(ctx, result, emails)
            done += 1
        except (MailError, OSError, ValueError) as exc:
            errors.append(f"{row['unit']}: {exc}")
            log.warning("unit briefing failed", extra={"unit": row["unit"], "error": str(exc)})
    return done, errors


def weekly_briefing() -> str:
    """Build, archive and mail the weekly briefing of the week that just ended."""
    return recorded("briefing:weekly", None, _briefing("weekly"))


def daily_digest() -> str:
    """Build, archive and mail yesterday's digest."""
    return recorded("briefing:daily", None, _briefing("daily"))


def _prune(rt: Runtime) -> tuple[str, str]:
    cutoff = rt.clock.now() - timedelta(days=rt.ctx.settings.scheduler.history_days)
    with rt.sessions()() as s:
        n = s.execute(delete(JobRun).where(JobRun.started_at < cutoff, JobRun.status != "running")).rowcount
        s.commit()
    return "ok", f"{n} old run records deleted"


def prune_history() -> str:
    """Delete job-run records older than ``scheduler.history_days``."""
    return recorded("maintenance:prune", None, _prune)
