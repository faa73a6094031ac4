"""The daemon (``yuqing run``): one long-running APScheduler 3 service that keeps the network going.

Design
    :mod:`.service`  :class:`SchedulerService` — a ``BackgroundScheduler`` whose jobs live in a
                     persistent ``SQLAlchemyJobStore`` (table ``scheduler_jobs`` in the state DB),
                     so next-run times survive restarts; jobs are synced from the configuration at
                     start (a job whose trigger is unchanged keeps its next run time, a removed source
                     loses its job); coalescing + a misfire grace time turn the runs missed during
                     downtime into one; a file lock in the data dir allows one instance per data dir;
                     SIGTERM/SIGINT stop scheduling, let running jobs finish for
                     ``shutdown_grace_seconds``, then stop crawl children and record what was cut
                     short as ``interrupted``.
    :mod:`.jobs`     the job functions (module-level, so the job store can pickle references to
                     them): ``crawl(name)`` runs ``yuqing crawl NAME`` in a child process under a
                     per-source file lock (exit 3 = source paused); ``evaluate_alerts``,
                     ``escalate_alerts``, ``deliver_outbox`` call ``yuqing.alerts.api``; ``weekly_briefing``
                     and ``daily_digest`` build, archive and mail the briefing; ``prune_history``.
                     Every run is recorded (:mod:`.models`) with its scheduled time, which is unique
                     per job: a run can never happen twice, even across a restart.
    :mod:`.models`   the ``scheduler_runs`` table on :class:`yuqing.pipeline.core.statedb.Base`.
    :mod:`.executor` the one adapter to APScheduler internals: a custom executor (its documented
                     extension point) that runs each job knowing the time the run was scheduled for.
    :mod:`.clock`    the time source (the wall clock). The service takes its clock and its scheduler
                     factory as arguments, so tests run days of schedule in seconds on a fast clock
                     of their own (``tests/scheduler/fastclock.py``); production code never patches
                     APScheduler.
    :mod:`.logs`     structured logs: one JSON object a line, tagged with the job and the source.
    :mod:`.cli`      ``yuqing run`` and ``yuqing jobs``.
"""
