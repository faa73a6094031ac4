"""The daemon on a fast clock: crawl children on their schedules, failures recorded, restarts that
resume without double runs, downtime coalesced, clean shutdown, one instance per data dir."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta

import apscheduler.executors.base
import apscheduler.schedulers.base
import pytest
from click.testing import CliRunner

from tests.scheduler.conftest import configure, marker_count, run_until, runs, wait_for
from yuqing.pipeline.cli.main import main
from yuqing.pipeline.core.record import SHANGHAI
from yuqing.pipeline.scheduler.service import AlreadyRunning, SchedulerService, job_overview

T0 = datetime(2026, 11, 23, 0, 0, tzinfo=SHANGHAI)
STAGGER = [timedelta(seconds=5 + 20 * i) for i in range(5)]  # first runs: desired_jobs staggers crawls


def _service(fast_clock, ctx, start, speed):
    clock = fast_clock(start, speed)
    service = SchedulerService(ctx, clock=clock, scheduler_factory=clock.scheduler)
    service.start()
    return service, clock


def test_crawls_fire_in_order_and_a_crash_does_not_stop_the_next(ctx, tmp_path, fast_clock, json_log):
    markers = configure(ctx, tmp_path, [("good-a", 10), ("crash-b", 10), ("good-c", 15), ("paused-d", 30)])
    # 200×: a 10-minute slot is 3 s of real time, so a crash run slowed by a loaded machine still ends
    # before the next slot (a skipped run would break crash-b's failure streak checked below)
    service, clock = _service(fast_clock, ctx, T0, speed=200)
    try:
        run_until(clock, T0 + timedelta(minutes=31))
    finally:
        service.stop(grace=10)

    all_runs = [r for r in runs(ctx) if r.job_id.startswith("crawl:")]
    # the first runs come soon after the start, staggered 20 s apart
    base = min(r.scheduled_at for r in all_runs) - STAGGER[0]
    assert T0 <= base < T0 + timedelta(minutes=5)
    # every job ran on its own interval, from its staggered first slot, with no gaps or repeats
    for i, (name, minutes) in enumerate([("good-a", 10), ("crash-b", 10), ("good-c", 15), ("paused-d", 30)]):
        mine = [r for r in all_runs if r.source == name]
        expected = [base + STAGGER[i] + timedelta(minutes=minutes * k) for k in range(len(mine))]
        assert [r.scheduled_at for r in mine] == expected, name
        assert len(mine) >= 29 // minutes, (name, len(mine))
        # skipped: the previous run was still going; not started: submitted as the daemon stopped
        started = [r for r in mine if r.status != "skipped" and not r.message.startswith("not started")]
        assert marker_count(markers, name) == len(started), f"{name}: each recorded run started one child"
    # runs started in the order they were scheduled; at 200× a 20 s stagger is 100 ms of real time,
    # so runs due within a simulated minute of each other may start in either order (thread start-up)
    by_start = sorted(all_runs, key=lambda r: (r.started_at, r.id))
    jitter = timedelta(minutes=1)
    for earlier, later in zip(by_start, by_start[1:], strict=False):
        assert later.scheduled_at >= earlier.scheduled_at - jitter, (earlier.job_id, later.job_id)
    statuses = {r.source: {x.status for x in all_runs if x.source == r.source and not x.message.startswith("not started")}
                - {"skipped"} for r in all_runs}
    assert statuses == {"good-a": {"ok"}, "crash-b": {"failed"}, "good-c": {"ok"}, "paused-d": {"paused"}}
    crash = [r for r in all_runs if r.source == "crash-b" and r.status == "failed"]
    assert all("blew up" in r.message and "exit code 1" in r.message for r in crash)
    # after each failed crash-b run, the scheduler went on: good-a ran later, crash-b ran again
    assert len(crash) >= 3
    assert max(r.started_at for r in all_runs if r.source == "good-a") > crash[0].finished_at
    assert all(r.duration is not None and r.duration >= 0 for r in all_runs)

    # the admins heard once that crash-b keeps failing (third failure in a row); a pause is the
    # crawler's to report (it knows the site's answer), so the scheduler adds no second message
    from sqlalchemy import select

    from yuqing.alerts.models import OutboxMessage
    from yuqing.pipeline.core import statedb

    with statedb.session_factory(statedb.engine_for(ctx))() as s:
        subjects = s.scalars(select(OutboxMessage.subject).where(OutboxMessage.incident_id.is_(None))).all()
    crash_msgs = [m for m in subjects if "crash-b 连续3次采集失败" in m]
    paused_msgs = [m for m in subjects if "paused-d 已暂停" in m]
    assert crash_msgs and not paused_msgs
    assert not any("good-a" in m for m in subjects)

    # structured logs: one JSON object a line, naming the job and the source
    lines = [json.loads(line) for line in json_log.read_text(encoding="utf-8").splitlines()]
    failed = [x for x in lines if x.get("event") == "job finished" and x.get("status") == "failed"]
    assert failed and all(x["job"] == "crawl:crash-b" and x["source"] == "crash-b" for x in failed)
    assert any(x.get("event") == "crawl child exited" and x.get("source") == "good-a" for x in lines)

    # `yuqing jobs` shows last run, result and next run
    result = CliRunner().invoke(main, ["--config-dir", str(ctx.config_dir), "--data-dir", str(ctx.data_dir),
                                       "jobs", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads(result.output[result.output.index("["):])}
    # (skipped on a slow machine; interrupted when submitted just as the daemon stopped)
    assert rows["crawl:crash-b"]["last_status"] in ("failed", "skipped", "interrupted")
    assert rows["crawl:good-a"]["last_status"] in ("ok", "skipped", "interrupted")
    assert rows["crawl:paused-d"]["runs"]["paused"] >= 1 and rows["crawl:crash-b"]["runs"]["failed"] >= 3
    assert rows["crawl:good-a"]["runs"]["ok"] == marker_count(markers, "good-a")
    assert rows["crawl:good-a"]["next_run"] is not None and rows["briefing:weekly"]["next_run"].startswith("2026-11-23T08:00")


def test_restart_resumes_without_double_runs_and_coalesces_downtime(ctx, tmp_path, fast_clock):
    markers = configure(ctx, tmp_path, [("good-a", 10)])

    service, clock = _service(fast_clock, ctx, T0, speed=300)
    try:
        run_until(clock, T0 + timedelta(minutes=22))
    finally:
        service.stop(grace=10)
    stopped_at = clock.now()
    first = runs(ctx, "crawl:good-a")[0].scheduled_at
    assert T0 + STAGGER[0] <= first < T0 + STAGGER[0] + timedelta(minutes=5)
    assert [r.scheduled_at for r in runs(ctx, "crawl:good-a")] == [first + timedelta(minutes=10 * k) for k in range(3)]

    # restart right away: the stored next run time is kept, nothing runs twice or early
    service, clock = _service(fast_clock, ctx, stopped_at, speed=300)
    try:
        run_until(clock, T0 + timedelta(minutes=42))
    finally:
        service.stop(grace=10)
    sched = [r.scheduled_at for r in runs(ctx, "crawl:good-a")]
    assert sched == [first + timedelta(minutes=10 * k) for k in range(5)]

    # 30 minutes of downtime: the three missed runs become one, then the schedule goes on
    service, clock = _service(fast_clock, ctx, T0 + timedelta(minutes=75), speed=300)
    try:
        run_until(clock, T0 + timedelta(minutes=84))
    finally:
        service.stop(grace=10)
    sched = [r.scheduled_at for r in runs(ctx, "crawl:good-a")]
    assert sched[:5] == [first + timedelta(minutes=10 * k) for k in range(5)]
    assert sched[5:] == [first + timedelta(minutes=70), first + timedelta(minutes=80)]
    started = [r for r in runs(ctx, "crawl:good-a")   # skipped / not started: a slow machine, shutdown
               if r.status != "skipped" and not r.message.startswith("not started")]
    assert len(sched) == len(set(sched)) and len(started) == marker_count(markers, "good-a")
    assert {r.status for r in started} == {"ok"}


def test_shutdown_interrupts_a_long_crawl_and_lets_a_short_one_finish(ctx, tmp_path, fast_clock, monkeypatch):
    markers = configure(ctx, tmp_path, [("slow-a", 60)])
    monkeypatch.setenv("FAKE_CRAWL_SLEEP", "30")
    service, clock = _service(fast_clock, ctx, T0, speed=60)
    try:
        wait_for(lambda: marker_count(markers, "slow-a") == 1, what="the slow crawl to start")
    finally:
        service.stop(grace=0.3)
    (run,) = runs(ctx, "crawl:slow-a")
    assert run.status == "interrupted"
    pid = int((markers / "slow-a.log").read_text().split()[0])
    wait_for(lambda: not _alive(pid), timeout=10, what="the crawl child to exit")

    monkeypatch.setenv("FAKE_CRAWL_SLEEP", "0.7")
    service, clock = _service(fast_clock, ctx, T0 + timedelta(hours=1, minutes=1), speed=60)
    try:
        wait_for(lambda: marker_count(markers, "slow-a") == 2, what="the second crawl to start")
    finally:
        service.stop(grace=20)
    last = runs(ctx, "crawl:slow-a")[-1]
    assert last.status == "ok" and last.duration >= 0.7


def test_one_instance_per_data_dir(ctx, tmp_path, fast_clock):
    configure(ctx, tmp_path, [("good-a", 10)])
    service, _clock = _service(fast_clock, ctx, T0, speed=1)
    try:
        other = SchedulerService(ctx)
        with pytest.raises(AlreadyRunning, match="already running"):
            other.start()
    finally:
        service.stop(grace=5)
    # the lock is released on stop: a new instance may start
    service, _clock = _service(fast_clock, ctx, T0, speed=1)
    service.stop(grace=5)


def test_removed_source_loses_its_job(ctx, tmp_path, fast_clock):
    configure(ctx, tmp_path, [("good-a", 10), ("good-b", 10)])
    service, clock = _service(fast_clock, ctx, T0, speed=1)
    service.stop(grace=5)
    configure(ctx, tmp_path, [("good-a", 10)])
    service, clock = _service(fast_clock, ctx, T0, speed=1)
    try:
        ids = {j.id for j in service.scheduler.get_jobs()}
    finally:
        service.stop(grace=5)
    assert "crawl:good-a" in ids and "crawl:good-b" not in ids
    assert {r["id"] for r in job_overview(ctx)} >= {"crawl:good-a", "briefing:weekly"}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone for our purposes
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_a_run_missed_beyond_the_grace_time_is_recorded_as_missed(ctx, tmp_path, fast_clock):
    markers = configure(ctx, tmp_path, [("good-a", 10)])
    ctx.settings.scheduler.misfire_grace_seconds = 60
    service, clock = _service(fast_clock, ctx, T0, speed=300)
    try:
        run_until(clock, T0 + timedelta(minutes=12))
    finally:
        service.stop(grace=10)
    first = runs(ctx, "crawl:good-a")[0].scheduled_at
    service, clock = _service(fast_clock, ctx, T0 + timedelta(minutes=45), speed=300)   # down for half an hour
    try:
        run_until(clock, T0 + timedelta(minutes=53))
    finally:
        service.stop(grace=10)
    after = [r for r in runs(ctx, "crawl:good-a") if r.scheduled_at > first + timedelta(minutes=10)]
    # the three missed slots coalesce into the latest, which is past the grace time: recorded, not run
    assert [(r.scheduled_at - first, r.status) for r in after][:2] == [
        (timedelta(minutes=40), "missed"), (timedelta(minutes=50), "ok")]
    assert marker_count(markers, "good-a") == len([r for r in runs(ctx, "crawl:good-a") if r.status == "ok"])


def test_on_the_wall_clock_runs_are_recorded_at_their_scheduled_times(ctx, tmp_path):
    """The production set-up — wall clock, plain BackgroundScheduler — patches nothing in APScheduler."""
    configure(ctx, tmp_path, [("good-a", 10)])
    ctx.settings.scheduler.outbox_seconds = 1
    before = datetime.now(SHANGHAI)
    service = SchedulerService(ctx)
    service.start()
    try:
        assert apscheduler.schedulers.base.datetime is datetime and apscheduler.executors.base.datetime is datetime
        wait_for(lambda: len([r for r in runs(ctx, "alerts:outbox") if r.status != "running"]) >= 2,
                 timeout=30, what="two outbox runs")
    finally:
        service.stop(grace=10)
    first, second = runs(ctx, "alerts:outbox")[:2]
    # the first run is due a second after the start; each run is keyed by its slot, not by when it began
    assert before + timedelta(seconds=1) <= first.scheduled_at <= datetime.now(SHANGHAI)
    assert second.scheduled_at - first.scheduled_at == timedelta(seconds=1)
    assert first.started_at >= first.scheduled_at and {first.status, second.status} == {"ok"}
