"""Alembic environment of the state database, loaded by Alembic (never imported) when
:mod:`yuqing.pipeline.core.migrations.runner` runs a command.

There is no ``alembic.ini`` and no offline mode: the runner passes the connection — already in
a transaction holding the migration lock — in ``config.attributes["connection"]``. The metadata
autogenerate compares with is :data:`statedb.Base.metadata`; only the tables of the model modules
imported by the caller are on it (``yuqing db revision`` imports them all). APScheduler's own
table is left out of every comparison (:func:`runner.include_name`).
"""

from __future__ import annotations

from alembic import context

from yuqing.pipeline.core.migrations.runner import include_name, render_item
from yuqing.pipeline.core.statedb import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("the state-database migrations run through yuqing.pipeline.core.statedb.migrate "
                       "or `yuqing db upgrade` (they need a connection; offline SQL mode is not supported)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,          # SQLite cannot ALTER most things: batch mode copies the table
    compare_type=True,
    include_name=include_name,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
