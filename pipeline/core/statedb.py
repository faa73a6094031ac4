"""The shared state database (SQLAlchemy): alert incidents and outbox, scheduler runs, console
users and audit log. SQLite in the data dir by default, PostgreSQL for a shared deployment
(``state.url`` in settings or ``YUQING_STATE_URL``).

Each area declares its tables on :class:`Base` in its own ``models.py``. The schema is owned by the
Alembic migrations in :mod:`yuqing.pipeline.core.migrations` (``versions/``, oldest first): code
that uses the database calls :func:`ensure_schema` (or :func:`migrate`) first, which upgrades the
database to the newest revision once per URL per process — an empty database from scratch, one made
before migrations existed by taking it over as the baseline. ``yuqing db upgrade|current|history``
do the same by hand. APScheduler's ``scheduler_jobs`` table is APScheduler's own and not migrated.

Adding or changing a table
--------------------------
1. Declare or change the model on :class:`Base` in the area's ``models.py`` (and import that
   module in ``pipeline/cli/statedb.py``, which ``tests/pipeline/test_migrations.py`` checks).
2. Generate the revision — the models are compared with a scratch SQLite database at the head
   revision, and the new file is written to ``pipeline/core/migrations/versions/NNNN_slug.py``::

       yuqing db revision -m "add org registry"

   (from Python: ``import`` the model modules, then
   ``yuqing.pipeline.core.migrations.runner.autogenerate("add org registry")``).
3. Read the file: autogenerate does not see renames (it writes drop + add: turn that into
   ``batch_op.alter_column(..., new_column_name=...)``) nor data moves; add those by hand. Keep the
   operations explicit (``op.create_table``, ``op.batch_alter_table`` …) and do not import models.
4. ``pytest tests/pipeline/test_migrations.py``: it upgrades empty and pre-migration databases on
   SQLite and PostgreSQL and fails while the models and the migrated schema differ.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.orm import DeclarativeBase, sessionmaker

from yuqing.pipeline.core.migrations import runner
from yuqing.pipeline.core.migrations.runner import SchemaError, Upgrade

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context

__all__ = ["Base", "SchemaError", "Upgrade", "engine_for", "engine_for_url", "ensure_schema", "forget",
           "migrate", "session_factory"]


class Base(DeclarativeBase):
    pass


_engines: dict[str, Engine] = {}
_migrated: set[str] = set()      # URLs this process has upgraded to the head revision
_lock = threading.Lock()
_migrate_lock = threading.Lock()


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    runner.sqlite_pragmas(dbapi_conn, foreign_keys=True, busy_ms=30_000)


def engine_for_url(url: str) -> Engine:
    """One engine per URL per process."""
    with _lock:
        if url not in _engines:
            engine = create_engine(url, future=True)
            if url.startswith("sqlite"):
                event.listen(engine, "connect", _sqlite_pragmas)
            _engines[url] = engine
        return _engines[url]


def engine_for(ctx: Context) -> Engine:
    return engine_for_url(ctx.state_url)


def migrate(target: Engine | str) -> Upgrade | None:
    """Upgrade the database (an engine or a URL) to the newest revision, once per URL per process;
    None when this process already did. Raises :class:`SchemaError` for a database at a revision
    this code does not know."""
    engine = target if isinstance(target, Engine) else engine_for_url(target)
    key = _key(engine.url)
    with _migrate_lock:
        if key in _migrated:
            return None
        done = runner.upgrade(engine)
        _migrated.add(key)
        return done


def ensure_schema(ctx: Context) -> Engine:
    """The context's state-database engine, its schema at the newest revision."""
    engine = engine_for(ctx)
    migrate(engine)
    return engine


def forget(url: str) -> None:
    """Drop this process's engine and migrated mark for ``url`` (after deleting the database file)."""
    with _lock:
        engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()
    with _migrate_lock:
        _migrated.discard(_key(make_url(url)))


def _key(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False, future=True)
