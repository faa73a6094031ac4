"""Report periods: an ISO week (``2026-W47``), a day, or a month (``2026-11``, the monthly
信息报送通报), as local ``[start, end)`` times.

Weeks run Monday 00:00 to the next Monday 00:00 in the settings' time zone, as the union's working
week does. ``None`` means the last complete week (the scheduled Monday-morning run reports on the
week that just ended); ``latest`` means the week of the newest stored post (for a demo or a
backfill).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

_WEEK_RE = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


@dataclass(frozen=True)
class Period:
    kind: str            # "week" | "day" | "month"
    key: str             # "2026-W47" | "2026-11-23" | "2026-11"
    start: datetime      # local, inclusive
    end: datetime        # local, exclusive

    @property
    def days(self) -> list[date]:
        n = (self.end.date() - self.start.date()).days
        return [self.start.date() + timedelta(days=i) for i in range(n)]

    def previous(self) -> Period:
        if self.kind == "month":
            last = self.start.date() - timedelta(days=1)
            return month_period(last.year, last.month, self.start.tzinfo)
        if self.kind == "week":
            return week_period(self.start.date() - timedelta(days=7), self.start.tzinfo)
        return day_period(self.start.date() - timedelta(days=1), self.start.tzinfo)

    @property
    def label(self) -> str:
        """Chinese label: ``2026年第47周（11月16日—11月22日）`` or ``2026年11月23日``."""
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == "week":
            year, week = self.key.split("-W")
            last = self.end.date() - timedelta(days=1)
            return (f"{year}年第{int(week)}周（{self.start.month}月{self.start.day}日—"
                    f"{last.month}月{last.day}日）")
        d = self.start.date()
        return f"{d.year}年{d.month}月{d.day}日"


def week_period(day: date, tz: tzinfo) -> Period:
    """The ISO week containing ``day``."""
    monday = day - timedelta(days=day.weekday())
    iso = monday.isocalendar()
    start = datetime.combine(monday, time(0), tzinfo=tz)
    return Period("week", f"{iso.year}-W{iso.week:02d}", start,
                  datetime.combine(monday + timedelta(days=7), time(0), tzinfo=tz))


def day_period(day: date, tz: tzinfo) -> Period:
    start = datetime.combine(day, time(0), tzinfo=tz)
    return Period("day", day.isoformat(), start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz))


def parse_week(text: str, tz: tzinfo) -> Period:
    """``2026-W47`` / ``2026W47`` → that ISO week. Raises ``ValueError`` naming the value."""
    m = _WEEK_RE.match(text.strip())
    if not m:
        raise ValueError(f"week {text!r}: use the ISO form YYYY-Www, e.g. 2026-W47")
    year, week = int(m[1]), int(m[2])
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError as exc:
        raise ValueError(f"week {text!r}: {year} has no week {week}") from exc
    return week_period(monday, tz)


_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")


def month_period(year: int, month: int, tz: tzinfo) -> Period:
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return Period("month", f"{year}-{month:02d}", start, end)


def parse_month(text: str, tz: tzinfo) -> Period:
    """``2026-11`` → that month. Raises ``ValueError`` naming the value."""
    m = _MONTH_RE.match(text.strip())
    if not m or not 1 <= int(m[2]) <= 12:
        raise ValueError(f"month {text!r}: use YYYY-MM, e.g. 2026-11")
    return month_period(int(m[1]), int(m[2]), tz)


def last_complete_month(now: datetime, tz: tzinfo) -> Period:
    first = now.astimezone(tz).date().replace(day=1) - timedelta(days=1)
    return month_period(first.year, first.month, tz)


def last_complete_week(now: datetime, tz: tzinfo) -> Period:
    """The week before the one ``now`` falls in."""
    return week_period(now.astimezone(tz).date() - timedelta(days=7), tz)


def previous_day(now: datetime, tz: tzinfo) -> Period:
    return day_period(now.astimezone(tz).date() - timedelta(days=1), tz)
