"""The shared state database (SQLAlchemy): alert incidents and outbox, scheduler jobs and runs,
console users and audit log. SQLite in the data dir by default, PostgreSQL for a shared
deployment (``state.url`` in settings or ``YUQING_STATE_URL``).

Each area declares its tables on :class:`Base` in its own module and calls :func:`create_all`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, sessionmaker

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context


class Base(DeclarativeBase):
    pass


_engines: dict[str, Engine] = {}


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def engine_for_url(url: str) -> Engine:
    """One engine per URL per process."""
    if url not in _engines:
        engine = create_engine(url, future=True)
        if url.startswith("sqlite"):
            event.listen(engine, "connect", _sqlite_pragmas)
        _engines[url] = engine
    return _engines[url]


def engine_for(ctx: Context) -> Engine:
    return engine_for_url(ctx.state_url)


def create_all(engine: Engine) -> None:
    """Create every table declared on :class:`Base` (import your models module first)."""
    Base.metadata.create_all(engine)


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False, future=True)
