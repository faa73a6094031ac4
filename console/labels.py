"""Chinese labels for what the console shows: topics (from the taxonomy), platforms, sentiments,
times in the configured time zone."""

from __future__ import annotations

from datetime import datetime

from pipeline.context import Context

PLATFORM_LABELS = {"weibo": "微博", "wechat": "微信公众号", "forum": "论坛", "tieba": "贴吧", "news": "新闻"}
SENTIMENT_LABELS = {"negative": "负面", "neutral": "中性", "positive": "正面"}


def topic_names(ctx: Context) -> dict[str, str]:
    """Taxonomy id → Chinese name (``classifiers.taxonomy.load_taxonomy``); empty if unavailable."""
    try:
        from classifiers.taxonomy import load_taxonomy

        tax = load_taxonomy(ctx)
    except Exception:  # taxonomy not configured or not landed: show ids
        return {}
    if isinstance(tax, dict):
        items = tax.items()
    else:
        topics = getattr(tax, "topics", None) or getattr(tax, "names", None) or []
        items = topics.items() if isinstance(topics, dict) else [(t.id, t) for t in topics]
    out = {}
    for tid, value in items:
        name = value if isinstance(value, str) else getattr(value, "name", None) or getattr(value, "label", None)
        out[str(tid)] = str(name or tid)
    return out


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
