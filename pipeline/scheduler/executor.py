"""The one adapter between the scheduler and APScheduler 3's internals: an executor that tells each
run which time it was scheduled for.

Why it exists
    Runs are recorded keyed by (job id, scheduled time), unique, so that a slot is never run twice —
    not even across a restart. APScheduler 3 calls a job function with its stored arguments only;
    the scheduled time of the run is known solely to the executor, which receives it in
    ``submit_job(job, run_times)``. No public call hands it to the job.

Why this way
    APScheduler's documented extension point for running jobs is a custom executor ("Extending
    APScheduler → Custom executors"): subclass :class:`~apscheduler.executors.base.BaseExecutor`,
    implement its abstract ``_do_submit_job`` hook, run the job with the public
    :func:`~apscheduler.executors.base.run_job` (which also applies the misfire grace time), and
    report the outcome with the base class's ``_run_job_success`` / ``_run_job_error`` (the former
    dispatches the run's events, e.g. ``EVENT_JOB_MISSED``, to the scheduler's listeners). This
    executor does that with a thread pool of its own and sets the scheduled time around each call.
    The alternative — an ``EVENT_JOB_SUBMITTED`` listener (public API) passing the time to the job
    through a per-job handshake — was rejected: APScheduler dispatches that event only after every
    due job has been handed to its thread, so each job would have to block until its time arrived,
    and a run dropped by the misfire check would leave a stale time behind for the next run.

The APScheduler names with a leading underscore used here are that hook, those two reporting
methods, the executor's ``_logger`` (named after its alias by ``BaseExecutor.start``) and
``Job._jobstore_alias`` (set on every job by its job store; APScheduler's own pool executors pass
both to ``run_job`` the same way). Nothing else in ``yuqing`` touches APScheduler internals.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime

from apscheduler.executors.base import BaseExecutor, run_job

#: given a run's scheduled time, a context inside which the job function is called
AroundRun = Callable[[datetime], AbstractContextManager]


class ScheduledTimeExecutor(BaseExecutor):
    """Runs jobs in a thread pool, each run inside ``around_run(scheduled time)``."""

    def __init__(self, max_workers: int, around_run: AroundRun):
        super().__init__()
        self.max_workers = int(max_workers)
        self.around_run = around_run
        self.pool: concurrent.futures.ThreadPoolExecutor | None = None

    def start(self, scheduler, alias):
        super().start(scheduler, alias)
        self.pool = concurrent.futures.ThreadPoolExecutor(self.max_workers, thread_name_prefix=f"job-{alias}")

    def shutdown(self, wait=True):
        if self.pool is not None:
            self.pool.shutdown(wait)

    def _do_submit_job(self, job, run_times):
        assert self.pool is not None, "the executor has not been started"
        future = self.pool.submit(self.run, job, job._jobstore_alias, list(run_times), self._logger.name)
        future.add_done_callback(lambda f: self.report(job.id, f))

    def run(self, job, jobstore_alias: str, run_times: list[datetime], logger_name: str) -> list:
        """APScheduler's ``run_job`` once per scheduled time (one time when runs are coalesced)."""
        events = []
        for at in run_times:
            with self.around_run(at):
                events += run_job(job, jobstore_alias, [at], logger_name)
        return events

    def report(self, job_id: str, future: concurrent.futures.Future) -> None:
        """Tell the scheduler how the submission went (and that the job may run again)."""
        exc = future.exception()
        if exc is not None:
            self._run_job_error(job_id, exc, exc.__traceback__)
        else:
            self._run_job_success(job_id, future.result())
