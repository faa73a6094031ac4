"""Times as Chinese sites print them, turned into aware datetimes.

One function, :func:`parse_site_time`, understands every format the watched sites use:

* absolute: ``Sat Nov 22 10:15:00 +0800 2026`` (Weibo API), ``2025-11-20``, ``2025-11-20 08:31``,
  ``2022-5-19 00:35:31`` (Discuz!, unpadded), ``2025/11/20 08:31``, ``2025年11月20日 08:31``,
  ISO 8601 with or without offset, Unix epoch seconds (``1523110915``);
* year-less: ``11-20``, ``11-20 08:31``, ``11月20日 08:31`` — the most recent such date not after
  "now" (a post dated 12-31 seen on 01-02 is from last year);
* relative: ``刚刚``, ``5秒前``, ``5分钟前``, ``半小时前``, ``3小时前``, ``3 天前``, ``今天 08:31``,
  ``昨天 21:10``, ``前天 09:00``, a bare ``08:31`` (today), ``半小时前``.

Relative times are resolved against ``now`` — the spiders pass the server's ``Date`` header, which
is when the page was rendered, so a page read later still resolves correctly. Times without an
offset are in the site's zone (Asia/Shanghai for every site we watch).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_WEIBO_API = "%a %b %d %H:%M:%S %z %Y"
_REL_UNITS = {"秒": "seconds", "分钟": "minutes", "分": "minutes", "小时": "hours", "天": "days",
              "周": "weeks", "星期": "weeks"}
_REL_RE = re.compile(r"^(\d+)\s*(秒|分钟|分|小时|天|周|星期)\s*前$")
_DAY_WORDS = {"今天": 0, "昨天": 1, "前天": 2}
_DAY_RE = re.compile(r"^(今天|昨天|前天)\s*(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_FULL_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_MONTH_DAY_RE = re.compile(r"^(\d{1,2})\s*[-/月]\s*(\d{1,2})\s*日?(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_CLOCK_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_YEAR_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")


class TimeFormatError(ValueError):
    """A time string in no known format."""


def server_now(date_header: bytes | str | None, fallback: datetime | None = None) -> datetime:
    """The moment a response was produced: its ``Date`` header, else ``fallback``, else now."""
    if date_header:
        text = date_header.decode("latin-1") if isinstance(date_header, bytes) else date_header
        try:
            value = parsedate_to_datetime(text)
            if value.tzinfo is None:
                value = value.replace(tzinfo=timezone.utc)
            return value
        except (TypeError, ValueError):
            pass
    return fallback or datetime.now(timezone.utc)


def parse_site_time(text: str | int | float, now: datetime, tz: ZoneInfo = SHANGHAI) -> datetime:
    """Parse ``text`` (see the module docstring) into an aware datetime in ``tz``.

    Raises :class:`TimeFormatError` naming the text when no format fits.
    """
    if isinstance(text, int | float) and not isinstance(text, bool):
        return datetime.fromtimestamp(float(text), tz)
    raw = str(text)
    s = raw.replace("\xa0", " ").replace("发表于", "").replace("发布于", "").strip()
    s = re.sub(r"\s+", " ", s)
    if not s:
        raise TimeFormatError("empty time")
    local_now = now.astimezone(tz)
    for parse in _FORMATS:
        value = parse(s, raw, local_now, tz)
        if value is not None:
            return value
    raise TimeFormatError(f"unrecognised time {raw!r}")


# Each format below: (cleaned text, raw text, now in tz, tz) → the time, or None when it does not
# fit. They are tried in the order of _FORMATS.


def _relative(s: str, raw: str, local_now: datetime, tz: ZoneInfo) -> datetime | None:
    """``刚刚``, ``半小时前``, ``5分钟前``, ``3 天前`` …"""
    if s in ("刚刚", "刚才", "just now"):
        return local_now
    if s == "半小时前":
        return local_now - timedelta(minutes=30)
    m = _REL_RE.match(s)
    return local_now - timedelta(**{_REL_UNITS[m.group(2)]: int(m.group(1))}) if m else None


def _day_word(s: str, raw: str, local_now: datetime, tz: ZoneInfo) -> datetime | None:
    """``今天 08:31``, ``昨天 21:10``, ``前天 09:00``."""
    m = _DAY_RE.match(s)
    if not m:
        return None
    day = local_now.date() - timedelta(days=_DAY_WORDS[m.group(1)])
    return datetime(day.year, day.month, day.day, int(m.group(2)), int(m.group(3)), int(m.group(4) or 0), tzinfo=tz)


def _epoch(s: str, raw: str, local_now: datetime, tz: ZoneInfo) -> datetime | None:
    """Unix time in seconds (10 digits) or milliseconds (13)."""
    if s.isdigit() and len(s) in (10, 13):
        return datetime.fromtimestamp(int(s) / (1000 if len(s) == 13 else 1), tz)
    return None


def _weibo_api(s: str, raw: str, local_now: datetime, tz: ZoneInfo) -> datetime | None:
    """``Sat Nov 22 10:15:00 +0800 2026``."""
    try:
        return datetime.strptime(s, _WEIBO_API).astimezone(tz)
    except ValueError:
        return None


def _full_date(s: str, raw: str, local_now: datetime, tz: ZoneInfo) -> datetime | None:
    """``2025-11-20``, ``2022-5-19 00:35:31``, ``2025/11/20 08:31``, ``2025年11月20日 08:31``."""
    m = _FULL_RE.match(s)
    if not m:
        return None
    y, mo, d, hh, mm, ss = (int(g) if g else 0 for g in m.groups())
    return _make(raw, tz, y, mo, d, hh, mm, ss)


def _month_day(s: str, raw: str, local_now: datetime, tz: ZoneInfo) -> datetime | None:
    """``11-20 08:31``, ``11月20日``: the most recent such date not after now."""
    m = _MONTH_DAY_RE.match(s)
    if not m:
        return None
    mo, d, hh, mm, ss = (int(g) if g else 0 for g in m.groups())
    value = _make(raw, tz, local_now.year, mo, d, hh, mm, ss)
    if value > local_now + timedelta(days=1):  # 12-31 seen on 01-02: last year
        value = _make(raw, tz, local_now.year - 1, mo, d, hh, mm, ss)
    return value


def _clock(s: str, raw: str, local_now: datetime, tz: ZoneInfo) -> datetime | None:
    """A bare ``08:31``: today, or yesterday if that is (a few minutes) ahead of now."""
    m = _CLOCK_RE.match(s)
    if not m:
        return None
    hh, mm, ss = (int(g) if g else 0 for g in m.groups())
    value = _make(raw, tz, local_now.year, local_now.month, local_now.day, hh, mm, ss)
    return value - timedelta(days=1) if value > local_now + timedelta(minutes=5) else value


def _year_month(s: str, raw: str, local_now: datetime, tz: ZoneInfo) -> datetime | None:
    """``2026-11``: the first of the month."""
    m = _YEAR_MONTH_RE.match(s)
    return _make(raw, tz, int(m.group(1)), int(m.group(2)), 1, 0, 0, 0) if m else None


def _iso(s: str, raw: str, local_now: datetime, tz: ZoneInfo) -> datetime | None:
    """ISO 8601, with or without an offset."""
    try:
        value = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=tz)


def _rfc2822(s: str, raw: str, local_now: datetime, tz: ZoneInfo) -> datetime | None:
    """``Tue, 15 Nov 1994 08:12:31 GMT`` (mail and HTTP dates)."""
    try:
        value = parsedate_to_datetime(s)
    except (TypeError, ValueError, IndexError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=tz)


_FORMATS = (_relative, _day_word, _epoch, _weibo_api, _full_date, _month_day, _clock, _year_month, _iso, _rfc2822)


def _make(raw: str, tz: ZoneInfo, y: int, mo: int, d: int, hh: int, mm: int, ss: int) -> datetime:
    try:
        return datetime(y, mo, d, hh, mm, ss, tzinfo=tz)
    except ValueError as exc:
        raise TimeFormatError(f"impossible date in {raw!r}: {exc}") from exc
