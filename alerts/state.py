"""Incident lifecycle and escalation on the state database — every change in one transaction
with the notifications it causes (transactional outbox, :mod:`yuqing.alerts.models`).

Lifecycle::

    (finding) ──► open ──ack──► acknowledged ──resolve──► resolved ──reopen──► open
                   │  ▲                │                                    ▲
                   │  └── escalate ────┘ (still growing after ack)        │
                   └── escalate (no ack within escalation.ack_minutes) ───┘ (auto, if it grows again)

* **One open incident per (unit, topic)**: ``open_key`` is unique while open/acknowledged, so new
  evidence updates the incident instead of raising a duplicate.
* **Start level**: a new incident notifies its own unit and ``escalation.start_levels_up[severity]``
  levels above it (``escalated_to`` is the highest unit notified so far).
* **Escalation**: open and unacknowledged for ``ack_minutes[severity]`` since the last escalation →
  the parent unit is notified (late evaluations catch up one step per elapsed timeout); an
  acknowledged incident whose weighted volume reaches ``growth_factor`` × the volume at
  acknowledgement (or at its last escalation) escalates too. The district is the top.
* Units without a roster are skipped upward to the nearest ancestor that has one (recorded).
* **Resolved** incidents stay quiet for ``reopen_cooldown_hours`` unless the volume grows past
  ``growth_factor`` × the volume at resolution; then the incident is reopened automatically.
* Every step is a timeline event (``alert_events``) with who (a person, or the system) and when.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from yuqing.alerts import roster
from yuqing.alerts.messages import Notice, render_notice
from yuqing.alerts.models import EvaluationRun, Incident, IncidentEvent, OutboxMessage, utc
from yuqing.alerts.roster import duty_officers
from yuqing.alerts.rules import AlertsConfig, load_alerts_config
from yuqing.pipeline.core.names import SEVERITY_NAMES
from yuqing.pipeline.core.org import OrgTree, load_org
from yuqing.pipeline.core.statedb import ensure_schema, session_factory

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context

SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


class IncidentNotFound(LookupError):
    def __init__(self, incident_id: int):
        super().__init__(f"没有编号为 {incident_id} 的预警事件 (no incident {incident_id})")
        self.incident_id = incident_id


class InvalidTransition(ValueError):
    """The requested change does not apply to the incident's current state."""


@dataclass
class Finding:
    """What detection hands to the state machine: evidence that (unit, topic) needs attention."""

    unit_id: str
    topic: str
    kind: str                      # trend | high_risk
    severity: str
    score: float                   # strength, for ordering (−log10 p for trends)
    volume: float                  # weighted volume in the deciding window — growth is measured on it
    title: str
    counts: dict[str, Any] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    topic_name: str = ""


@dataclass
class ApplyResult:
    opened: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    suppressed: int = 0
    notifications: int = 0


class StateStore:
    """Incident operations for one context. Cheap to build; opens a session per operation."""

    def __init__(self, ctx: Context, org: OrgTree | None = None, cfg: AlertsConfig | None = None):
        self.ctx = ctx
        self.org = org or load_org(ctx)
        self.cfg = cfg or load_alerts_config(ctx)
        self.engine = ensure_schema(ctx)
        self.Session = session_factory(self.engine)
        self.queued = 0                       # notifications queued by this object
        self.last_escalated: list[int] = []   # incidents escalated by the last escalate_due

    # -- queries ---------------------------------------------------------------------------

    def get(self, incident_id: int) -> Incident | None:
        with self.Session() as s:
            return s.scalars(select(Incident).options(selectinload(Incident.events))
                             .where(Incident.id == incident_id)).first()

    def list(self, *, units: set[str] | None = None, status: str | None = None, topic: str | None = None,
             since: datetime | None = None, limit: int = 200, offset: int = 0) -> list[Incident]:
        q = select(Incident).options(selectinload(Incident.events))
        if units is not None:
            q = q.where(Incident.unit_id.in_(sorted(units)))
        if status == "active":
            q = q.where(Incident.status.in_(("open", "acknowledged")))
        elif status:
            if status not in ("open", "acknowledged", "resolved"):
                raise ValueError(f"status {status!r}: one of open, acknowledged, resolved, active")
            q = q.where(Incident.status == status)
        if topic:
            q = q.where(Incident.topic == topic)
        if since is not None:
            q = q.where(Incident.updated_at >= utc(since))
        q = q.order_by(Incident.updated_at.desc(), Incident.id.desc()).limit(limit).offset(offset)
        with self.Session() as s:
            return list(s.scalars(q))

    def open_incidents(self) -> list[Incident]:
        return self.list(status="active", limit=100_000)

    # -- manual transitions ----------------------------------------------------------------

    def _load(self, s: Session, incident_id: int) -> Incident:
        inc = s.get(Incident, incident_id, with_for_update=True)
        if inc is None:
            raise IncidentNotFound(incident_id)
        return inc

    def acknowledge(self, incident_id: int, by: str, note: str | None, now: datetime) -> Incident:
        now = utc(now)
        by = _who(by)
        with self.Session.begin() as s:
            inc = self._load(s, incident_id)
            if inc.status != "open":
                raise InvalidTransition(f"事件 {incident_id} 当前状态为 {inc.status}，只有待确认(open)的事件可以确认")
            inc.status, inc.acknowledged_at, inc.acknowledged_by = "acknowledged", now, by
            _mark(inc)
            inc.updated_at = now
            ev = self._event(s, inc, now, "acknowledged", by, note)
            # everyone already told hears that someone has it in hand
            self._notify(s, inc, self._frontier(inc), "acknowledged", ev, now, by=by, note=note)
        return self.get(incident_id)

    def resolve(self, incident_id: int, by: str, note: str, now: datetime) -> Incident:
        now = utc(now)
        by = _who(by)
        if not note or not note.strip():
            raise InvalidTransition("处置完毕需要填写处置说明 (--note)")
        with self.Session.begin() as s:
            inc = self._load(s, incident_id)
            if inc.status == "resolved":
                raise InvalidTransition(f"事件 {incident_id} 已于 {inc.resolved_at:%Y-%m-%d %H:%M} 处置完毕")
            inc.status, inc.resolved_at, inc.resolved_by = "resolved", now, by
            inc.resolution_note, inc.open_key, inc.updated_at = note.strip(), None, now
            _mark(inc)
            ev = self._event(s, inc, now, "resolved", by, note.strip())
            self._notify(s, inc, self._frontier(inc), "resolved", ev, now, by=by, note=note.strip())
        return self.get(incident_id)

    def reopen(self, incident_id: int, by: str | None, note: str | None, now: datetime) -> Incident:
        now = utc(now)
        with self.Session.begin() as s:
            inc = self._load(s, incident_id)
            if inc.status != "resolved":
                raise InvalidTransition(f"事件 {incident_id} 尚未处置完毕，无需重新打开")
            key = _open_key(inc.unit_id, inc.topic)
            other = s.scalars(select(Incident).where(Incident.open_key == key)).first()
            if other is not None:
                raise InvalidTransition(f"同一单位同一话题已有未处置事件 #{other.id}，请在该事件上继续处理")
            self._reopen(s, inc, now, _who(by) if by else None, note)
        return self.get(incident_id)

    def _reopen(self, s: Session, inc: Incident, now: datetime, by: str | None, note: str | None) -> None:
        inc.status, inc.open_key = "open", _open_key(inc.unit_id, inc.topic)
        inc.acknowledged_at = inc.acknowledged_by = None
        inc.resolved_at = inc.resolved_by = inc.resolution_note = None
        inc.last_escalated_at = inc.updated_at = now
        ev = self._event(s, inc, now, "reopened", by, note)
        self._notify(s, inc, self._frontier(inc), "reopened", ev, now)

    # -- findings from detection -----------------------------------------------------------

    def apply(self, findings: list[Finding], now: datetime) -> ApplyResult:
        """Open or update one incident per finding, escalate where growth demands, all in one
        transaction per finding (so a failure leaves the others applied)."""
        now = utc(now)
        result = ApplyResult()
        for f in findings:
            for attempt in range(2):
                try:
                    with self.Session.begin() as s:
                        self._apply_one(s, f, now, result)
                    break
                except IntegrityError:  # another evaluator opened the same (unit, topic): update it
                    if attempt:
                        raise
        return result

    def _apply_one(self, s: Session, f: Finding, now: datetime, result: ApplyResult) -> None:
        key = _open_key(f.unit_id, f.topic)
        inc = s.scalars(select(Incident).where(Incident.open_key == key).with_for_update()).first()
        if inc is None:
            last = s.scalars(select(Incident).where(Incident.unit_id == f.unit_id, Incident.topic == f.topic,
                                                    Incident.status == "resolved")
                             .order_by(Incident.resolved_at.desc()).limit(1)).first()
            if last is not None and utc(last.resolved_at) > now - timedelta(
                    hours=self.cfg.escalation.reopen_cooldown_hours):
                ref = _marked(last, f.kind)
                if ref is not None and f.volume < ref * self.cfg.escalation.growth_factor:
                    result.suppressed += 1
                    return
                self._update_fields(last, f, now)
                _mark(last)
                self._reopen(s, last, now, None, f"处置后继续增长：{_volume_text(ref or 0.0, f.volume)}")
                result.reopened.append(last.id)
                return
            self._open(s, f, now, result)
            return
        self._update(s, inc, f, now, result)

    def _open(self, s: Session, f: Finding, now: datetime, result: ApplyResult) -> None:
        unit = self.org[f.unit_id]
        start = self._climb(unit.id, self.cfg.escalation.start_levels_up[f.severity])
        inc = Incident(open_key=_open_key(f.unit_id, f.topic), unit_id=unit.id, unit_name=unit.name,
                       unit_level=unit.level, topic=f.topic, topic_name=f.topic_name or f.topic, kind=f.kind,
                       status="open", severity=f.severity, title=f.title, counts={**f.counts, "volume": f.volume},
                       reference={"latest": {f.kind: f.volume}, "mark": {f.kind: f.volume},
                                  "seen": [e.get("id") for e in f.evidence]},
                       evidence=f.evidence, score=f.score,
                       created_at=now, updated_at=now, last_escalated_at=now)
        self._set_escalated(inc, start)
        s.add(inc)
        s.flush()
        ev = self._event(s, inc, now, "opened", None, f.title,
                         {"severity": f.severity, "counts": f.counts, "kind": f.kind})
        result.opened.append(inc.id)
        result.notifications += self._notify(s, inc, self._frontier(inc), "opened", ev, now)

    def _update_fields(self, inc: Incident, f: Finding, now: datetime) -> None:
        inc.counts = {**f.counts, "volume": f.volume}
        ref = dict(inc.reference or {})
        ref["latest"] = {**ref.get("latest", {}), f.kind: f.volume}
        ref.setdefault("mark", {}).setdefault(f.kind, f.volume)
        inc.reference = ref
        inc.score = max(inc.score, f.score) if inc.kind == f.kind else inc.score
        if f.evidence:
            new_ids = {x.get("id") for x in f.evidence}
            inc.evidence = (list(f.evidence) + [e for e in inc.evidence or [] if e.get("id") not in new_ids])[:10]
        if f.kind == "high_risk" and inc.kind != "high_risk":
            inc.kind = "high_risk"
        inc.title = f.title if SEVERITY_RANK[f.severity] >= SEVERITY_RANK[inc.severity] else inc.title
        inc.updated_at = now

    def _update(self, s: Session, inc: Incident, f: Finding, now: datetime, result: ApplyResult) -> None:
        before = float(((inc.reference or {}).get("latest") or {}).get(f.kind, f.volume))
        seen = list((inc.reference or {}).get("seen", []))
        known = {e.get("id") for e in inc.evidence or []} | set(seen)
        new_posts = [e for e in f.evidence if e.get("id") not in known]
        self._update_fields(inc, f, now)
        if new_posts:  # every post ever shown on this incident, so none is announced twice
            inc.reference = {**inc.reference, "seen": (seen + [e.get("id") for e in new_posts])[-1000:]}
        changed = False
        told: set[str] = set()   # units the severity escalation just told (with the new evidence)
        if SEVERITY_RANK[f.severity] > SEVERITY_RANK[inc.severity]:
            old = inc.severity
            inc.severity = f.severity
            self._event(s, inc, now, "severity", None, f"级别由{_sev(old)}升为{_sev(f.severity)}",
                        {"from": old, "to": f.severity})
            target = self._climb(inc.unit_id, self.cfg.escalation.start_levels_up[f.severity])
            if self._above(target, inc.escalated_to):
                reached = set(self._frontier(inc))
                self._escalate_to(s, inc, target, now, "severity", f"{_sev(old)}→{_sev(f.severity)}")
                told = set(self._frontier(inc)) - reached
                result.escalated.append(inc.id)
            changed = True
        if f.kind in ("high_risk", "report") and new_posts:
            # a new high-risk post (or urgent report) is always announced to those already told
            ev = self._event(s, inc, now, "updated", None, f.title, {"posts": [p["id"] for p in new_posts]})
            result.notifications += self._notify(s, inc, [u for u in self._frontier(inc) if u not in told],
                                                 "updated", ev, now)
            changed = True
        elif f.volume >= max(before, 1e-9) * self.cfg.escalation.update_factor:
            self._event(s, inc, now, "updated", None, _volume_text(before, f.volume),
                        {"volume": f.volume, "before": before})
            changed = True
        if inc.status == "acknowledged":
            ref = _marked(inc, f.kind)
            due = utc(inc.last_escalated_at) + timedelta(minutes=self.cfg.escalation.ack_minutes[inc.severity])
            if ref is not None and f.volume >= ref * self.cfg.escalation.growth_factor and now >= due \
                    and inc.escalated_to != self.org.root.id:
                self._escalate_to(s, inc, self._next_up(inc.escalated_to), now, "growing", _volume_text(ref, f.volume))
                _mark(inc)
                result.escalated.append(inc.id)
        if changed:
            result.updated.append(inc.id)

    # -- escalation ------------------------------------------------------------------------

    def escalate_due(self, now: datetime) -> int:
        """Escalate open (unacknowledged) incidents past their acknowledgement deadline."""
        now = utc(now)
        n = 0
        self.last_escalated = []
        with self.Session() as s:
            ids = list(s.scalars(select(Incident.id).where(Incident.status == "open",
                                                           Incident.escalated_to != self.org.root.id)))
        for incident_id in ids:
            with self.Session.begin() as s:
                inc = self._load(s, incident_id)
                stepped = False
                while inc.status == "open" and inc.escalated_to != self.org.root.id:
                    due = utc(inc.last_escalated_at) + timedelta(minutes=self.cfg.escalation.ack_minutes[inc.severity])
                    if due > now:
                        break
                    waited = round((due - utc(inc.last_escalated_at)).total_seconds() / 60)
                    self._escalate_to(s, inc, self._next_up(inc.escalated_to), now, "timeout",
                                      f"{waited} 分钟内无人确认", at=due)
                    stepped = True
                n += stepped
            if stepped:
                self.last_escalated.append(incident_id)
        return n

    def _escalate_to(self, s: Session, inc: Incident, target: str, now: datetime, reason: str,
                     detail: str = "", at: datetime | None = None) -> None:
        old, before = inc.escalated_to, set(self._frontier(inc))
        self._set_escalated(inc, target)
        inc.last_escalated_at = at or now
        inc.updated_at = now
        _mark(inc)
        note = f"升级至{self.org.display_name(target)}（{_REASONS.get(reason, reason)}{'：' + detail if detail else ''}）"
        ev = self._event(s, inc, at or now, "escalated", None, note, {"from": old, "to": target, "reason": reason})
        newly = [u for u in self._frontier(inc) if u not in before]
        self._notify(s, inc, newly, f"escalated:{reason}", ev, now)

    def _set_escalated(self, inc: Incident, unit_id: str) -> None:
        unit = self.org[unit_id]
        inc.escalated_to, inc.escalated_to_name, inc.escalation_level = unit.id, unit.name, unit.level

    def _climb(self, unit_id: str, levels: int) -> str:
        path = self.org.path(unit_id)
        target = path[min(levels, len(path) - 1)]
        return self._with_roster(target)

    def _next_up(self, unit_id: str) -> str:
        parent = self.org[unit_id].parent
        return self._with_roster(parent) if parent else unit_id

    def _with_roster(self, unit_id: str) -> str:
        """``unit_id`` if it has officers, else its nearest ancestor that has (a notice must reach someone)."""
        for uid in self.org.path(unit_id):
            if self.org[uid].roster:
                return uid
        return self.org.root.id

    def _above(self, a: str, b: str) -> bool:
        """Is ``a`` a strict ancestor of ``b``?"""
        return a != b and a in self.org.ancestors(b)

    def _frontier(self, inc: Incident) -> list[str]:
        """Units notified so far: from the incident's unit up to ``escalated_to``."""
        path = self.org.path(inc.unit_id) if inc.unit_id in self.org else [inc.escalated_to]
        out = []
        for uid in path:
            out.append(uid)
            if uid == inc.escalated_to:
                break
        return out

    # -- notifications (outbox) --------------------------------------------------------------

    def _notify(self, s: Session, inc: Incident, unit_ids: list[str], reason: str, cause: IncidentEvent,
                now: datetime, *, by: str | None = None, note: str | None = None) -> int:
        """Queue one message per (channel, address) for the on-duty officers of ``unit_ids``."""
        queued = 0
        sent_to: set[tuple[str, str]] = set()
        for uid in unit_ids:
            unit = self.org.get(uid)
            if unit is None:
                continue
            if not unit.roster:
                continue
            officers = duty_officers(unit, now, self.ctx.tz)
            notice = Notice(incident=inc, unit=unit, reason=reason, console_url=self.ctx.settings.notify.console_url,
                            tz=self.ctx.tz, at=now,
                            chain=tuple(self.org.display_name(u) for u in self._frontier(inc)), by=by, note=note)
            message = render_notice(notice)
            before = len(sent_to)
            channels = roster.queue(s, key=f"yuqing-inc{inc.id}-ev{cause.id}", unit=unit, officers=officers,
                                    subject=message.subject, body=message.body, payload=message.payload, now=now,
                                    incident_id=inc.id, sent_to=sent_to)
            queued += len(sent_to) - before
            self.queued += len(sent_to) - before
            self._event(s, inc, now, "notified", None,
                        f"已通知{unit.name}：{'、'.join(o.name for o in officers)}",
                        {"unit": unit.id, "officers": [o.name for o in officers],
                         "channels": channels, "cause": cause.id})
        return queued

    def notify_admins(self, subject: str, body: str, now: datetime) -> int:
        now = utc(now)
        hour = now.astimezone(UTC).strftime("%Y%m%d%H")
        digest = hashlib.sha1(f"{subject}\n{body}".encode()).hexdigest()[:16]
        queued = 0
        with self.Session.begin() as s:
            for officer in self.org.admins:
                for channel, address in officer.contacts().items():
                    key = f"yuqing-admin-{digest}-{hour}-{channel}-{hashlib.sha1(address.encode()).hexdigest()[:12]}"
                    if s.scalars(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)).first():
                        continue
                    s.add(OutboxMessage(
                        idempotency_key=key, incident_id=None, channel=channel, address=address,
                        recipient=f"系统管理员：{officer.name}", subject=f"【系统告警】{subject}", body=body,
                        payload={"type": "system", "subject": subject, "body": body},
                        secret_ref=officer.dingtalk_secret if channel == "dingtalk" else None,
                        status="pending", attempts=0, next_attempt_at=now, created_at=now))
                    queued += 1
        return queued

    def record_run(self, at: datetime, started: datetime, seconds: float, store: str, summary: dict) -> None:
        at, started = utc(at), utc(started)
        with self.Session.begin() as s:
            s.add(EvaluationRun(at=at, started_at=started, seconds=seconds, store=store, summary=summary))

    def last_run(self) -> EvaluationRun | None:
        with self.Session() as s:
            return s.scalars(select(EvaluationRun).order_by(EvaluationRun.id.desc()).limit(1)).first()

    # -- helpers ----------------------------------------------------------------------------

    def _event(self, s: Session, inc: Incident, at: datetime, kind: str, by: str | None, note: str | None,
               data: dict | None = None) -> IncidentEvent:
        ev = IncidentEvent(incident_id=inc.id, at=at, kind=kind, by=by, note=note, data=data or {})
        s.add(ev)
        s.flush()
        return ev


_REASONS = {"timeout": "超时未确认", "growing": "确认后仍在增长", "severity": "级别提高"}


def _mark(inc: Incident) -> None:
    """Remember the current volumes (per kind of evidence) as the yardstick of later growth."""
    ref = dict(inc.reference or {})
    ref["mark"] = dict(ref.get("latest", {}))
    inc.reference = ref


def _marked(inc: Incident, kind: str) -> float | None:
    value = ((inc.reference or {}).get("mark") or {}).get(kind)
    return float(value) if value is not None else None


def _open_key(unit_id: str, topic: str) -> str:
    return f"{unit_id}|{topic}"


def _who(by: str | None) -> str:
    by = (by or "").strip()
    if not by:
        raise InvalidTransition("请用 --by 写明操作人姓名")
    return by


def _sev(severity: str) -> str:

    return SEVERITY_NAMES.get(severity, severity)


def _volume_text(before: float, after: float) -> str:
    return f"加权量 {before:.1f} → {after:.1f}"


__all__ = ["ApplyResult", "Finding", "IncidentNotFound", "InvalidTransition", "StateStore"]
