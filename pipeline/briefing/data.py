"""Every number of a briefing, computed by the post store's own queries.

Counts come from :meth:`PostStore.aggregate` with the same :class:`PostFilter` that
``yuqing stats --since START --until END [--unit ID]`` builds, so the briefing and ``stats`` agree
for the same period on either store; pandas only reshapes those rows (pivots, filling empty days,
week-over-week changes). Events are built from the period's posts streamed by
:meth:`PostStore.iter_range`: near-duplicate clusters (``post.cluster``) merged when they share a
topic and a unit and their texts overlap. Incidents come from the alerts area's tables
(``yuqing.alerts.api.list_incidents``). The result is a plain JSON-able dict the renderers read.
"""

from __future__ import annotations

import logging
import math
import re
import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from yuqing.alerts.api import list_incidents
from yuqing.pipeline.briefing.labels import PLATFORM_NAMES, Labels
from yuqing.pipeline.briefing.masking import mask_personal
from yuqing.pipeline.briefing.period import Period
from yuqing.pipeline.briefing.reporting import collect_reporting
from yuqing.pipeline.core.record import to_aware
from yuqing.pipeline.core.tokenizer import segment
from yuqing.pipeline.store import open_store
from yuqing.pipeline.store.base import AggRow, PostFilter, PostStore

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context

log = logging.getLogger(__name__)

SENTIMENT_ORDER = ("negative", "neutral", "positive")


def period_filter(period: Period, unit: str | None) -> PostFilter:
    """The filter ``yuqing stats --since START --until END [--unit ID]`` uses for this period."""
    return PostFilter(since=period.start, until=period.end, units=(unit,) if unit else ())


def pct_change(now: float, before: float) -> float | None:
    """Percent change; ``None`` when there was nothing before."""
    if not before:
        return None
    return round((now - before) / before * 100, 1)


def share(part: float, whole: float) -> float:
    return round(part / whole * 100, 1) if whole else 0.0


def _frame(rows: list[AggRow], by: list[str]) -> pd.DataFrame:
    cols = (["bucket"] if rows and rows[0].bucket is not None else []) + by + [
        "posts", "authors", "clusters", "engagement"]
    data = [([r.bucket] if r.bucket is not None else []) + [r.keys[d] for d in by]
            + [r.posts, r.authors, r.clusters, r.engagement] for r in rows]
    return pd.DataFrame(data, columns=cols)


class _Queries:
    """The aggregate queries of one period (and the same queries for the period before)."""

    def __init__(self, store: PostStore, flt: PostFilter):
        self.store, self.flt = store, flt

    def totals(self) -> dict[str, float]:
        rows = self.store.aggregate(self.flt)
        r = rows[0] if rows else AggRow(None, {})
        return {"posts": r.posts, "authors": r.authors, "clusters": r.clusters, "engagement": r.engagement}

    def by(self, *dims: str, interval: str | None = None) -> pd.DataFrame:
        return _frame(self.store.aggregate(self.flt, by=list(dims), interval=interval), list(dims))


# --- sections --------------------------------------------------------------------------------


def _overview(q: _Queries, qp: _Queries) -> dict[str, Any]:
    tot, prev = q.totals(), qp.totals()
    sent = q.by("sentiment").set_index("sentiment")["posts"] if tot["posts"] else pd.Series(dtype=int)
    sentiment = {s: int(sent.get(s, 0)) for s in SENTIMENT_ORDER}
    unlabelled = tot["posts"] - sum(sentiment.values())
    plat = q.by("platform").sort_values("posts", ascending=False)
    return {
        "posts": int(tot["posts"]), "authors": int(tot["authors"]), "clusters": int(tot["clusters"]),
        "engagement": float(tot["engagement"]),
        "prev_posts": int(prev["posts"]), "prev_clusters": int(prev["clusters"]),
        "change_pct": pct_change(tot["posts"], prev["posts"]),
        "sentiment": sentiment,
        "sentiment_share": {s: share(n, tot["posts"]) for s, n in sentiment.items()},
        "unlabelled": int(unlabelled),
        "negative_share": share(sentiment["negative"], tot["posts"]),
        "prev_negative_share": share(_sent_count(qp, "negative"), prev["posts"]),
        "platforms": [{"platform": r.platform, "name": PLATFORM_NAMES.get(r.platform, r.platform),
                       "posts": int(r.posts), "share": share(r.posts, tot["posts"])}
                      for r in plat.itertuples()],
    }


def _sent_count(q: _Queries, label: str) -> int:
    df = q.by("sentiment")
    return int(df.loc[df["sentiment"] == label, "posts"].sum()) if len(df) else 0


def _topics(q: _Queries, qp: _Queries, labels: Labels, total: int) -> list[dict[str, Any]]:
    vol = q.by("topic")
    if vol.empty:
        return []
    vol = vol.set_index("topic")
    ts = q.by("topic", "sentiment")
    neg = ts[ts["sentiment"] == "negative"].set_index("topic")["posts"] if len(ts) else pd.Series(dtype=int)
    prev = qp.by("topic")
    prev = prev.set_index("topic")["posts"] if len(prev) else pd.Series(dtype=int)
    df = pd.DataFrame({"posts": vol["posts"], "clusters": vol["clusters"], "engagement": vol["engagement"]})
    df["negative"] = neg.reindex(df.index).fillna(0).astype(int)
    df["prev_posts"] = prev.reindex(df.index).fillna(0).astype(int)
    df = df.sort_values(["posts", "negative"], ascending=False)
    return [{"topic": tid, "name": labels.topic(tid), "posts": int(r.posts), "clusters": int(r.clusters),
             "share": share(r.posts, total), "negative": int(r.negative),
             "negative_share": share(r.negative, r.posts), "engagement": float(r.engagement),
             "prev_posts": int(r.prev_posts), "change_pct": pct_change(r.posts, r.prev_posts)}
            for tid, r in df.iterrows()]


def _daily(q: _Queries, period: Period, top_topics: list[str]) -> dict[str, Any]:
    """The trend: posts (all, negative, leading topics) per day of a week, per hour of a day."""
    step = timedelta(days=1) if period.kind == "week" else timedelta(hours=1)
    interval = "1d" if period.kind == "week" else "1h"
    starts = []
    t = period.start
    while t < period.end:
        starts.append(t)
        t = (t + step).astimezone(period.start.tzinfo)
    index = pd.Index([int(b.timestamp()) for b in starts], name="ts")

    def series(df: pd.DataFrame, **match: str) -> pd.Series:
        for col, value in match.items():
            df = df[df[col] == value] if len(df) else df
        if not len(df):
            return pd.Series(0, index=index)
        df = df.assign(ts=[int(b.timestamp()) for b in df["bucket"]])
        return df.groupby("ts")["posts"].sum().reindex(index, fill_value=0)

    total = series(q.by(interval=interval))
    neg = series(q.by("sentiment", interval=interval), sentiment="negative")
    topics = q.by("topic", interval=interval)
    per_topic = {t: [int(v) for v in series(topics, topic=t)] for t in top_topics}
    if period.kind == "week":
        labels = [f"{b.month}月{b.day}日" for b in starts]
    else:
        labels = [f"{b.hour:02d}时" for b in starts]
    peak_i = int(total.values.argmax()) if total.sum() else None
    return {
        "interval": interval, "buckets": [b.isoformat() for b in starts], "labels": labels,
        "posts": [int(v) for v in total], "negative": [int(v) for v in neg], "topics": per_topic,
        "peak_label": labels[peak_i] if peak_i is not None else None,
        "peak_posts": int(total.iloc[peak_i]) if peak_i is not None else 0,
    }


def _units(q: _Queries, qp: _Queries, labels: Labels, unit: str | None, total: int) -> dict[str, Any]:
    children = labels.children(unit)
    dim = "unit_tree" if children is not None else "unit"
    vol = q.by(dim)
    prev = qp.by(dim)
    neg = q.by(dim, "sentiment")
    ids = set(vol[dim]) | set(prev[dim]) if len(vol) or len(prev) else set()
    if children is not None:
        ids = [c for c in children if c in ids]
    df = pd.DataFrame(index=pd.Index(sorted(ids), name="unit"))
    df["posts"] = (vol.set_index(dim)["posts"] if len(vol) else pd.Series(dtype=int)).reindex(df.index).fillna(0).astype(int)
    df["prev_posts"] = (prev.set_index(dim)["posts"] if len(prev) else pd.Series(dtype=int)).reindex(df.index).fillna(0).astype(int)
    negs = neg[neg["sentiment"] == "negative"].set_index(dim)["posts"] if len(neg) else pd.Series(dtype=int)
    df["negative"] = negs.reindex(df.index).fillna(0).astype(int)
    df["delta"] = df["posts"] - df["prev_posts"]
    df = df.sort_values(["posts", "negative"], ascending=False)
    rows = [{"unit": uid, "name": labels.unit(uid), "posts": int(r.posts), "share": share(r.posts, total),
             "negative": int(r.negative), "negative_share": share(r.negative, r.posts),
             "prev_posts": int(r.prev_posts), "delta": int(r.delta),
             "change_pct": pct_change(r.posts, r.prev_posts)}
            for uid, r in df.iterrows() if r.posts or r.prev_posts]
    linked = sum(r["posts"] for r in rows)
    movers = sorted((r for r in rows if r["delta"] != 0), key=lambda r: (-abs(r["delta"]), r["unit"]))
    rising = [r for r in movers if r["delta"] > 0][:3]
    falling = [r for r in movers if r["delta"] < 0][:3]
    scope_level = labels.level(unit) if unit else "district"
    level_name = {"district": "街乡", "subdistrict": "社区（村）", "community": "企业"}.get(scope_level or "", "下级单位")
    return {"rows": rows, "rising": rising, "falling": falling, "dimension": dim,
            "level_name": level_name, "linked_posts": linked}


# --- events ----------------------------------------------------------------------------------


def _tokens(text: str) -> set[str]:

    return {t for t in segment(text[:300]) if len(t) > 1 and not t.isdigit()}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _snippet(text: str, n: int) -> str:
    text = " ".join(mask_personal(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _headline_of(post) -> str:
    """A short title for an event: the post's title, or its first clause(s) up to ~30 characters."""
    text = " ".join(mask_personal(post.title.strip() or post.content.strip()).split())
    first = re.split(r"[。！？!?\n]", text, maxsplit=1)[0]
    if len(first) <= 32:
        return first
    cut = max(first.rfind(c, 0, 32) for c in "，,；;：:、 ")
    return first[:cut] if cut >= 8 else first[:31] + "…"


#: how alike two clusters' words must be to be one event: about the same workplace (an enterprise
#: or community) with the same topic, no overlap is needed and little without one; about the same
#: subdistrict some; about nothing more specific than a topic, much
SAME_PLACE_JACCARD, SAME_AREA_JACCARD, SAME_TOPIC_JACCARD = 0.08, 0.2, 0.35
EVENT_SPAN = timedelta(days=3)
COMMON_WORD_SEEDS = 200  # a word in more seeds than this does not make two stories candidates


_DEPTH = {"enterprise": 3, "community": 2, "subdistrict": 1, "district": 0}


def _main_unit(units: Counter, labels: Labels) -> str | None:
    """The most specific unit a cluster concerns (an enterprise over its area), then the most named."""
    if not units:
        return None
    return max(units, key=lambda u: (_DEPTH.get(labels.level(u) or "", -1), units[u], u))


def _merge_related(groups: list[dict], labels: Labels) -> list[dict]:
    """Merge near-duplicate clusters into events: clusters about the same specific unit (not the
    district) with compatible topics and some shared words, or with the same topic and much shared
    wording, starting within three days of each other. A cluster is compared with the seed (first,
    largest cluster) of the events in its unit's bucket, or — by topic — only with seeds sharing
    one of its less common words (an inverted index keeps a busy week from going quadratic)."""
    root = labels.org.root.id if labels.org is not None else None
    buckets: dict[tuple, list[dict]] = defaultdict(list)
    word_index: dict[tuple, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    merged: list[dict] = []
    for g in sorted(groups, key=lambda g: (-len(g["posts"]), g["first"])):
        specific = g["unit"] if g["unit"] and g["unit"] != root else None
        key = ("unit", specific) if specific else ("topic", g["topic"])
        if specific:
            candidates = buckets[key]
        elif g["topic"]:
            candidates = _seeds_sharing_words(g, buckets[key], word_index[key])
        else:
            candidates = []  # neither a specific unit nor a topic: a story of its own
        target = next((m for m in candidates if _same_event(g, m, specific, labels)), None)
        if target is None:
            if not specific and g["topic"]:
                for w in g["tokens"]:
                    word_index[key][w].append(len(buckets[key]))
            buckets[key].append(g)
            merged.append(g)
        else:
            target["posts"].extend(g["posts"])
    return merged


def _seeds_sharing_words(g: dict, seeds: list[dict], index: dict[str, list[int]]) -> list[dict]:
    """The 20 seeds sharing most of ``g``'s less common words (those in few seeds)."""
    shared = Counter(i for w in g["tokens"] if len(index.get(w, ())) <= COMMON_WORD_SEEDS
                     for i in index.get(w, ()))
    return [seeds[i] for i, _ in shared.most_common(20)]


def _same_event(g: dict, m: dict, specific: str | None, labels: Labels) -> bool:
    """Whether cluster ``g`` belongs to the event seeded by ``m``: close in time, topics not in
    conflict, and words shared as much as the place (``specific`` unit, or none) demands."""
    if abs(g["first"] - m["first"]) > EVENT_SPAN:
        return False
    if g["topic"] and m["topic"] and g["topic"] != m["topic"]:
        return False
    if not specific:
        needed = SAME_TOPIC_JACCARD
    elif labels.level(specific) in ("enterprise", "community"):
        # one workplace, one topic, within days: the same matter, however worded
        needed = 0.0 if g["topic"] and g["topic"] == m["topic"] else SAME_PLACE_JACCARD
    else:
        needed = SAME_AREA_JACCARD
    return _jaccard(g["tokens"], m["tokens"]) >= needed


def _events(store: PostStore, flt: PostFilter, labels: Labels, period: Period, top: int,
            tz) -> list[dict[str, Any]]:
    """The ``top`` events (related near-duplicate clusters) of the period, heaviest first."""
    clusters: dict[str, list] = defaultdict(list)
    for post in store.iter_range(flt):
        clusters[post.cluster].append(post)
    if not clusters:
        return []
    # once posts are classified, a story nobody tagged with a topic is not a 重点舆情 (cats, shopping)
    if any(p.topics for posts in clusters.values() for p in posts):
        clusters = {cid: posts for cid, posts in clusters.items() if any(p.topics for p in posts)}
    merged = _merge_related([_cluster_group(cid, posts, labels) for cid, posts in clusters.items()], labels)
    # ranked by weight: posts, negative posts, engagement (a much-shared lone post can outrank chatter)
    merged.sort(key=lambda g: (-_weight(g["posts"]), g["posts"][0].id))
    return [_event(g, labels, period, tz) for g in merged[:top]]


def _cluster_group(cid: str, posts: list, labels: Labels) -> dict[str, Any]:
    """A near-duplicate cluster with its main topic, most specific unit, words and first time."""
    root = next((p for p in posts if p.id == cid), None) or posts[0]
    topics = Counter(t for p in posts for t in p.topics)
    units = Counter(u for p in posts for u in p.org_units)
    return {"posts": list(posts), "topic": topics.most_common(1)[0][0] if topics else None,
            "unit": _main_unit(units, labels), "tokens": _tokens(root.text),
            "first": min(p.published_at for p in posts)}


def _negatives(posts: list) -> int:
    return sum(1 for p in posts if p.sentiment and p.sentiment.label == "negative")


def _weight(posts: list) -> float:
    return len(posts) + 2 * _negatives(posts) + math.log1p(sum(p.metrics.engagement() for p in posts))


def _event(g: dict, labels: Labels, period: Period, tz) -> dict[str, Any]:
    """The row of one event: title, summary, numbers, time span and representative posts."""
    posts = sorted(g["posts"], key=lambda p: (p.published_at, p.id))
    by_weight = sorted(posts, key=lambda p: (-(p.metrics.engagement()), p.dup_of is not None, p.published_at))
    lead = next((p for p in by_weight if p.dup_of is None), by_weight[0])
    title = _headline_of(lead)
    n_clusters = len({p.cluster for p in posts})
    if n_clusters >= 3 and g["unit"] and g["topic"] and labels.level(g["unit"]) in ("enterprise", "community"):
        # many different posts about one workplace: name the matter, not one post
        title = f"{labels.unit(g['unit'])}{labels.topic(g['topic'])}问题"
    negative = _negatives(posts)
    topics = Counter(t for p in posts for t in p.topics)
    units = Counter(u for p in posts for u in p.org_units)
    first, last = posts[0].published_at.astimezone(tz), posts[-1].published_at.astimezone(tz)
    return {
        "title": title,
        "summary": _snippet(lead.content if lead.title else lead.content, 150),
        "posts": len(posts), "clusters": n_clusters,
        "negative": negative, "negative_share": share(negative, len(posts)),
        "engagement": sum(p.metrics.engagement() for p in posts),
        "first": first.strftime("%m-%d %H:%M"), "last": last.strftime("%m-%d %H:%M"),
        "first_iso": first.isoformat(), "last_iso": last.isoformat(),
        "ongoing": last >= period.end - timedelta(hours=24),
        "platforms": sorted({PLATFORM_NAMES.get(p.platform, p.platform) for p in posts}),
        "topics": [labels.topic(t) for t, _ in topics.most_common(3)],
        "units": [labels.unit(u) for u, _ in units.most_common(4)],
        "unit_path": sorted({u for p in posts for u in p.org_path}),
        "representatives": _representatives(by_weight, n_clusters, tz),
    }


def _representatives(by_weight: list, n_clusters: int, tz) -> list[dict[str, Any]]:
    """Up to three posts to quote, heaviest first, from different clusters while there are any."""
    reps, seen = [], set()
    for p in by_weight:
        if p.cluster in seen and len(reps) < n_clusters:
            continue
        seen.add(p.cluster)
        reps.append({"time": p.published_at.astimezone(tz).strftime("%m-%d %H:%M"),
                     "platform": PLATFORM_NAMES.get(p.platform, p.platform), "url": p.url,
                     "text": _snippet(p.text, 90), "engagement": p.metrics.engagement()})
        if len(reps) == 3:
            break
    return reps


# --- incidents -------------------------------------------------------------------------------


def _time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    return to_aware(value)


def _escalated(inc: dict) -> bool:
    if any(e.get("kind") == "escalated" for e in inc.get("timeline") or []):
        return True
    to = inc.get("escalated_to")
    return bool(to) and to != inc.get("unit_id") and inc.get("timeline") is None


def _incidents(ctx: Context, labels: Labels, period: Period, unit: str | None) -> dict[str, Any]:
    """Incidents raised in the period (``yuqing.alerts.api.list_incidents``): how many were acknowledged,
    resolved and escalated, and how long acknowledging took."""
    units = labels.subtree(unit) if unit else None
    try:
        items = [i.to_dict() for i in list_incidents(ctx, units=units, status=None, since=period.start,
                                                     limit=100_000)]
    except Exception as exc:  # a broken state DB must not stop the briefing; say so in it
        log.warning("incidents not read: %s", exc)
        return {"available": False, "error": str(exc)}
    raised = []
    for inc in items:
        created = _time(inc.get("created_at"))
        if created is not None and period.start <= created < period.end:
            inc["_created"], inc["_acked"] = created, _time(inc.get("acknowledged_at"))
            inc["_resolved"] = _time(inc.get("resolved_at"))
            raised.append(inc)
    acked = [i for i in raised if i["_acked"] is not None]
    resolved = [i for i in raised if i["_resolved"] is not None or i.get("status") == "resolved"]
    escalated = [i for i in raised if _escalated(i)]
    waits = [(i["_acked"] - i["_created"]).total_seconds() / 60 for i in acked]
    open_now = [i for i in raised if i.get("status") != "resolved"]
    by_severity = Counter(str(i.get("severity_name") or i.get("severity") or "—") for i in raised)
    rows = sorted(raised, key=lambda i: i["_created"])
    return {
        "available": True, "raised": len(raised), "acknowledged": len(acked), "resolved": len(resolved),
        "escalated": len(escalated), "open": len(open_now),
        "median_ack_minutes": round(statistics.median(waits), 1) if waits else None,
        "max_ack_minutes": round(max(waits), 1) if waits else None,
        "by_severity": dict(by_severity),
        "rows": [{"id": i.get("id"), "created": i["_created"].astimezone(ctx.tz).strftime("%m-%d %H:%M"),
                  "unit": i.get("unit_name") or labels.unit(str(i.get("unit_id") or "")),
                  "topic": i.get("topic_name") or (labels.topic(str(i["topic"])) if i.get("topic") else "—"),
                  "title": mask_personal(str(i.get("title") or "")),
                  "severity": str(i.get("severity_name") or i.get("severity") or "—"),
                  "status": str(i.get("status_name") or i.get("status")),
                  "escalated_to": (i.get("escalated_to_name") or "—") if _escalated(i) else "—",
                  "ack_minutes": round((i["_acked"] - i["_created"]).total_seconds() / 60, 1) if i["_acked"] else None}
                 for i in rows[:15]],
    }


def _reporting(ctx: Context, store: PostStore, period: Period, unit: str | None, labels: Labels) -> dict[str, Any]:
    """Grassroots reporting (:mod:`yuqing.pipeline.briefing.reporting`); a broken state DB is said, not fatal."""
    try:
        return {"available": True, **collect_reporting(ctx, store, period, unit, labels)}
    except Exception as exc:  # noqa: BLE001 - like the incidents: the briefing still goes out
        log.warning("reporting not read: %s", exc)
        return {"available": False, "error": str(exc)}


# --- observations ----------------------------------------------------------------------------


def _observations(data: dict[str, Any]) -> dict[str, list[str]]:
    """Rule-based 研判与建议: what rose, what is new, what to watch."""
    return {"findings": _findings(data),
            "advice": _advice(data) or ["继续做好日常监测，关注职工合理诉求，及时发现和处置苗头性问题。"],
            "watch": _watch(data) or ["本期各话题走势平稳，下周保持常态化监测。"]}


def _negative_heavy(ov: dict[str, Any]) -> bool:
    return bool(ov["posts"]) and ov["negative_share"] >= 30


def _rising_topics(topics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Topics with at least 3 posts that grew by half or more."""
    return [t for t in topics if t["posts"] >= 3 and t["change_pct"] is not None and t["change_pct"] >= 50]


def _rising_units(units: dict[str, Any]) -> list[dict[str, Any]]:
    """The two units that rose most, if by 3 posts or more."""
    return [u for u in units["rising"][:2] if u["delta"] >= 3]


def _incidents_read(data: dict[str, Any]) -> dict[str, Any]:
    """The incident numbers, or {} when the state DB could not be read."""
    return data["incidents"] if data["incidents"].get("available") else {}


def _volume_finding(ov: dict[str, Any]) -> str:
    change = ov["change_pct"]
    if ov["posts"] == 0:
        return "本期未监测到相关舆情信息，网络舆情总体平稳。"
    if change is None:
        return f"本期共监测到舆情信息{ov['posts']}条（上期无数据，暂不作环比）。"
    if change >= 20:
        return f"舆情总量明显上升：本期{ov['posts']}条，较上期增加{change:g}%。"
    if change <= -20:
        return f"舆情总量有所回落：本期{ov['posts']}条，较上期减少{-change:g}%。"
    return f"舆情总量基本平稳：本期{ov['posts']}条，环比{change:+g}%。"


def _unit_finding(u: dict[str, Any], events: list[dict[str, Any]]) -> str:
    """A unit that rose, with the event behind it if one of its events has several posts."""
    cause = next((e for e in events if e["posts"] > 1 and u["unit"] in e.get("unit_path", [])), None)
    return (f"{u['name']}舆情量上升明显：{u['posts']}条（上期{u['prev_posts']}条）"
            + (f"，主要源于「{cause['title']}」（{cause['posts']}条）。" if cause else "。"))


def _findings(data: dict[str, Any]) -> list[str]:
    """研判: the volume and its change, negative share, rising and new topics, rising units."""
    ov, topics = data["overview"], data["topics"]
    out = [_volume_finding(ov)]
    if _negative_heavy(ov):
        out.append(f"负面信息占比偏高（{ov['negative_share']:g}%，上期{ov['prev_negative_share']:g}%），"
                   "职工诉求较为集中。")
    out += [f"话题「{t['name']}」升温：{t['posts']}条，较上期增加{t['change_pct']:g}%，其中负面{t['negative']}条。"
            for t in _rising_topics(topics)[:3]]
    new = [t for t in topics if t["prev_posts"] == 0 and t["posts"] >= 2]
    if new:
        out.append("新出现的话题：" + "、".join(f"「{t['name']}」（{t['posts']}条）" for t in new[:4]) + "。")
    out += [_unit_finding(u, data["events"]) for u in _rising_units(data["units"])]
    if _incidents_read(data).get("escalated"):
        out.append(f"本期有{data['incidents']['escalated']}起预警因超时未签收被逐级上报。")
    return out


def _advice(data: dict[str, Any]) -> list[str]:
    """建议: what to do about negative posts, rising units and slow incident handling."""
    out = []
    if _negative_heavy(data["overview"]):
        out.append("对负面信息集中的话题和单位开展专项排查，主动回应职工关切，防止矛盾积累。")
    out += [f"「{t['name']}」负面占比{t['negative_share']:g}%，建议会同相关部门核实情况、做好政策解读和法律援助引导。"
            for t in data["topics"] if t["posts"] >= 3 and t["negative_share"] >= 50][:2]
    out += [f"建议{u['name']}主动对接属地企业和职工，核实诉求、就地化解。" for u in _rising_units(data["units"])]
    inc = _incidents_read(data)
    if inc.get("open"):
        out.append(f"本期预警尚有{inc['open']}起未办结，请责任单位加快处置并及时反馈。")
    if inc and inc["median_ack_minutes"] is not None and inc["median_ack_minutes"] > 30:
        out.append(f"预警签收用时中位数为{inc['median_ack_minutes']:g}分钟，建议落实值班值守制度，缩短响应时间。")
    return out


def _watch(data: dict[str, Any]) -> list[str]:
    """关注: ongoing negative events, big negative ones, rising topics, open incidents."""
    events = data["events"]
    out = [f"事件「{e['title']}」至周末仍有新增（{e['posts']}条，负面{e['negative']}条），需持续跟踪。"
           for e in events if e["ongoing"] and e["negative"]]
    out += [f"「{e['title']}」的后续处置和舆论走向（本期{e['posts']}条，负面{e['negative_share']:g}%）。"
            for e in events[:2] if e["posts"] >= 5 and e["negative_share"] >= 50 and not e["ongoing"]]
    out += [f"话题「{t['name']}」的后续走势。" for t in _rising_topics(data["topics"])[:2]]
    if _incidents_read(data).get("open"):
        out.append(f"本期尚未办结的{data['incidents']['open']}起预警的处置进展。")
    return out


def _headline(data: dict[str, Any], scope_name: str) -> str:
    ov = data["overview"]
    if not ov["posts"]:
        return f"本期未监测到涉及{scope_name}的网络舆情信息。"
    change = ov["change_pct"]
    trend = ("（上期无数据）" if change is None else
             f"，较上期{'上升' if change > 0 else '下降' if change < 0 else '持平'}"
             + (f"{abs(change):g}%" if change else ""))
    parts = [f"本期共监测到涉及{scope_name}的网络舆情信息{ov['posts']}条{trend}，"
             f"去重后为{ov['clusters']}组独立信息；负面信息{ov['sentiment']['negative']}条，"
             f"占{ov['negative_share']:g}%。"]
    if data["topics"]:
        t = data["topics"][0]
        parts.append(f"关注度最高的话题是「{t['name']}」（{t['posts']}条）。")
    if data["events"]:
        parts.append(f"最受关注的事件是「{data['events'][0]['title']}」。")
    return "".join(parts)


def collect(ctx: Context, period: Period, unit: str | None, labels: Labels) -> dict[str, Any]:
    """All numbers, tables and texts of one briefing as a JSON-able dict."""
    store = open_store(ctx)
    store.refresh()
    flt = period_filter(period, unit)
    prev_period = period.previous()
    q, qp = _Queries(store, flt), _Queries(store, period_filter(prev_period, unit))
    cfg = ctx.settings.briefing
    scope_name = labels.unit(unit) if unit else (labels.root_name or cfg.issuer)
    data: dict[str, Any] = {
        "period": {"kind": period.kind, "key": period.key, "label": period.label,
                   "start": period.start.isoformat(), "end": period.end.isoformat(),
                   "previous": prev_period.key},
        "unit": unit, "scope_name": scope_name, "issuer": cfg.issuer,
    }
    data["overview"] = _overview(q, qp)
    data["topics"] = _topics(q, qp, labels, data["overview"]["posts"])
    data["daily"] = _daily(q, period, [t["topic"] for t in data["topics"][:5]])
    data["units"] = _units(q, qp, labels, unit, data["overview"]["posts"])
    data["events"] = _events(store, flt, labels, period, cfg.top_events, ctx.tz)
    data["incidents"] = _incidents(ctx, labels, period, unit)
    data["reporting"] = _reporting(ctx, store, period, unit, labels)
    data["overview"]["headline"] = _headline(data, scope_name)
    data["observations"] = _observations(data)
    return data
