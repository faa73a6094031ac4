"""Alert state tables on the shared state database (:mod:`yuqing.pipeline.core.statedb`).

``alert_incidents``
    One row per incident. ``open_key`` is ``"{unit_id}|{topic}"`` while the incident is open or
    acknowledged and ``NULL`` once resolved; a unique index on it is what guarantees one open
    incident per (unit, topic), even with two evaluators racing.
``alert_events``
    The timeline: every state change and notification decision, with who and when.
``alert_outbox``
    Notifications to send, written in the same transaction as the state change that caused them
    (transactional outbox). ``idempotency_key`` is unique: writing the same notification twice is
    a no-op, and the key travels with the message so receivers can drop replays.
``alert_runs``
    One row per evaluation cycle (when, how long, what it found) — the health page reads it.

Times are stored in UTC (:class:`UtcDateTime`) and read back as aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text, TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yuqing.pipeline.core.names import SEVERITY_NAMES, STATUS_NAMES
from yuqing.pipeline.core.statedb import Base
from yuqing.pipeline.core.timeutil import iso, utc  # noqa: F401 (re-exported)

STATUSES = ("open", "acknowledged", "resolved")
SEVERITIES = ("low", "medium", "high", "critical")
EVENT_NAMES = {
    "opened": "立案", "updated": "新进展", "notified": "已通知", "escalated": "升级",
    "acknowledged": "确认", "resolved": "处置完毕", "reopened": "重新打开", "note": "备注",
    "severity": "级别调整", "delivery_failed": "通知失败",
    # grassroots reports and the union's response (yuqing.alerts.reports, yuqing.alerts.responses)
    "report_merged": "信息报送并入", "response_drafted": "拟定回应口径", "response_approved": "口径审批通过",
    "response_returned": "口径退回修改", "response_published": "口径已发布", "response_revised": "口径重新报批",
}


class UtcDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every database: stored as UTC (SQLite keeps
    no offset, so a local time written as is would compare wrongly with UTC ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} for the state database: give a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return utc(value)


class Incident(Base):
    __tablename__ = "alert_incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    open_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    unit_id: Mapped[str] = mapped_column(String(100), index=True)
    unit_name: Mapped[str] = mapped_column(String(200), default="")
    unit_level: Mapped[str] = mapped_column(String(20), default="")
    topic: Mapped[str] = mapped_column(String(100))
    topic_name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20), default="trend")        # trend | high_risk
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    severity: Mapped[str] = mapped_column(String(20), default="low")
    escalated_to: Mapped[str] = mapped_column(String(100))               # highest unit notified
    escalated_to_name: Mapped[str] = mapped_column(String(200), default="")
    escalation_level: Mapped[str] = mapped_column(String(20), default="")   # level of escalated_to
    title: Mapped[str] = mapped_column(Text, default="")
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)    # latest detection figures
    reference: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict) # figures at ack/escalation
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)       # representative post ids
    score: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_escalated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    resolution_note: Mapped[str | None] = mapped_column(Text, nullable=True)

    events: Mapped[list[IncidentEvent]] = relationship(
        back_populates="incident", order_by="IncidentEvent.id", cascade="all, delete-orphan")

    __table_args__ = (Index("alert_incidents_unit_topic", "unit_id", "topic"),)

    def to_dict(self, *, timeline: bool = True) -> dict[str, Any]:
        """The incident as JSON (the agreed shape other areas read)."""
        out: dict[str, Any] = {
            "id": self.id, "unit_id": self.unit_id, "unit_name": self.unit_name, "level": self.unit_level,
            "topic": self.topic, "topic_name": self.topic_name or self.topic, "kind": self.kind,
            "title": self.title, "status": self.status, "status_name": STATUS_NAMES.get(self.status, self.status),
            "severity": self.severity, "severity_name": SEVERITY_NAMES.get(self.severity, self.severity),
            "escalation_level": self.escalation_level, "escalated_to": self.escalated_to,
            "escalated_to_name": self.escalated_to_name, "score": self.score,
            "counts": self.counts or {}, "evidence": list(self.evidence or []),
            "created_at": iso(self.created_at), "updated_at": iso(self.updated_at),
            "acknowledged_at": iso(self.acknowledged_at), "acknowledged_by": self.acknowledged_by,
            "resolved_at": iso(self.resolved_at), "resolved_by": self.resolved_by,
            "resolution_note": self.resolution_note,
        }
        if timeline:
            out["timeline"] = [e.to_dict() for e in self.events]
        return out


class IncidentEvent(Base):
    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("alert_incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(30))
    by: Mapped[str | None] = mapped_column(String(100), nullable=True)   # a person, or None for the system
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    incident: Mapped[Incident] = relationship(back_populates="events")

    def to_dict(self) -> dict[str, Any]:
        return {"at": iso(self.at), "kind": self.kind, "kind_name": EVENT_NAMES.get(self.kind, self.kind),
                "by": self.by or "系统", "note": self.note, "data": self.data or {}}


class OutboxMessage(Base):
    __tablename__ = "alert_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("alert_incidents.id", ondelete="SET NULL"),
                                                    nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(30))          # email | wecom | dingtalk | webhook
    address: Mapped[str] = mapped_column(Text)                # e-mail address or URL
    recipient: Mapped[str] = mapped_column(String(200), default="")  # officer name(s), unit
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # structured copy for webhooks
    secret_ref: Mapped[str | None] = mapped_column(Text, nullable=True)  # DingTalk signing secret (or env:VAR)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)  # pending | sent | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "idempotency_key": self.idempotency_key, "incident_id": self.incident_id,
                "channel": self.channel, "address": self.address, "recipient": self.recipient,
                "subject": self.subject, "status": self.status, "attempts": self.attempts,
                "next_attempt_at": iso(self.next_attempt_at), "last_error": self.last_error,
                "created_at": iso(self.created_at), "sent_at": iso(self.sent_at)}


class EvaluationRun(Base):
    __tablename__ = "alert_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)   # the evaluated time
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    store: Mapped[str] = mapped_column(String(30), default="")
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
