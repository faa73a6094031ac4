"""What the console shows by name: topics (from the taxonomy; the other names are in
:mod:`yuqing.pipeline.core.names`) and times in the configured time zone."""

from __future__ import annotations

from datetime import datetime

from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.taxonomy import load_taxonomy


def topic_names(ctx: Context) -> dict[str, str]:
    """Taxonomy id → Chinese name (a broken ``taxonomy.yaml`` raises ConfigError: the console
    loads it at start and refuses to run with it)."""
    return load_taxonomy(ctx).names()


def fmt_time(dt: datetime | None, tz, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if dt is None:
        return ""
    return dt.astimezone(tz).strftime(fmt)


def ago(dt: datetime | None, now: datetime) -> str:
    if dt is None:
        return ""
    secs = int((now - dt).total_seconds())
    if secs < 60:
        return "刚刚"
    if secs < 3600:
        return f"{secs // 60} 分钟前"
    if secs < 86400:
        return f"{secs // 3600} 小时前"
    return f"{secs // 86400} 天前"
