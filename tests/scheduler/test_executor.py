"""The scheduled-time executor on a real APScheduler ``BackgroundScheduler`` and the wall clock: each
run is called inside ``around_run(its scheduled time)``, misfires and failures reach the scheduler."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from apscheduler.events import EVENT_JOB_MISSED
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from tests.scheduler.conftest import wait_for
from yuqing.pipeline.scheduler.executor import ScheduledTimeExecutor

_current = threading.local()


@contextmanager
def _at(when: datetime):
    _current.at = when
    try:
        yield
    finally:
        _current.at = None


def _scheduler(around_run=_at, **job_defaults) -> BackgroundScheduler:
    return BackgroundScheduler(timezone=timezone.utc, executors={"default": ScheduledTimeExecutor(2, around_run)},
                               job_defaults=job_defaults)


def test_each_run_knows_its_scheduled_time():
    seen: list[tuple[str, datetime]] = []
    scheduler = _scheduler(coalesce=False, misfire_grace_time=60)
    scheduler.start()
    try:
        due = datetime.now(timezone.utc) + timedelta(seconds=0.3)
        scheduler.add_job(lambda: seen.append(("once", _current.at)), DateTrigger(due))
        # three slots already past when the job is added: without coalescing, three calls, one a slot
        start = datetime.now(timezone.utc) - timedelta(seconds=2.5)
        scheduler.add_job(lambda: seen.append(("every", _current.at)),
                          IntervalTrigger(seconds=1, start_date=start), next_run_time=start)
        wait_for(lambda: len(seen) >= 4, timeout=10, what="the runs")
    finally:
        scheduler.shutdown(wait=True)
    assert ("once", due) in seen
    every = [at for name, at in seen if name == "every"]
    assert every[:3] == [start + timedelta(seconds=k) for k in range(3)]
    assert getattr(_current, "at", None) is None   # the test thread never saw a scheduled time


def test_a_run_past_its_grace_time_is_reported_missed_not_called():
    called, missed = [], []
    scheduler = _scheduler(misfire_grace_time=1)
    scheduler.add_listener(lambda e: missed.append(e.scheduled_run_time), EVENT_JOB_MISSED)
    scheduler.start()
    try:
        late = datetime.now(timezone.utc) - timedelta(seconds=30)
        scheduler.add_job(lambda: called.append(1), DateTrigger(late), next_run_time=late)
        wait_for(lambda: missed, timeout=10, what="the missed event")
    finally:
        scheduler.shutdown(wait=True)
    assert missed == [late] and not called


def test_a_failing_run_frees_its_instance_for_the_next():
    calls: list[datetime] = []

    @contextmanager
    def failing_first(when: datetime):
        if not calls:
            calls.append(when)
            raise RuntimeError("around_run failed")
        with _at(when):
            yield

    ran: list[datetime] = []
    scheduler = _scheduler(failing_first, max_instances=1, misfire_grace_time=60)
    scheduler.start()
    try:
        start = datetime.now(timezone.utc) + timedelta(seconds=0.2)
        scheduler.add_job(lambda: ran.append(_current.at), IntervalTrigger(seconds=0.5, start_date=start))
        wait_for(lambda: ran, timeout=10, what="a run after the failed one")
    finally:
        scheduler.shutdown(wait=True)
    assert calls == [start] and ran[0] == start + timedelta(seconds=0.5)
