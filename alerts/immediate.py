"""The ingest-time check ("第一时间"): single high-risk posts and urgent grassroots reports alert as
they are ingested, not at the next evaluation cycle.

Ingest (:class:`yuqing.pipeline.ingest.Ingestor`) hands every batch, once it has passed the stages
(normalised, de-duplicated, classified, linked), to :meth:`ImmediateCheck.check` — while the
store writes the same batch. The check

1. keeps the posts published within ``immediate.max_age_hours`` (``alerts.yaml``) of now — a
   backfill or a replay of old posts waits for the regular cycle, which looks back over them;
2. runs the existing single-post rules (``high_risk`` in ``alerts.yaml``: 高处讨薪, 自伤, 伤亡,
   群体性事件 — :func:`yuqing.alerts.detect.risk_rules`) on posts holding one of the words of the
   rules' patterns (:func:`literal_words`, one compiled alternation; with the shipped rules
   ≈ 17 µs per fresh post, older posts are skipped before; the cycle's keyword search exists to
   query the store, so a wording its keywords miss — ``困在吊车上`` — is caught here), skipping
   near-duplicates of an earlier post (a repost storm alerts once;
   reports are never skipped), and applies the findings through the incident state machine
   exactly as the cycle does (:func:`~yuqing.alerts.detect.risk_findings`), so a post the cycle
   sees later is not announced twice;
3. opens the incident of each urgent report (:meth:`yuqing.alerts.reports.Reports.alert_urgent`)
   at ``immediate.urgent_report_severity``;
4. with ``immediate.deliver_now``, sends what it queued at once (:func:`yuqing.alerts.outbox.deliver_due`;
   claims make that safe beside the scheduler's outbox job, which retries anything that failed).

A failure here is logged and never stops ingest: the regular cycle still sees every stored post.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from yuqing.alerts.detect import risk_findings, risk_rules, topic_names
from yuqing.alerts.index import sync_incidents
from yuqing.alerts.outbox import deliver_due
from yuqing.alerts.reports import Reports
from yuqing.alerts.rules import load_alerts_config
from yuqing.alerts.state import StateStore
from yuqing.pipeline.core.org import load_org

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context
    from yuqing.pipeline.core.record import Post

log = logging.getLogger("yuqing.alerts.immediate")
FUTURE_SKEW = timedelta(hours=1)


@dataclass
class CheckResult:
    incidents: list[int] = field(default_factory=list)   # opened or updated
    notifications: int = 0
    sent: int = 0


class ImmediateCheck:
    """Built once per ingest run; :meth:`check` per batch."""

    name = "immediate"

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.cfg = load_alerts_config(ctx)
        self.enabled = self.cfg.immediate.enabled
        # candidates: a post holding a word of some rule's patterns (or keywords); the rules then
        # decide. The cycle's keyword search is for the store; a post in hand is read directly.
        words = literal_words(p for rule in self.cfg.high_risk for p in rule.patterns)
        if words is not None:
            words |= {kw for rule in self.cfg.high_risk for kw in rule.keywords}
        self._candidate = (re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))
                           if words else re.compile("")) if self.cfg.high_risk else None
        self._names: dict[str, str] | None = None

    def _fresh(self, posts: list[Post], now: datetime) -> list[Post]:
        oldest = now - timedelta(hours=self.cfg.immediate.max_age_hours)
        return [p for p in posts if oldest <= p.published_at <= now + FUTURE_SKEW]

    def _risky(self, posts: list[Post]) -> list[tuple[Post, list]]:
        if self._candidate is None:
            return []
        out = []
        for post in posts:
            if post.dup_of and post.platform != "report":
                continue
            if self._candidate.search(post.text) and (rules := risk_rules(post, self.cfg)):
                out.append((post, rules))
        return out

    def check(self, posts: list[Post], now: datetime | None = None) -> CheckResult:
        result = CheckResult()
        if not self.enabled or not posts:
            return result
        try:
            self._check(posts, now or datetime.now(UTC), result)
        except Exception:  # noqa: BLE001 - see the module docstring
            log.exception("ingest-time alert check failed for a batch of %d posts (the cycle will look again)",
                          len(posts))
        return result

    def _check(self, posts: list[Post], now: datetime, result: CheckResult) -> None:
        fresh = self._fresh(posts, now)
        risky = self._risky(fresh)
        reports = [p for p in fresh if p.platform == "report"]
        if not risky and not reports:
            return
        org = load_org(self.ctx)
        state = StateStore(self.ctx, org=org, cfg=self.cfg)
        if risky:
            if self._names is None:
                self._names = topic_names(self.ctx)
            applied = state.apply(risk_findings(risky, org, self._names), now)
            result.incidents += applied.opened + applied.updated + applied.reopened + applied.escalated
        if reports:
            desk = Reports(self.ctx, org)
            for post in reports:
                incident = desk.alert_urgent(post, severity=self.cfg.immediate.urgent_report_severity, now=now,
                                             state=state)
                if incident is not None:
                    result.incidents.append(incident)
        result.notifications = state.queued
        if result.incidents:
            log.info("ingest-time alert: incidents %s, %d notifications queued", result.incidents, state.queued)
            self._index(state, result.incidents)
        if state.queued and self.cfg.immediate.deliver_now:
            result.sent = deliver_due(self.ctx, datetime.now(UTC)).sent

    def _index(self, state: StateStore, ids: list[int]) -> None:
        if self.ctx.settings.store.backend != "elasticsearch":
            return
        try:
            sync_incidents(self.ctx, state, set(ids))
        except Exception as exc:  # noqa: BLE001 - Kibana's copy catches up at the next cycle
            log.warning("incidents %s not indexed: %s", ids, exc)


def literal_words(patterns) -> set[str] | None:
    """Chinese words that occur literally in the patterns: a text none of them occurs in matches
    no pattern (each pattern needs at least one of its own). ``None`` when some pattern has no
    such word, so nothing may be skipped. Words inside character classes, and characters made
    optional by ``?``, ``*`` or ``{0,…}``, are not taken."""
    out: set[str] = set()
    for pattern in patterns:
        bare = re.sub(r"\[[^\]]*\]", " ", pattern)
        bare = re.sub(r"[\u4e00-\u9fff](?:[?*]|\{0,)", " ", bare)
        runs = set(re.findall(r"[\u4e00-\u9fff]{2,}", bare))
        if not runs:
            return None
        out |= runs
    return out


__all__ = ["CheckResult", "ImmediateCheck", "literal_words"]
