"""Detection: emerging negative trends per unit and topic, and single high-risk posts.

Everything is read through the :class:`~yuqing.pipeline.store.base.PostStore` interface with
aggregations (no iteration over posts), so one cycle costs a fixed number of store queries
whatever the data size: one grouped aggregation per window over the current windows — a quiet
cycle stops there — then, for the topics that may fire only, ``baseline_weeks × windows``
ungrouped district totals (cheap) and one grouped aggregation per past week with data (per past
day too while the history is shorter than two weeks); one
evidence search per finding and one search per distinct high-risk keyword. On Elasticsearch the
aggregations run a few at a time (``parallel_queries``).

Trend method
    *Measure.* For a unit (rolled up over its subtree: dimension ``unit_tree``), a topic and a
    time window, the store gives negative posts, distinct authors, distinct near-duplicate
    clusters and engagement. The **weighted volume** is ::

        V = min(clusters, authors)^a · clusters^(1−a) · (1 + e · ln(1 + engagement / (clusters · s)))

    with ``a = author_weight``, ``e = engagement_weight``, ``s = engagement_scale``. A repost
    storm is one cluster (V ≈ 1); one account writing fifty different posts has
    ``min(clusters, authors) = 1`` and weighs 50^(1−a) ≈ 3, not 50; engagement adds a
    logarithmic bonus, so a viral story counts more but cannot make a trend alone.

    *Baseline.* For each window ``w`` (1 h, 6 h, 24 h ending at the evaluation time) and each of
    the past ``baseline_weeks`` weeks ``k``, the unit's volume in the 24 h window ending at the same
    weekday and time ``V_24,k`` is spread over the day the way the district's was:
    ``B_w,k = V_24,k · s_w,k`` with ``s_w,k`` the share of the district's 24 h volume (same topics,
    same week) that fell in the last ``w`` hours. This carries time-of-day and weekday effects
    from the level where there is enough data to see them (a community's own 1-hour counts four
    weeks back are mostly zeros) and costs one grouped aggregation per week instead of one per
    window. Sparse history is further smoothed toward a level estimate: the unit's mean hourly rate
    ``r`` over those 24 h windows (and, while fewer than two weeks of history exist, the past
    ``daily_baseline_days`` days), times ``h`` and times
    the district's time-of-day factor ``f`` (mean share × 24/h, shrunk toward 1 by counting the
    flat profile as one more week). The baseline is
    ``E = max(prior·h, (1 − λ)·mean_k B_w,k + λ·r·h·f)`` with ``λ = level_weight`` (``λ = 1``
    without weekly history). Weeks in which the district had no data for the topics (before the
    system existed) are left out.

    *Test.* Counts are over-dispersed, so the tail probability is negative binomial with mean
    ``E`` and dispersion ``φ = max(dispersion, φ̂)``, ``φ̂`` the method-of-moments estimate from the
    unit's own weekly values (a unit with a naturally bursty history needs a bigger burst):
    ``p = P(X ≥ ⌊V⌋)``. A window **fires** when ``V ≥ min_volume``, ``V / E ≥ min_ratio`` and
    ``p ≤ p_value``; the unit's strongest firing window (smallest ``p``) decides, score ``−log10 p``.

    *Hierarchy.* A rise at an enterprise also raises its community, subdistrict and district. Firing
    units are taken deepest first; a unit whose excess ``V − E`` is at least ``explained_share``
    covered by the excess of firing descendants already kept is left to those descendants'
    incidents (which escalate upward when not acted on). A rise spread over many units that none
    of them explains on its own is kept at the lowest unit where it is significant — the
    district for a district-wide rise. ``units`` in the counts is how many child units are rising.

    *Severity* comes from the excess, the ratio and the number of rising child units
    (``severity`` rules in ``alerts.yaml``).

High-risk posts
    Each rule's keywords find candidate posts by full-text search — posts published since the
    previous evaluation plus ``high_risk_overlap_hours`` (late arrivals), at most 24 hours; the rule's
    patterns confirm them (``requires`` / ``excludes`` refine). A confirmed post alerts its
    linked units at the rule's severity, whatever the volume; a post already on an incident does
    not alert twice.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from scipy.stats import nbinom, poisson

from yuqing.alerts.index import sync_incidents
from yuqing.alerts.models import utc
from yuqing.alerts.rules import AlertsConfig, Detection, load_alerts_config
from yuqing.alerts.state import ApplyResult, Finding, StateStore
from yuqing.pipeline.core.org import OrgTree, load_org
from yuqing.pipeline.core.record import Post
from yuqing.pipeline.core.taxonomy import load_taxonomy
from yuqing.pipeline.store import open_store
from yuqing.pipeline.store.base import AggRow, PostFilter, PostStore

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context

NEGATIVE = ("negative",)
OTHER_TOPIC = "other"


# --- the measure and the test ------------------------------------------------------------------


def weighted_volume(row: AggRow | None, d: Detection) -> float:
    if row is None or row.clusters <= 0:
        return 0.0
    clusters = float(row.clusters)
    authors = float(max(1, min(row.authors, row.clusters)))
    base = authors ** d.author_weight * clusters ** (1.0 - d.author_weight)
    bonus = 1.0 + d.engagement_weight * math.log1p(max(row.engagement, 0.0) / (clusters * d.engagement_scale))
    return base * bonus


def log10_tail(observed: float, expected: float, dispersion: float) -> float:
    """log10 P(X ≥ ⌊observed⌋) for X negative binomial with mean ``expected`` and variance
    ``expected + dispersion·expected²`` (Poisson when ``dispersion`` is 0). Log space keeps
    very strong bursts comparable (no underflow to 0)."""
    k = math.floor(observed)
    if k <= 0:
        return 0.0
    mu = max(expected, 1e-9)
    if dispersion <= 1e-9:
        return float(poisson.logsf(k - 1, mu)) / math.log(10)
    n = 1.0 / dispersion
    return float(nbinom.logsf(k - 1, n, n / (n + mu))) / math.log(10)


def tail_probability(observed: float, expected: float, dispersion: float) -> float:
    return 10 ** log10_tail(observed, expected, dispersion)


@dataclass
class WindowStat:
    window: str
    hours: int
    posts: int
    authors: int
    clusters: int
    engagement: float
    volume: float
    expected: float
    ratio: float
    log10_p: float
    fires: bool

    @property
    def p_value(self) -> float:
        return 10 ** self.log10_p

    def counts(self) -> dict[str, Any]:
        return {"window": self.window, "posts": self.posts, "authors": self.authors, "clusters": self.clusters,
                "engagement": round(self.engagement, 1), "volume": round(self.volume, 2),
                "expected": round(self.expected, 2), "ratio": round(self.ratio, 2),
                "p_value": float(f"{self.p_value:.3g}"), "score": round(-self.log10_p, 2)}


@dataclass
class Candidate:
    unit_id: str
    topic: str
    windows: list[WindowStat]
    best: WindowStat
    rising_units: int = 1          # child units whose own volume is up in the deciding window

    @property
    def excess(self) -> float:
        return max(0.0, self.best.volume - self.best.expected)

    @property
    def score(self) -> float:
        return -self.best.log10_p


@dataclass(kw_only=True)
class EvaluationReport(ApplyResult):
    """What one cycle found and did (incident ids opened/updated/escalated/reopened come from
    :class:`~yuqing.alerts.state.ApplyResult`)."""

    at: str
    store: str
    seconds: float = 0.0
    queries: int = 0
    candidates: int = 0                  # (unit, topic) pairs with a firing window
    findings: list[dict] = field(default_factory=list)
    high_risk_posts: int = 0
    indexed: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    dry_run: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


# --- trend detection ------------------------------------------------------------------------------


class TrendDetector:
    """Finds (unit, topic) pairs whose negative volume rises significantly above their baseline."""

    def __init__(self, store: PostStore, org: OrgTree, cfg: AlertsConfig, topic_names: dict[str, str]):
        self.store, self.org, self.cfg, self.d = store, org, cfg, cfg.detection
        self.topic_names = topic_names
        self.queries = 0
        self.workers = cfg.detection.parallel_queries

    def _agg(self, since: datetime, until: datetime, topics: tuple[str, ...] | None = None,
             by_unit: bool = True) -> dict[tuple[str, str], AggRow]:
        """Negative posts in ``[since, until)`` by (unit subtree, topic); ``by_unit=False`` gives the
        district total of those topics as one row keyed ``("", "")`` (no grouping: cheap)."""
        flt = PostFilter(since=since, until=until, sentiments=NEGATIVE,
                         topics=tuple(self.d.topics) if topics is None else topics)
        if not by_unit:
            rows = self.store.aggregate(flt)
            return {("", ""): rows[0]} if rows else {}
        return {(r.keys["unit_tree"], r.keys["topic"]): r
                for r in self.store.aggregate(flt, by=["unit_tree", "topic"])}

    def _run(self, specs: list[tuple]) -> list[dict]:
        """Run aggregations, several at a time where the store's client is safe to share between
        threads (the Elasticsearch client is; an SQLite connection is used one query at a time)."""
        self.queries += len(specs)
        if self.workers > 1 and self.store.name == "elasticsearch" and len(specs) > 1:
            with ThreadPoolExecutor(max_workers=self.workers) as pool:
                return list(pool.map(lambda spec: self._agg(*spec), specs))
        return [self._agg(*spec) for spec in specs]

    def detect(self, at: datetime) -> list[Candidate]:
        d = self.d
        week = timedelta(days=7)
        longest = max(w.hours for w in d.windows)
        # current windows: current[hours][(unit, topic)]
        current = dict(zip([w.hours for w in d.windows],
                           self._run([(at - timedelta(hours=w.hours), at, None) for w in d.windows]), strict=True))
        # firing is impossible below min_volume: only those pairs go on — a quiet cycle ends here
        pairs = {key for w in d.windows for key, row in current[w.hours].items()
                 if weighted_volume(row, d) >= w.min_volume}
        if not pairs:
            return []
        # past weeks (same weekday and time) and past days, only for the topics that may fire:
        # per unit the longest window; for the district every window (ungrouped, cheap)
        topics = tuple(sorted({t for _, t in pairs}))
        weeks_all = range(1, d.baseline_weeks + 1)
        # first the district totals (ungrouped: cheap) — they say which weeks have data at all
        totals = iter(self._run([(at - k * week - timedelta(hours=w.hours), at - k * week, topics, False)
                                 for k in weeks_all for w in d.windows]))
        district = {(k, w.hours): weighted_volume(next(totals).get(("", "")), d) for k in weeks_all for w in d.windows}
        # weeks before the system had data for these topics are left out
        weeks = [k for k in weeks_all if district[(k, longest)] > 0]
        # past days only where weekly history is short (a young deployment)
        day_list = [j for j in range(1, d.daily_baseline_days + 1) if j % 7] if len(weeks) < 2 else []
        specs: list[tuple] = [(at - k * week - timedelta(hours=longest), at - k * week, topics) for k in weeks]
        specs += [(at - timedelta(days=j, hours=longest), at - timedelta(days=j), topics) for j in day_list]
        results = iter(self._run(specs))
        unit_weeks = {k: next(results) for k in weeks}
        unit_days = [next(results) for _ in day_list]
        level_sets = [unit_weeks[k] for k in weeks] + [rows for rows in unit_days if rows]
        # the district's share of its same-weekday 24 h volume that falls in each window: the
        # time-of-day (and weekday) profile a unit's own sparse hourly counts cannot give
        share = {(k, w.hours): district[(k, w.hours)] / district[(k, longest)] for k in weeks for w in d.windows}
        tod: dict[int, float] = {}
        for w in d.windows:
            flat = w.hours / longest
            # shrunk toward the flat profile by counting it as one more week
            tod[w.hours] = min(5.0, max(0.2, (sum(share[(k, w.hours)] for k in weeks) + flat) / ((len(weeks) + 1) * flat)))

        out: list[Candidate] = []
        for key in pairs:
            level = _mean([weighted_volume(rows.get(key), d) for rows in level_sets]) / longest if level_sets else 0.0
            stats = []
            for w in d.windows:
                row = current[w.hours].get(key)
                v = weighted_volume(row, d)
                # the unit's same-weekday volume in week k, spread over the day as the district's was
                past = [weighted_volume(unit_weeks[k].get(key), d) * share[(k, w.hours)] for k in weeks]
                lam = d.level_weight if past else 1.0
                smoothed = (1.0 - lam) * _mean(past) + lam * level * w.hours * tod[w.hours]
                expected = max(d.prior_rate_per_hour * w.hours, smoothed)
                phi = d.dispersion
                if len(past) >= 3:
                    m = _mean(past)
                    if m > 0:
                        var = sum((x - m) ** 2 for x in past) / (len(past) - 1)
                        phi = max(phi, (var - m) / (m * m))
                lp = log10_tail(v, expected, phi) if v >= w.min_volume else 0.0
                ratio = v / expected
                fires = v >= w.min_volume and ratio >= d.min_ratio and lp <= math.log10(d.p_value)
                stats.append(WindowStat(w.span, w.hours, row.posts if row else 0, row.authors if row else 0,
                                        row.clusters if row else 0, row.engagement if row else 0.0,
                                        v, expected, ratio, lp, fires))
            firing = [s for s in stats if s.fires]
            if firing:
                best = min(firing, key=lambda s: (s.log10_p, -s.hours))
                out.append(Candidate(key[0], key[1], stats, best))
        return self._explain_away(out, current)

    def _explain_away(self, cands: list[Candidate], current) -> list[Candidate]:
        by_topic: dict[str, list[Candidate]] = defaultdict(list)
        for c in cands:
            if c.unit_id in self.org:
                by_topic[c.topic].append(c)
        kept: list[Candidate] = []
        for group in by_topic.values():
            group.sort(key=lambda c: (-self.org.depth(c.unit_id), c.unit_id))
            chosen: list[Candidate] = []
            for c in group:
                below = self.org.subtree(c.unit_id) - {c.unit_id}
                inside = [k for k in chosen if k.unit_id in below]
                # only the topmost kept descendants, so nested ones are not counted twice
                top = [k for k in inside if not any(a in {x.unit_id for x in inside}
                                                    for a in self.org.ancestors(k.unit_id))]
                explained = sum(k.excess for k in top)
                if top and explained >= self.d.explained_share * c.excess:
                    continue
                chosen.append(c)
            kept.extend(chosen)
        for c in kept:
            rising = 0
            for child in self.org.children(c.unit_id):
                row = current[c.best.hours].get((child.id, c.topic))
                if row is not None and weighted_volume(row, self.d) > 1.0:
                    rising += 1
            c.rising_units = max(1, rising)
        return kept

    def finding(self, c: Candidate, evidence: list[dict]) -> Finding:
        units = c.rising_units
        severity = self.cfg.severity_for(c.excess, c.best.ratio, units)
        unit_name = self.org.display_name(c.unit_id)
        topic_name = self.topic_names.get(c.topic, c.topic)
        counts = {**c.best.counts(), "units": units, "kind": "trend",
                  "windows": {s.window: s.counts() for s in c.windows}}
        title = (f"{unit_name}“{topic_name}”负面声量上升：近{c.best.window.replace('h', '小时')} "
                 f"{c.best.posts} 条（{c.best.authors} 位作者），平时约 {c.best.expected:.1f}")
        # growth after acknowledgement/resolution is measured on the longest window (stable
        # whichever window decides), the counts shown are the deciding window's
        return Finding(unit_id=c.unit_id, topic=c.topic, kind="trend", severity=severity, score=round(c.score, 2),
                       volume=round(c.windows[-1].volume, 3), title=title, counts=counts, evidence=evidence,
                       topic_name=topic_name)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


# --- evidence and high-risk posts -------------------------------------------------------------


def post_evidence(post: Post, **extra) -> dict[str, Any]:
    text = (post.title + "：" if post.title else "") + post.content
    return {"id": post.id, "url": post.url, "text": text[:200], "platform": post.platform,
            "author": post.author.name or post.author.id, "published_at": post.published_at.isoformat(),
            "engagement": post.metrics.engagement(), **extra}


def representative_posts(store: PostStore, unit_id: str, topic: str, since: datetime, until: datetime,
                         n: int) -> list[dict]:
    """The ``n`` most engaged stories of the window, one post per author."""
    page = store.search(PostFilter(since=since, until=until, units=(unit_id,), topics=(topic,),
                                   sentiments=NEGATIVE, exclude_duplicates=True), limit=max(30, n * 5))
    seen_authors: set[str] = set()
    picked = []
    for post in sorted(page.posts, key=lambda p: (-p.metrics.engagement(), p.published_at)):
        who = post.author.id or post.id
        if who in seen_authors:
            continue
        seen_authors.add(who)
        picked.append(post_evidence(post))
        if len(picked) >= n:
            break
    return picked


def high_risk_findings(store: PostStore, org: OrgTree, cfg: AlertsConfig, at: datetime,
                       topic_names: dict[str, str], lookback: timedelta = timedelta(hours=24)) -> tuple[list[Finding], int]:
    """Findings for posts matching a high-risk rule, and how many such posts there were.

    One full-text search per distinct keyword (rules share many) finds candidates published in
    ``[at − lookback, at)``; every rule then checks every candidate's text.
    """
    keywords = list(dict.fromkeys(kw for rule in cfg.high_risk for kw in rule.keywords))
    candidates: dict[str, Post] = {}
    for kw in keywords:
        for post in store.search(PostFilter(since=at - lookback, until=at, text=kw), limit=500).posts:
            candidates.setdefault(post.id, post)
    found: dict[str, tuple[Post, list]] = {}
    for post in candidates.values():
        rules = risk_rules(post, cfg)
        if rules:
            found[post.id] = (post, rules)
    return risk_findings(list(found.values()), org, topic_names), len(found)


def risk_rules(post: Post, cfg: AlertsConfig) -> list:
    """The high-risk rules ``post`` satisfies (none for a positive post)."""
    if post.sentiment is not None and post.sentiment.label == "positive":
        return []
    return [rule for rule in cfg.high_risk if rule.matches(post.text, cfg.high_risk_excludes)]


def risk_findings(found: list[tuple[Post, list]], org: OrgTree, topic_names: dict[str, str]) -> list[Finding]:
    """One finding per (linked unit, first topic) of the matched posts, at their rules' highest severity
    (also the ingest-time check's, :mod:`yuqing.alerts.immediate`)."""
    rank = {"low": 0, "medium": 1, "high": 2, "critical": 3}
    grouped: dict[tuple[str, str], list[tuple[Post, list]]] = defaultdict(list)
    for post, rules in found:
        units = [u for u in (post.org_units or [org.root.id]) if u in org] or [org.root.id]
        topic = post.topics[0] if post.topics else OTHER_TOPIC
        for u in units:
            grouped[(u, topic)].append((post, rules))
    findings = []
    for (unit_id, topic), items in grouped.items():
        items.sort(key=lambda x: (-max(rank[r.severity] for r in x[1]), x[0].published_at))
        rules = {r.id: r for _, rs in items for r in rs}
        severity = max((r.severity for r in rules.values()), key=rank.get)
        names = [r.name for r in rules.values()]
        post, _ = items[0]
        topic_name = topic_names.get(topic, "其他" if topic == OTHER_TOPIC else topic)
        title = f"{org.display_name(unit_id)}出现高风险帖子（{'、'.join(names)}）：{post.text[:40]}"
        evidence = [post_evidence(p, rules=[r.id for r in rs]) for p, rs in items[:10]]
        findings.append(Finding(unit_id=unit_id, topic=topic, kind="high_risk", severity=severity, score=99.0,
                                volume=float(len(items)), title=title,
                                counts={"kind": "high_risk", "posts": len(items), "rules": names,
                                        "rule_ids": sorted(rules)},
                                evidence=evidence, topic_name=topic_name))
    return findings


# --- one evaluation cycle ----------------------------------------------------------------------


def topic_names(ctx: Context) -> dict[str, str]:
    """Taxonomy id → Chinese name (a broken ``taxonomy.yaml`` raises ConfigError naming it)."""
    return load_taxonomy(ctx).names()


def run_evaluation(ctx: Context, at: datetime, *, dry_run: bool = False, store: PostStore | None = None) -> EvaluationReport:
    """Detect as of ``at``, apply findings to incidents, escalate overdue ones, index incidents."""
    started = time.perf_counter()
    t_started = datetime.now(UTC)
    store = store or open_store(ctx)
    org, cfg = load_org(ctx), load_alerts_config(ctx)
    names = topic_names(ctx)
    report = EvaluationReport(at=at.isoformat(), store=store.name, dry_run=dry_run)
    store.refresh()

    t0 = time.perf_counter()
    detector = TrendDetector(store, org, cfg, names)
    candidates = detector.detect(at)
    report.timings["trends"] = round(time.perf_counter() - t0, 3)
    report.candidates = len(candidates)

    t0 = time.perf_counter()
    findings = []
    for c in candidates:
        since = at - timedelta(hours=c.best.hours)
        findings.append(detector.finding(c, representative_posts(store, c.unit_id, c.topic, since, at,
                                                                  cfg.detection.evidence_posts)))
    report.timings["evidence"] = round(time.perf_counter() - t0, 3)

    t0 = time.perf_counter()
    state = StateStore(ctx, org=org, cfg=cfg)
    previous = state.last_run()
    lookback = timedelta(hours=24)
    if previous is not None and utc(previous.at) <= at:
        # posts since the previous evaluation, with an overlap for posts that arrive late
        lookback = min(lookback, at - utc(previous.at) + timedelta(hours=cfg.detection.high_risk_overlap_hours))
    risk, report.high_risk_posts = high_risk_findings(store, org, cfg, at, names, lookback)
    findings.extend(risk)
    report.timings["high_risk"] = round(time.perf_counter() - t0, 3)
    report.queries = detector.queries + len(candidates) + len({k for r in cfg.high_risk for k in r.keywords})
    report.findings = [{"unit_id": f.unit_id, "unit_name": org.display_name(f.unit_id), "topic": f.topic,
                        "topic_name": f.topic_name or f.topic,
                        "kind": f.kind, "severity": f.severity, "score": f.score, "title": f.title,
                        "counts": {k: v for k, v in f.counts.items() if k != "windows"}} for f in findings]
    if dry_run:
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    t0 = time.perf_counter()
    applied = state.apply(findings, at)
    report.opened, report.updated, report.reopened = applied.opened, applied.updated, applied.reopened
    report.suppressed = applied.suppressed
    escalated_before = set(applied.escalated)
    state.escalate_due(at)
    report.escalated = sorted(escalated_before | set(state.last_escalated))
    report.notifications = state.queued
    report.timings["state"] = round(time.perf_counter() - t0, 3)

    if store.name == "elasticsearch":

        t0 = time.perf_counter()
        touched = set(report.opened) | set(report.updated) | set(report.reopened) | set(report.escalated)
        report.indexed = sync_incidents(ctx, state, touched)
        report.timings["index"] = round(time.perf_counter() - t0, 3)
    report.seconds = round(time.perf_counter() - started, 3)
    state.record_run(at, t_started, report.seconds, store.name, {
        k: v for k, v in report.as_dict().items() if k not in ("findings",)})
    return report
