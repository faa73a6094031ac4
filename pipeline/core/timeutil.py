"""Time helpers: every stored time is aware; naive input is read in the district's time zone.

* :func:`to_aware` — an ISO 8601 string, epoch seconds or datetime → aware datetime.
* :func:`parse_time` — what a user types for ``--since``/``--until``: ISO 8601 or ``7d``/``24h``/
  ``30m`` ago.
* :func:`utc`, :func:`now_utc`, :func:`iso` — the forms the state database and JSON use.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_SPANS = {"d": "days", "h": "hours", "m": "minutes"}


def to_aware(value: Any) -> Any:
    """Parse an ISO 8601 string or datetime; naive times are Asia/Shanghai. Other values pass
    through unchanged (validation reports them)."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("empty time")
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            value = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"not an ISO 8601 time: {value!r}") from exc
    elif isinstance(value, int | float) and not isinstance(value, bool):
        value = datetime.fromtimestamp(value, tz=timezone.utc)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return value


def parse_time(text: str, now: datetime | None = None) -> datetime:
    """``2026-11-20``, ``2026-11-20T08:00`` (Asia/Shanghai) or with an offset; ``7d``/``24h``/``30m``
    before ``now``. Raises ValueError for anything else."""
    text = text.strip()
    if text[-1:] in _SPANS and text[:-1].isdigit():
        return (now or datetime.now().astimezone()) - timedelta(**{_SPANS[text[-1]]: int(text[:-1])})
    value = to_aware(text)
    if not isinstance(value, datetime):
        raise ValueError(f"not a time: {text!r}")
    return value


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def utc(dt: datetime | None) -> datetime | None:
    """An aware UTC datetime (naive values read back from SQLite are UTC)."""
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def iso(dt: datetime | None) -> str | None:
    return utc(dt).isoformat() if dt else None
