"""The scheduler's time source.

The service and the job bookkeeping read the time only through a :class:`Clock` — an object with
``now(tz)`` — so a test can hand the service a clock of its own (see ``tests/scheduler/fastclock.py``).
In production it is the :class:`WallClock`.
"""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo
from typing import Protocol


class Clock(Protocol):
    def now(self, tz: tzinfo | None = None) -> datetime:
        """The current time, aware, in ``tz`` (UTC if not given)."""
        ...


class WallClock:
    """The system's real time."""

    def now(self, tz: tzinfo | None = None) -> datetime:
        return datetime.now(tz or timezone.utc)
