"""reports: grassroots reporting (信息报送) — reports, their timeline and attachments, response statements

Revision ID: 0012_reports
Revises: 0001
Create Date: 2026-12-04

New tables only (``yuqing.alerts.report_models``); nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_reports"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reports',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('post_id', sa.String(length=60), nullable=False),
    sa.Column('unit_id', sa.String(length=100), nullable=False),
    sa.Column('place', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('employer', sa.String(length=200), nullable=False),
    sa.Column('workers', sa.Integer(), nullable=True),
    sa.Column('amount_yuan', sa.Float(), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('personal_data', sa.Boolean(), nullable=False),
    sa.Column('personal_names', sa.JSON(), nullable=False),
    sa.Column('reporter_username', sa.String(length=64), nullable=False),
    sa.Column('reporter_name', sa.String(length=128), nullable=False),
    sa.Column('reporter_unit_id', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('adopted_subdistrict_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('adopted_subdistrict_by', sa.String(length=200), nullable=True),
    sa.Column('adopted_district_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('adopted_district_by', sa.String(length=200), nullable=True),
    sa.Column('first_reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ingested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['alert_incidents.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('post_id')
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reports_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_reporter_unit_id'), ['reporter_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_reporter_username'), ['reporter_username'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_unit_id'), ['unit_id'], unique=False)

    op.create_table('report_attachments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('media_type', sa.String(length=60), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('stored_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('report_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_attachments_report_id'), ['report_id'], unique=False)

    op.create_table('report_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('by', sa.String(length=200), nullable=True),
    sa.Column('unit_id', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('report_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_events_report_id'), ['report_id'], unique=False)

    op.create_table('responses',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.String(length=100), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('outlets', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('drafted_by', sa.String(length=200), nullable=False),
    sa.Column('drafted_username', sa.String(length=64), nullable=False),
    sa.Column('reviewed_by', sa.String(length=200), nullable=True),
    sa.Column('reviewed_unit_id', sa.String(length=100), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.Column('publications', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['alert_incidents.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_responses_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_report_id'), ['report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_unit_id'), ['unit_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_responses_unit_id'))
        batch_op.drop_index(batch_op.f('ix_responses_status'))
        batch_op.drop_index(batch_op.f('ix_responses_report_id'))
        batch_op.drop_index(batch_op.f('ix_responses_incident_id'))
        batch_op.drop_index(batch_op.f('ix_responses_created_at'))

    op.drop_table('responses')
    with op.batch_alter_table('report_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_events_report_id'))

    op.drop_table('report_events')
    with op.batch_alter_table('report_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_attachments_report_id'))

    op.drop_table('report_attachments')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_unit_id'))
        batch_op.drop_index(batch_op.f('ix_reports_status'))
        batch_op.drop_index(batch_op.f('ix_reports_reporter_username'))
        batch_op.drop_index(batch_op.f('ix_reports_reporter_unit_id'))
        batch_op.drop_index(batch_op.f('ix_reports_incident_id'))
        batch_op.drop_index(batch_op.f('ix_reports_created_at'))

    op.drop_table('reports')
