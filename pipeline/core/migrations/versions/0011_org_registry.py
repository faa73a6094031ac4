"""org registry: units, shared terms, version, change log, term suggestions

Units active and retired; the registry's version and what it last took from org.yaml and the
shipped divisions; the change log; alias/landmark suggestions waiting for review.

Revision ID: 0011_org_registry
Revises: 0001
Create Date: 2026-12-04

The registry starts empty (its one `org_registry` row at version 0); the first ``load_org`` fills it from ``org.yaml`` and the shipped
official divisions (``yuqing.pipeline.core.orgregistry.sync``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0011_org_registry"
down_revision = "0012_reports"  # chained after the reports revision at merge
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('org_changes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=100), nullable=False),
    sa.Column('via', sa.String(length=20), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('unit_id', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('batch', sa.String(length=64), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('org_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_changes_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_org_changes_batch'), ['batch'], unique=False)
        batch_op.create_index('ix_org_changes_unit_at', ['unit_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_org_changes_version'), ['version'], unique=False)

    op.create_table('org_registry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('admins', sa.JSON(), nullable=False),
    sa.Column('yaml_digest', sa.String(length=64), nullable=False),
    sa.Column('yaml_snapshot', sa.JSON(), nullable=False),
    sa.Column('divisions_digest', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    # the registry's one row exists from the start, so concurrent first writers lock it, never race to insert it
    op.bulk_insert(sa.table("org_registry", sa.column("id", sa.Integer()), sa.column("version", sa.Integer()),
                            sa.column("admins", sa.JSON()), sa.column("yaml_digest", sa.String()),
                            sa.column("yaml_snapshot", sa.JSON()), sa.column("divisions_digest", sa.String()),
                            sa.column("updated_at", sa.DateTime(timezone=True))),
                   [{"id": 1, "version": 0, "admins": [], "yaml_digest": "", "yaml_snapshot": {}, "divisions_digest": "",
                     "updated_at": datetime.now(UTC)}])
    op.create_table('org_shared',
    sa.Column('term', sa.String(length=100), nullable=False),
    sa.Column('units', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('term')
    )
    op.create_table('org_term_proposals',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('unit_id', sa.String(length=128), nullable=False),
    sa.Column('term', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=50), nullable=False),
    sa.Column('proposed_by', sa.String(length=100), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('org_term_proposals', schema=None) as batch_op:
        batch_op.create_index('ix_org_term_proposals_status_unit', ['status', 'unit_id'], unique=False)

    op.create_table('org_units',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=True),
    sa.Column('credit_code', sa.String(length=18), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('parent_id', sa.String(length=128), nullable=True),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.Column('landmarks', sa.JSON(), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('roster', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('credit_code')
    )
    with op.batch_alter_table('org_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_units_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_org_units_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('org_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_units_status'))
        batch_op.drop_index(batch_op.f('ix_org_units_parent_id'))

    op.drop_table('org_units')
    with op.batch_alter_table('org_term_proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_org_term_proposals_status_unit')

    op.drop_table('org_term_proposals')
    op.drop_table('org_shared')
    op.drop_table('org_registry')
    with op.batch_alter_table('org_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_changes_version'))
        batch_op.drop_index('ix_org_changes_unit_at')
        batch_op.drop_index(batch_op.f('ix_org_changes_batch'))
        batch_op.drop_index(batch_op.f('ix_org_changes_at'))

    op.drop_table('org_changes')
