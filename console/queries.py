"""Post search and dashboard figures, always limited to the caller's subtree.

:func:`post_filter` turns the search form (the same filters as ``yuqing search``: text, since,
until, platform, topic, sentiment, unit, source, no-duplicates) into a
:class:`~yuqing.pipeline.store.base.PostFilter` whose ``units`` are inside the caller's subtree — the
caller's own unit when none is asked for, refusal for any unit outside it. :func:`dashboard`
computes volume, negativity, topics and sub-units over a time range from the store's ``aggregate``.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from yuqing.console.access import Principal
from yuqing.console.charts import fill_buckets
from yuqing.pipeline.core.names import PLATFORM_NAMES, SENTIMENT_NAMES
from yuqing.pipeline.core.record import PLATFORMS, SENTIMENTS, to_aware
from yuqing.pipeline.store.base import PostFilter, parse_interval

EXPORT_LIMIT = 5000
CSV_COLUMNS = ("发布时间", "平台", "来源", "作者", "标题", "内容", "话题", "情感", "单位", "互动", "近似重复", "链接")

RANGES = {"24h": (timedelta(hours=24), "1h"), "7d": (timedelta(days=7), "6h"),
          "30d": (timedelta(days=30), "1d"), "90d": (timedelta(days=90), "1d")}
RANGE_LABELS = {"24h": "近24小时", "7d": "近7天", "30d": "近30天", "90d": "近90天"}


class BadQuery(ValueError):
    """A search or dashboard parameter that cannot be used; the message names it (Chinese)."""


def parse_when(value: str | None, name: str, now: datetime) -> datetime | None:
    """``2026-11-20``, ``2026-11-20T08:00`` (local time), ISO with offset, or ``7d``/``24h`` ago."""
    text = (value or "").strip()
    if not text:
        return None
    if text[-1:] in ("d", "h", "m") and text[:-1].isdigit():
        unit = {"d": "days", "h": "hours", "m": "minutes"}[text[-1]]
        return now - timedelta(**{unit: int(text[:-1])})
    try:
        return to_aware(text)
    except ValueError as exc:
        raise BadQuery(f"「{name}」时间格式无效：{value}（例如 2026-11-20、2026-11-20T08:00 或 7d）") from exc


@dataclass
class SearchParams:
    q: str = ""
    since: str = ""
    until: str = ""
    platforms: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    sentiments: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    no_duplicates: bool = False
    sort: str = "time"

    def __post_init__(self) -> None:  # forms send empty fields: drop them
        for name in ("platforms", "topics", "sentiments", "units", "sources"):
            setattr(self, name, [v.strip() for v in getattr(self, name) if v and v.strip()])

    def is_empty(self) -> bool:
        return not (self.q or self.since or self.until or self.platforms or self.topics or self.sentiments
                    or self.units or self.sources or self.no_duplicates)

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in (("q", self.q), ("since", self.since), ("until", self.until)) if v]
        for k, vals in (("platform", self.platforms), ("topic", self.topics), ("sentiment", self.sentiments),
                        ("unit", self.units), ("source", self.sources)):
            parts += [f"{k}={v}" for v in vals]
        if self.no_duplicates:
            parts.append("no_duplicates")
        return " ".join(parts)


def post_filter(who: Principal, p: SearchParams, now: datetime) -> PostFilter:
    """The store filter for ``p``; raises :class:`~yuqing.console.access.AccessDenied` for a foreign unit."""
    bad = [v for v in p.platforms if v not in PLATFORMS]
    if bad:
        raise BadQuery(f"未知平台：{', '.join(bad)}")
    bad = [v for v in p.sentiments if v not in SENTIMENTS]
    if bad:
        raise BadQuery(f"未知情感：{', '.join(bad)}")
    if p.sort not in ("time", "relevance"):
        raise BadQuery(f"未知排序：{p.sort}")
    units = [u for u in p.units if u]
    for u in units:
        who.require_unit(u)
    since, until = parse_when(p.since, "起始时间", now), parse_when(p.until, "截止时间", now)
    if since and until and since >= until:
        raise BadQuery("起始时间须早于截止时间")
    return PostFilter(since=since, until=until, platforms=tuple(p.platforms), topics=tuple(t for t in p.topics if t),
                      sentiments=tuple(p.sentiments), units=tuple(units or [who.unit_id]),
                      sources=tuple(s for s in p.sources if s), exclude_duplicates=p.no_duplicates,
                      text=p.q.strip() or None)


@dataclass
class Dashboard:
    range: str
    unit_id: str
    since: datetime
    until: datetime
    interval: str
    times: list[datetime]
    volume: list[float]
    negative: list[float]
    negative_share: list[float | None]
    total: int
    authors: int
    stories: int
    negative_total: int
    topics: list[tuple[str, int, int]]  # (topic id, posts, negative posts)
    topic_series: list[tuple[str, list[float]]]
    units: list[tuple[str, int, int]]  # (child unit id, posts, negative posts)


_cache: dict[tuple, tuple[float, Dashboard]] = {}
_cache_lock = threading.Lock()
CACHE_SECONDS = 60


def dashboard(who: Principal, store_call, *, range_key: str, unit_id: str, now: datetime,
              cache_key: object = None) -> Dashboard:
    """The figures of ``unit_id``'s subtree (which must be the caller's) over ``range_key``.

    With ``cache_key`` (the store's identity) results are kept for :data:`CACHE_SECONDS`: posts
    arrive with crawls every few minutes, while many officers may open the dashboard at once.
    """
    if range_key not in RANGES:
        raise BadQuery(f"未知时间范围：{range_key}")
    who.require_unit(unit_id)
    if cache_key is None:
        return _dashboard(who, store_call, range_key=range_key, unit_id=unit_id, now=now)
    key = (cache_key, unit_id, range_key)
    with _cache_lock:
        hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    result = _dashboard(who, store_call, range_key=range_key, unit_id=unit_id, now=now)
    with _cache_lock:
        if len(_cache) > 256:
            _cache.clear()
        _cache[key] = (time.monotonic(), result)
    return result


def _dashboard(who: Principal, store_call, *, range_key: str, unit_id: str, now: datetime) -> Dashboard:
    span, interval = RANGES[range_key]
    since, until = now - span, now
    flt = PostFilter(since=since, until=until, units=(unit_id,))
    by_sent = store_call(lambda s: s.aggregate(flt, by=["sentiment"], interval=interval))
    totals = store_call(lambda s: s.aggregate(flt))
    by_topic = store_call(lambda s: s.aggregate(flt, by=["topic", "sentiment"]))
    by_topic_time = store_call(lambda s: s.aggregate(flt, by=["topic"], interval=interval))
    by_unit = store_call(lambda s: s.aggregate(flt, by=["unit_tree", "sentiment"]))

    vol, neg = defaultdict(float), defaultdict(float)
    for r in by_sent:
        vol[r.bucket] += r.posts
        if r.keys.get("sentiment") == "negative":
            neg[r.bucket] += r.posts
    times, volume = fill_buckets(since, until, parse_interval(interval), dict(vol))
    negative = [neg[t] for t in times]
    share = [(neg[t] / vol[t]) if vol[t] else None for t in times]  # None: no posts, no share

    tp, tn = defaultdict(int), defaultdict(int)
    for r in by_topic:
        tp[r.keys["topic"]] += r.posts
        if r.keys.get("sentiment") == "negative":
            tn[r.keys["topic"]] += r.posts
    topics = sorted(((t, tp[t], tn[t]) for t in tp), key=lambda x: -x[1])
    top5 = [t for t, _, _ in topics[:5]]
    series = {t: defaultdict(float) for t in top5}
    for r in by_topic_time:
        if r.keys["topic"] in series:
            series[r.keys["topic"]][r.bucket] += r.posts
    topic_series = [(t, [series[t][b] for b in times]) for t in top5]

    children = [c.id for c in who.org.children(unit_id)]
    up, un = defaultdict(int), defaultdict(int)
    for r in by_unit:
        u = r.keys.get("unit_tree")
        if u in children:
            up[u] += r.posts
            if r.keys.get("sentiment") == "negative":
                un[u] += r.posts
    units = sorted(((u, up[u], un[u]) for u in up), key=lambda x: -x[1])

    total = totals[0] if totals else None
    return Dashboard(range_key, unit_id, since, until, interval, times, volume, negative, share,
                     total.posts if total else 0, total.authors if total else 0, total.clusters if total else 0,
                     int(sum(negative)), topics, topic_series, units)


def posts_csv(posts, tz, topic_names: dict[str, str], unit_name) -> str:
    """Posts as CSV text with a BOM (spreadsheet programs then read it as UTF-8)."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for p in posts:
        writer.writerow([p.published_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                         PLATFORM_NAMES.get(p.platform, p.platform), p.source,
                         p.author.name, _cell(p.title), _cell(p.content),
                         "、".join(topic_names.get(t, t) for t in p.topics),
                         SENTIMENT_NAMES[p.sentiment.label] if p.sentiment else "",
                         "、".join(unit_name(u) for u in p.org_units),
                         p.metrics.engagement(), p.dup_of or "", p.url])
    return buf.getvalue()


def _cell(text: str) -> str:
    """No spreadsheet formulas from scraped text (CSV injection)."""
    text = (text or "").replace("\r", " ")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t") else text
