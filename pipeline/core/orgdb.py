"""The org registry's tables in the shared state database (:mod:`yuqing.pipeline.core.statedb`).

``org_units``
    Every union unit ever registered, active or retired (never deleted: incidents, posts and the
    change log keep naming it). ``roster`` holds the duty officers as JSON (the
    :class:`~yuqing.pipeline.core.orgmodel.Officer` fields); ``aliases``/``landmarks`` JSON lists;
    ``position`` the display order among siblings; ``source`` where the unit came from (``yaml``,
    ``divisions``, ``import``, ``console``).
``org_shared``
    Terms that belong to several units (``shared`` in ``org.yaml``).
``org_registry``
    One row: the registry's ``version`` (raised by every change; readers cache the tree until it
    moves), the system admins, and what was last taken from ``org.yaml`` and the shipped
    divisions (digest and, for the YAML, the parsed content, so that a later edit of the file is
    applied as the difference to it).
``org_changes``
    The change log: who changed which unit, when, through what (``via``), the unit before and
    after, and the registry version the change made. One import or one YAML sync is one
    ``batch``.
``org_term_proposals``
    Alias and landmark suggestions (from users' corrections, analysts, other code) waiting for an
    admin's review — :func:`yuqing.pipeline.core.orgregistry.propose_term`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yuqing.pipeline.core.statedb import Base


class OrgUnitRow(Base):
    __tablename__ = "org_units"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    code: Mapped[str | None] = mapped_column(String(12), nullable=True, unique=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), nullable=True, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    aliases: Mapped[list] = mapped_column(JSON, default=list)
    landmarks: Mapped[list] = mapped_column(JSON, default=list)
    address: Mapped[str | None] = mapped_column(Text, nullable=True)
    roster: Mapped[list] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    source: Mapped[str] = mapped_column(String(16), default="console")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class OrgSharedRow(Base):
    __tablename__ = "org_shared"

    term: Mapped[str] = mapped_column(String(100), primary_key=True)
    units: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")


class OrgRegistryRow(Base):
    __tablename__ = "org_registry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    admins: Mapped[list] = mapped_column(JSON, default=list)
    yaml_digest: Mapped[str] = mapped_column(String(64), default="")
    yaml_snapshot: Mapped[dict] = mapped_column(JSON, default=dict)
    divisions_digest: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OrgChangeRow(Base):
    __tablename__ = "org_changes"
    __table_args__ = (Index("ix_org_changes_unit_at", "unit_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    by: Mapped[str] = mapped_column(String(100))
    via: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(30))
    unit_id: Mapped[str] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer, index=True)
    batch: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    before: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class OrgTermProposalRow(Base):
    __tablename__ = "org_term_proposals"
    __table_args__ = (Index("ix_org_term_proposals_status_unit", "status", "unit_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit_id: Mapped[str] = mapped_column(String(128))
    term: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(50))
    proposed_by: Mapped[str] = mapped_column(String(100))
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    count: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
