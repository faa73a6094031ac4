"""Grassroots reporting tables on the shared state database (:mod:`yuqing.pipeline.core.statedb`).

``reports``
    One row per 舆情信息 report (信息报送) a union below the district sends upward: what happened,
    where (``unit_id``, the unit the reporter chose; ``place``, free text), employer, workers,
    amount owed, how it was learned (``channel``), urgency, whether it holds workers' personal data,
    who reported (``reporter_*``: the console account, its name and unit — never copied into the
    post store), the review state (``status``), the adoption at each level (``adopted_*``), the
    incident it was merged into, and ``post_id`` (``report:<id>``), the post it became.
``report_events``
    Its timeline: submitted, adopted, merged, more asked, supplemented, returned, responses.
``report_attachments``
    Photos and PDFs: type found from the content, size, SHA-256, the file's name under the data dir.
``responses``
    The union's voice (回应口径): a statement drafted on an incident or a report, where it is to be
    published, its approval by an upper level (or return for changes), and every publication
    (where, when, link) in ``publications``.

Times are UTC (:class:`~yuqing.alerts.models.UtcDateTime`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yuqing.alerts.models import UtcDateTime, iso
from yuqing.pipeline.core.names import (
    ADOPTION_LEVEL_NAMES,
    REPORT_CHANNEL_NAMES,
    REPORT_STATUS_NAMES,
    REPORT_URGENCY_NAMES,
    RESPONSE_STATUS_NAMES,
)
from yuqing.pipeline.core.statedb import Base

REPORT_EVENT_NAMES = {
    "submitted": "报送", "adopted": "采用", "merged": "并入事件", "more_requested": "要求补报",
    "supplemented": "补报", "returned": "退回", "incident_opened": "紧急报送立案", "notified": "已通知",
    "response_drafted": "拟定回应口径", "response_approved": "口径审批通过", "response_returned": "口径退回修改",
    "response_published": "口径已发布", "response_revised": "口径修改后重新报批",
}


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(String(60), unique=True)
    unit_id: Mapped[str] = mapped_column(String(100), index=True)          # where (the chosen unit)
    place: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    employer: Mapped[str] = mapped_column(String(200), default="")
    workers: Mapped[int | None] = mapped_column(Integer, nullable=True)
    amount_yuan: Mapped[float | None] = mapped_column(Float, nullable=True)
    channel: Mapped[str] = mapped_column(String(20), default="other")
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    personal_data: Mapped[bool] = mapped_column(Boolean, default=False)
    personal_names: Mapped[list[str]] = mapped_column(JSON, default=list)   # names to mask, as listed
    reporter_username: Mapped[str] = mapped_column(String(64), index=True)
    reporter_name: Mapped[str] = mapped_column(String(128), default="")
    reporter_unit_id: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("alert_incidents.id", ondelete="SET NULL"),
                                                    nullable=True, index=True)
    adopted_subdistrict_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    adopted_subdistrict_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    adopted_district_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    adopted_district_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    first_reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    ingested_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    events: Mapped[list[ReportEvent]] = relationship(
        back_populates="report", order_by="ReportEvent.id", cascade="all, delete-orphan")
    attachments: Mapped[list[ReportAttachment]] = relationship(
        back_populates="report", order_by="ReportAttachment.id", cascade="all, delete-orphan")

    def adopted_levels(self) -> list[str]:
        return [lv for lv in ADOPTION_LEVEL_NAMES if getattr(self, f"adopted_{lv}_at") is not None]

    def to_dict(self, *, timeline: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "post_id": self.post_id, "unit_id": self.unit_id, "place": self.place,
            "title": self.title, "text": self.text, "employer": self.employer, "workers": self.workers,
            "amount_yuan": self.amount_yuan, "channel": self.channel,
            "channel_name": REPORT_CHANNEL_NAMES.get(self.channel, self.channel), "urgency": self.urgency,
            "urgency_name": REPORT_URGENCY_NAMES.get(self.urgency, self.urgency),
            "personal_data": self.personal_data, "reporter_username": self.reporter_username,
            "reporter_name": self.reporter_name, "reporter_unit_id": self.reporter_unit_id,
            "status": self.status, "status_name": REPORT_STATUS_NAMES.get(self.status, self.status),
            "incident_id": self.incident_id, "adopted_levels": self.adopted_levels(),
            "adopted_subdistrict_at": iso(self.adopted_subdistrict_at),
            "adopted_subdistrict_by": self.adopted_subdistrict_by,
            "adopted_district_at": iso(self.adopted_district_at), "adopted_district_by": self.adopted_district_by,
            "first_reviewed_at": iso(self.first_reviewed_at), "ingested_at": iso(self.ingested_at),
            "created_at": iso(self.created_at), "updated_at": iso(self.updated_at),
            "attachments": [a.to_dict() for a in self.attachments],
        }
        if timeline:
            out["timeline"] = [e.to_dict() for e in self.events]
        return out


class ReportEvent(Base):
    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(30))
    by: Mapped[str | None] = mapped_column(String(200), nullable=True)     # a person, or None for the system
    unit_id: Mapped[str] = mapped_column(String(100), default="")          # the unit of who acted
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    report: Mapped[Report] = relationship(back_populates="events")

    def to_dict(self) -> dict[str, Any]:
        return {"at": iso(self.at), "kind": self.kind, "kind_name": REPORT_EVENT_NAMES.get(self.kind, self.kind),
                "by": self.by or "系统", "unit_id": self.unit_id, "note": self.note, "data": self.data or {}}


class ReportAttachment(Base):
    __tablename__ = "report_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))        # as uploaded, cleaned (shown, offered on download)
    kind: Mapped[str] = mapped_column(String(10))             # jpeg | png | gif | webp | heic | pdf
    media_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(200))     # under reports.attachments_dir
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    report: Mapped[Report] = relationship(back_populates="attachments")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "filename": self.filename, "kind": self.kind, "media_type": self.media_type,
                "size": self.size, "sha256": self.sha256, "created_at": iso(self.created_at)}


class Response(Base):
    __tablename__ = "responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("alert_incidents.id", ondelete="CASCADE"),
                                                    nullable=True, index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"),
                                                  nullable=True, index=True)
    unit_id: Mapped[str] = mapped_column(String(100), index=True)      # the drafting officer's unit
    text: Mapped[str] = mapped_column(Text)
    outlets: Mapped[str] = mapped_column(Text, default="")              # where it is to be published
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    drafted_by: Mapped[str] = mapped_column(String(200))
    drafted_username: Mapped[str] = mapped_column(String(64))
    reviewed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reviewed_unit_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    review_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    publications: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{where, at, url, by}]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "incident_id": self.incident_id, "report_id": self.report_id,
                "unit_id": self.unit_id, "text": self.text, "outlets": self.outlets, "status": self.status,
                "status_name": RESPONSE_STATUS_NAMES.get(self.status, self.status), "drafted_by": self.drafted_by,
                "drafted_username": self.drafted_username, "reviewed_by": self.reviewed_by,
                "reviewed_unit_id": self.reviewed_unit_id, "reviewed_at": iso(self.reviewed_at),
                "review_note": self.review_note, "publications": list(self.publications or []),
                "created_at": iso(self.created_at), "updated_at": iso(self.updated_at)}
