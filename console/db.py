"""The console's handle on the state database: create the tables once, hand out sessions, and
normalise times (SQLite gives back naive datetimes; everything here is UTC)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.statedb import create_all, engine_for, session_factory

_ready: set[str] = set()


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def utc(dt: datetime | None) -> datetime | None:
    """An aware UTC datetime (naive values read back from SQLite are UTC)."""
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def ensure_tables(ctx: Context) -> None:
    url = ctx.state_url
    if url not in _ready:
        import yuqing.console.models  # noqa: F401 - registers the tables on Base

        create_all(engine_for(ctx))
        _ready.add(url)


@contextmanager
def db_session(ctx: Context) -> Iterator[Session]:
    """A state-database session committed on success, rolled back on error."""
    ensure_tables(ctx)
    session = session_factory(engine_for(ctx))()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
