"""A fast clock for scheduler tests: hours of schedule in seconds of real time.

The service takes its clock and its scheduler factory from the caller, so a test passes a
:class:`FastClock` and its :meth:`FastClock.scheduler` (the ``fast_clock`` fixture makes the clock)::

    clock = fast_clock(start, speed=300)
    service = SchedulerService(ctx, clock=clock, scheduler_factory=clock.scheduler)

APScheduler 3 has no time source to inject: it reads ``datetime.now`` in its scheduler loop
(``apscheduler.schedulers.base``) and in the executors' misfire check (``apscheduler.executors.base``),
and sleeps until the next due job in real seconds. So, in the tests only:

* :func:`use_for_apscheduler` points the ``datetime`` name of those two modules at the fast clock
  (with pytest's ``monkeypatch``: undone when the test ends, after the daemon's last job has read
  the time — a job still queued at shutdown checks its misfire grace time on the same clock);
* :class:`FastScheduler` wakes itself every ``tick`` real seconds through the public ``wakeup()``
  rather than sleeping for what would be fast seconds (at the default 50 ms, about 3 % of a core
  while idle; a due job starts at most one tick — 15 s of schedule at 300× — late).

The clock stands still at ``start`` until its scheduler starts, so the setup before (state tables,
the previous daemon's leftovers) takes no simulated time and a job due just after ``start`` is not
missed on a loaded machine.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone, tzinfo

import apscheduler.executors.base
import apscheduler.schedulers.base
import pytest
from apscheduler.schedulers.background import BackgroundScheduler

#: the APScheduler modules that read the time with ``datetime.now``
TIME_READERS = (apscheduler.schedulers.base, apscheduler.executors.base)


class FastClock:
    def __init__(self, start: datetime, speed: float = 60.0, tick: float = 0.05):
        if start.tzinfo is None:
            raise ValueError("FastClock start must be timezone-aware")
        self.start, self.speed, self.tick = start, float(speed), tick
        self._t0: float | None = None

    def now(self, tz: tzinfo | None = None) -> datetime:
        elapsed = 0.0 if self._t0 is None else time.monotonic() - self._t0
        return (self.start + timedelta(seconds=elapsed * self.speed)).astimezone(tz or timezone.utc)

    def begin(self) -> None:
        """Start moving (once)."""
        if self._t0 is None:
            self._t0 = time.monotonic()

    def scheduler(self, **options) -> FastScheduler:
        """The scheduler factory for :class:`SchedulerService`."""
        return FastScheduler(self, **options)


class _FastDatetime:
    """Stands in for ``datetime`` inside the :data:`TIME_READERS` (they only call ``now``)."""

    def __init__(self, clock: FastClock):
        self.clock = clock

    def now(self, tz: tzinfo | None = None) -> datetime:
        return self.clock.now(tz)


def use_for_apscheduler(monkeypatch: pytest.MonkeyPatch, clock: FastClock) -> None:
    """Make APScheduler read ``clock`` until the test ends (or the next call)."""
    for module in TIME_READERS:
        monkeypatch.setattr(module, "datetime", _FastDatetime(clock))


def apscheduler_clock() -> FastClock | None:
    """The fast clock APScheduler reads now, if any."""
    shims = {getattr(module.datetime, "clock", None) for module in TIME_READERS}
    return shims.pop() if len(shims) == 1 else None


class FastScheduler(BackgroundScheduler):
    """A ``BackgroundScheduler`` on a :class:`FastClock` (see the module docstring)."""

    def __init__(self, clock: FastClock, **options):
        self.fast_clock = clock
        self._stop_ticking = threading.Event()
        self._ticker: threading.Thread | None = None
        super().__init__(**options)

    def start(self, *args, **kwargs):
        if apscheduler_clock() is not self.fast_clock:
            raise RuntimeError("APScheduler does not read this FastClock: make it with the fast_clock fixture")
        self.fast_clock.begin()
        super().start(*args, **kwargs)
        self._ticker = threading.Thread(target=self._tick, name="fast-clock-ticker", daemon=True)
        self._ticker.start()

    def shutdown(self, wait=True):
        self._stop_ticking.set()
        if self._ticker is not None:
            self._ticker.join()
        super().shutdown(wait)

    def _tick(self) -> None:
        while not self._stop_ticking.wait(self.fast_clock.tick):
            self.wakeup()
