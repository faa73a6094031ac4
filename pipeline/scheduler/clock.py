"""The scheduler's time source.

:class:`Clock` is the wall clock. :class:`FastClock` runs ``speed`` times faster from a chosen
start, so a test can watch an hour of schedule in a few seconds. APScheduler 3 reads the time with
``datetime.now`` in two modules (the scheduler loop and the executors' misfire check);
:meth:`FastClock.install` points those at the fast clock for the life of the service, and the
service scales its waits by the speed. Only one fast clock can be installed at a time.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone, tzinfo


class Clock:
    speed = 1.0

    def now(self, tz: tzinfo | None = None) -> datetime:
        return datetime.now(tz or timezone.utc)

    def real_seconds(self, seconds: float | None) -> float | None:
        """Wall-clock seconds to wait for ``seconds`` of this clock's time."""
        return seconds

    def install(self) -> None:
        pass

    def uninstall(self) -> None:
        pass


class _DatetimeShim:
    """Stands in for the ``datetime`` name inside APScheduler modules (they only call ``now``)."""

    def __init__(self, clock: FastClock):
        self._clock = clock

    def now(self, tz: tzinfo | None = None) -> datetime:
        return self._clock.now(tz)


class FastClock(Clock):
    _installed_lock = threading.Lock()
    _PATCHED = ("apscheduler.schedulers.base", "apscheduler.executors.base")

    def __init__(self, start: datetime, speed: float = 60.0):
        if start.tzinfo is None:
            raise ValueError("FastClock start must be timezone-aware")
        self.start, self.speed = start, float(speed)
        self._t0 = time.monotonic()
        self._saved: dict[str, object] = {}

    def now(self, tz: tzinfo | None = None) -> datetime:
        from datetime import timedelta

        t = self.start + timedelta(seconds=(time.monotonic() - self._t0) * self.speed)
        return t.astimezone(tz or timezone.utc)

    def real_seconds(self, seconds: float | None) -> float | None:
        return None if seconds is None else seconds / self.speed

    def install(self) -> None:
        import importlib

        if not FastClock._installed_lock.acquire(blocking=False):
            raise RuntimeError("another FastClock is installed in this process")
        self._t0 = time.monotonic()  # the fast clock starts at `start` when the service starts
        for name in self._PATCHED:
            module = importlib.import_module(name)
            self._saved[name] = module.datetime
            module.datetime = _DatetimeShim(self)

    def uninstall(self) -> None:
        import importlib

        if not self._saved:
            return
        for name, original in self._saved.items():
            importlib.import_module(name).datetime = original
        self._saved.clear()
        FastClock._installed_lock.release()
