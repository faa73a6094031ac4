"""baseline: alerts, console and scheduler-run tables as made before migrations

Revision ID: 0001
Revises:
Create Date: 2026-12-04

Databases made before migrations existed already hold some or all of these tables (each area
created its own with ``create_all``): a table that is there is kept — its columns are checked and
any missing index is added — and only the missing tables are created. A fresh database gets all.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from yuqing.pipeline.core.migrations.runner import SchemaError

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Index = tuple[str, list[str], bool]   # name, columns, unique


def _table(existing: set[str], name: str, *elements: sa.SchemaItem, indexes: Sequence[Index] = ()) -> None:
    """Create table ``name`` with its indexes, or check the one made before migrations."""
    if name not in existing:
        op.create_table(name, *elements)
        for index_name, columns, unique in indexes:
            op.create_index(index_name, name, columns, unique=unique)
        return
    insp = sa.inspect(op.get_bind())
    have = {c["name"] for c in insp.get_columns(name)}
    missing = [e.name for e in elements if isinstance(e, sa.Column) and e.name not in have]
    if missing:
        raise SchemaError(f"状态数据库的表 {name} 缺少列 {', '.join(missing)}：它不是由迁移前的当前版本创建的，无法接管"
                          f" (table {name!r} made before migrations lacks columns {missing})")
    have_indexes = {i["name"] for i in insp.get_indexes(name)}
    for index_name, columns, unique in indexes:
        if index_name not in have_indexes:
            op.create_index(index_name, name, columns, unique=unique)


def upgrade() -> None:
    insp = sa.inspect(op.get_bind())
    existing = set(insp.get_table_names())

    _table(existing, "alert_incidents",
           sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
           sa.Column("open_key", sa.String(length=200), nullable=True),
           sa.Column("unit_id", sa.String(length=100), nullable=False),
           sa.Column("unit_name", sa.String(length=200), nullable=False),
           sa.Column("unit_level", sa.String(length=20), nullable=False),
           sa.Column("topic", sa.String(length=100), nullable=False),
           sa.Column("topic_name", sa.String(length=200), nullable=False),
           sa.Column("kind", sa.String(length=20), nullable=False),
           sa.Column("status", sa.String(length=20), nullable=False),
           sa.Column("severity", sa.String(length=20), nullable=False),
           sa.Column("escalated_to", sa.String(length=100), nullable=False),
           sa.Column("escalated_to_name", sa.String(length=200), nullable=False),
           sa.Column("escalation_level", sa.String(length=20), nullable=False),
           sa.Column("title", sa.Text(), nullable=False),
           sa.Column("counts", sa.JSON(), nullable=False),
           sa.Column("reference", sa.JSON(), nullable=False),
           sa.Column("evidence", sa.JSON(), nullable=False),
           sa.Column("score", sa.Float(), nullable=False),
           sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
           sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
           sa.Column("last_escalated_at", sa.DateTime(timezone=True), nullable=False),
           sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
           sa.Column("acknowledged_by", sa.String(length=100), nullable=True),
           sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
           sa.Column("resolved_by", sa.String(length=100), nullable=True),
           sa.Column("resolution_note", sa.Text(), nullable=True),
           sa.PrimaryKeyConstraint("id"),
           sa.UniqueConstraint("open_key"),
           indexes=[("ix_alert_incidents_status", ["status"], False),
                    ("ix_alert_incidents_unit_id", ["unit_id"], False),
                    ("alert_incidents_unit_topic", ["unit_id", "topic"], False)])

    _table(existing, "alert_runs",
           sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
           sa.Column("at", sa.DateTime(timezone=True), nullable=False),
           sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
           sa.Column("seconds", sa.Float(), nullable=False),
           sa.Column("store", sa.String(length=30), nullable=False),
           sa.Column("summary", sa.JSON(), nullable=False),
           sa.PrimaryKeyConstraint("id"),
           indexes=[("ix_alert_runs_at", ["at"], False)])

    _table(existing, "console_users",
           sa.Column("id", sa.Integer(), nullable=False),
           sa.Column("username", sa.String(length=64), nullable=False),
           sa.Column("display_name", sa.String(length=128), nullable=False),
           sa.Column("unit_id", sa.String(length=128), nullable=False),
           sa.Column("role", sa.String(length=16), nullable=False),
           sa.Column("password_hash", sa.String(length=256), nullable=False),
           sa.Column("disabled", sa.Boolean(), nullable=False),
           sa.Column("failed_logins", sa.Integer(), nullable=False),
           sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
           sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
           sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
           sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
           sa.PrimaryKeyConstraint("id"),
           indexes=[("ix_console_users_username", ["username"], True)])

    _table(existing, "console_audit",
           sa.Column("id", sa.Integer(), nullable=False),
           sa.Column("at", sa.DateTime(timezone=True), nullable=False),
           sa.Column("username", sa.String(length=64), nullable=False),
           sa.Column("unit_id", sa.String(length=128), nullable=False),
           sa.Column("action", sa.String(length=48), nullable=False),
           sa.Column("target", sa.String(length=256), nullable=False),
           sa.Column("ok", sa.Boolean(), nullable=False),
           sa.Column("ip", sa.String(length=64), nullable=False),
           sa.Column("detail", sa.Text(), nullable=False),
           sa.PrimaryKeyConstraint("id"),
           indexes=[("ix_console_audit_at", ["at"], False),
                    ("ix_console_audit_username", ["username"], False),
                    ("ix_console_audit_unit_id", ["unit_id"], False),
                    ("ix_console_audit_action", ["action"], False)])

    _table(existing, "scheduler_runs",
           sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
           sa.Column("job_id", sa.String(length=200), nullable=False),
           sa.Column("source", sa.String(length=100), nullable=True),
           sa.Column("scheduled_at", sa.DateTime(), nullable=False),
           sa.Column("started_at", sa.DateTime(), nullable=False),
           sa.Column("finished_at", sa.DateTime(), nullable=True),
           sa.Column("duration", sa.Float(), nullable=True),
           sa.Column("status", sa.String(length=20), nullable=False),
           sa.Column("message", sa.Text(), nullable=False),
           sa.Column("instance", sa.String(length=100), nullable=False),
           sa.PrimaryKeyConstraint("id"),
           sa.UniqueConstraint("job_id", "scheduled_at", name="uq_scheduler_runs_slot"),
           indexes=[("ix_scheduler_runs_job_started", ["job_id", "started_at"], False)])

    _table(existing, "alert_events",
           sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
           sa.Column("incident_id", sa.Integer(), nullable=False),
           sa.Column("at", sa.DateTime(timezone=True), nullable=False),
           sa.Column("kind", sa.String(length=30), nullable=False),
           sa.Column("by", sa.String(length=100), nullable=True),
           sa.Column("note", sa.Text(), nullable=True),
           sa.Column("data", sa.JSON(), nullable=False),
           sa.ForeignKeyConstraint(["incident_id"], ["alert_incidents.id"], ondelete="CASCADE"),
           sa.PrimaryKeyConstraint("id"),
           indexes=[("ix_alert_events_incident_id", ["incident_id"], False)])

    _table(existing, "alert_outbox",
           sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
           sa.Column("idempotency_key", sa.String(length=200), nullable=False),
           sa.Column("incident_id", sa.Integer(), nullable=True),
           sa.Column("channel", sa.String(length=30), nullable=False),
           sa.Column("address", sa.Text(), nullable=False),
           sa.Column("recipient", sa.String(length=200), nullable=False),
           sa.Column("subject", sa.Text(), nullable=False),
           sa.Column("body", sa.Text(), nullable=False),
           sa.Column("payload", sa.JSON(), nullable=False),
           sa.Column("secret_ref", sa.Text(), nullable=True),
           sa.Column("status", sa.String(length=20), nullable=False),
           sa.Column("attempts", sa.Integer(), nullable=False),
           sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
           sa.Column("last_error", sa.Text(), nullable=True),
           sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
           sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
           sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
           sa.PrimaryKeyConstraint("id"),
           sa.UniqueConstraint("idempotency_key"),
           sa.ForeignKeyConstraint(["incident_id"], ["alert_incidents.id"], ondelete="SET NULL"),
           indexes=[("ix_alert_outbox_incident_id", ["incident_id"], False),
                    ("ix_alert_outbox_next_attempt_at", ["next_attempt_at"], False),
                    ("ix_alert_outbox_status", ["status"], False)])

    _table(existing, "console_sessions",
           sa.Column("key", sa.String(length=64), nullable=False),
           sa.Column("user_id", sa.Integer(), nullable=False),
           sa.Column("csrf_token", sa.String(length=64), nullable=False),
           sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
           sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
           sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
           sa.Column("ip", sa.String(length=64), nullable=False),
           sa.Column("user_agent", sa.String(length=256), nullable=False),
           sa.ForeignKeyConstraint(["user_id"], ["console_users.id"], ondelete="CASCADE"),
           sa.PrimaryKeyConstraint("key"),
           indexes=[("ix_console_sessions_user_id", ["user_id"], False)])


def downgrade() -> None:
    for name in ("console_sessions", "alert_outbox", "alert_events", "scheduler_runs", "console_audit",
                 "console_users", "alert_runs", "alert_incidents"):
        op.drop_table(name)
