"""Running the state-database migrations with Alembic, programmatically: no ``alembic.ini``, the
scripts are found as a package resource and the connection is handed to ``env.py``.

:func:`upgrade` brings one database to the newest revision inside one transaction that holds a
migration lock, so concurrent processes never both create tables:

* PostgreSQL: ``pg_advisory_xact_lock`` (released with the transaction);
* SQLite file: a dedicated connection that starts with ``BEGIN IMMEDIATE`` (the write lock) and has
  foreign keys off — batch mode rebuilds a table by copy, drop and rename, and dropping a parent
  table with foreign keys on would cascade-delete its children; ``PRAGMA foreign_key_check`` runs
  before the commit instead.

A database made before migrations existed (tables, no ``alembic_version``) needs nothing special:
the baseline revision creates only the tables that are missing and checks the columns of those
already there, then Alembic records the baseline. A database at a revision this code does not know
(upgraded by a newer release) is refused with :class:`SchemaError` naming the revision.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

log = logging.getLogger("yuqing.statedb")

SCRIPT_LOCATION = "yuqing.pipeline.core.migrations:"
VERSIONS_DIR = Path(__file__).with_name("versions")
#: tables in the state database that the migrations leave alone (APScheduler creates its own)
UNMANAGED_TABLES = frozenset({"scheduler_jobs"})
VERSION_TABLE = "alembic_version"
_PG_LOCK_KEY = 0x79_75_71_69_6E_67  # "yuqing": one advisory lock for every yuqing migration


class SchemaError(RuntimeError):
    """The state database cannot be brought to this code's schema (message says why)."""


@dataclass(frozen=True)
class Upgrade:
    """What :func:`upgrade` did: revisions before and after; ``legacy`` when the database had
    tables but no revision (made before migrations existed) and was taken over as the baseline."""

    before: tuple[str, ...]
    after: tuple[str, ...]
    legacy: bool

    @property
    def changed(self) -> bool:
        return self.before != self.after


# --- Alembic hooks (used by env.py and the schema tests) ----------------------------------------


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Leave APScheduler's table out of autogenerate and schema comparisons."""
    return not (type_ == "table" and name in UNMANAGED_TABLES)


def render_item(type_: str, obj, autogen_context) -> str | bool:
    """Render a model's TypeDecorator (e.g. a UTC datetime) as its plain SQLAlchemy type, so that a
    generated revision never imports the models (migrations live in the foundation layer)."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


# --- scripts ------------------------------------------------------------------------------------


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    cfg.attributes["connection"] = connection
    return cfg


@cache
def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    heads = scripts().get_heads()
    if len(heads) != 1:
        raise SchemaError(f"the migrations in {VERSIONS_DIR} have {len(heads)} heads ({', '.join(heads)}): "
                          "merge them into one (alembic merge) before upgrading")
    return heads[0]


def history() -> list[dict]:
    """Every revision, newest first: ``revision``, ``down_revision``, ``message``, ``path``."""
    return [{"revision": s.revision, "down_revision": s.down_revision, "message": s.doc,
             "path": s.path} for s in scripts().walk_revisions()]


def _show(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def current(engine: Engine) -> tuple[str, ...]:
    """The database's revision(s) — empty before the first upgrade. Reads only."""
    with engine.connect() as conn:
        return tuple(MigrationContext.configure(conn).get_current_heads())


def check_known(revisions: tuple[str, ...], engine: Engine) -> None:
    known = {s.revision for s in scripts().walk_revisions()}
    for rev in revisions:
        if rev not in known:
            raise SchemaError(
                f"状态数据库 {_show(engine)} 的结构版本 {rev} 不是本程序的迁移版本（可能已被更新版本的 yuqing 升级）："
                f"请使用更新版本的 yuqing，不要降级。本程序最新版本为 {head()}。"
                f" (state database at unknown revision {rev!r}; this code knows up to {head()!r})")


# --- upgrading ----------------------------------------------------------------------------------


def _is_sqlite_file(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:")


def sqlite_pragmas(dbapi_conn, *, foreign_keys: bool, busy_ms: int) -> None:
    """Every state-database SQLite connection: WAL, wait for locks, foreign keys on or off."""
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
    cur.close()


def _sqlite_migration_connect(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None   # pysqlite must not BEGIN/COMMIT on its own around DDL
    sqlite_pragmas(dbapi_conn, foreign_keys=False, busy_ms=60_000)


def _begin_immediate(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def locked_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that holds the migration lock; committed on success."""
    if _is_sqlite_file(engine):
        mig = create_engine(engine.url, poolclass=NullPool)
        event.listen(mig, "connect", _sqlite_migration_connect)
        event.listen(mig, "begin", _begin_immediate)
        try:
            with mig.begin() as conn:
                yield conn
                bad = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if bad:
                    raise SchemaError(f"状态数据库 {_show(engine)} 迁移后外键不一致 (foreign key violations after "
                                      f"the migration, rolled back): {bad[:5]}")
        finally:
            mig.dispose()
        return
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        yield conn


def upgrade(engine: Engine) -> Upgrade:
    """Bring the database to the head revision (see the module docstring)."""
    target = head()
    with locked_transaction(engine) as conn:
        before = tuple(MigrationContext.configure(conn).get_current_heads())
        check_known(before, engine)
        legacy = not before and bool(set(inspect(conn).get_table_names()) - UNMANAGED_TABLES - {VERSION_TABLE})
        if before != (target,):
            if legacy:
                log.warning("state database without a revision: taking it over as the baseline",
                            extra={"url": _show(engine)})
            command.upgrade(alembic_config(conn), target)
        after = tuple(MigrationContext.configure(conn).get_current_heads())
    if before != after:
        log.info("state database upgraded", extra={"url": _show(engine), "from": before, "to": after})
    return Upgrade(before, after, legacy)


def next_revision_id() -> str:
    return f"{sum(1 for _ in scripts().walk_revisions()) + 1:04d}"


def autogenerate(message: str) -> Path | None:
    """Write a new revision into :data:`VERSIONS_DIR` with what ``statedb.Base.metadata`` has beyond
    the head revision (import every model module first); None when there is nothing to migrate."""
    written: list[Path] = []

    def keep_if_changes(_context, _revision, directives) -> None:
        if directives[0].upgrade_ops.is_empty():
            directives[:] = []

    with tempfile.TemporaryDirectory(prefix="yuqing-revision-") as tmp:
        scratch = create_engine(f"sqlite:///{Path(tmp) / 'head.db'}", poolclass=NullPool)
        try:
            upgrade(scratch)
            with scratch.begin() as conn:
                script = command.revision(alembic_config(conn), message=message, autogenerate=True,
                                          rev_id=next_revision_id(),
                                          process_revision_directives=keep_if_changes)
                scripts_written = script if isinstance(script, list) else [script] if script else []
                written.extend(Path(x.path) for x in scripts_written)
        finally:
            scratch.dispose()
    scripts.cache_clear()
    return written[0] if written else None

