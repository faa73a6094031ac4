"""The console's handle on the state database: hand out sessions (on a database migrated to the
newest schema, :func:`statedb.ensure_schema`) and normalise times (SQLite gives back naive
datetimes; everything here is UTC)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.statedb import ensure_schema, session_factory


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def utc(dt: datetime | None) -> datetime | None:
    """An aware UTC datetime (naive values read back from SQLite are UTC)."""
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


@contextmanager
def db_session(ctx: Context) -> Iterator[Session]:
    """A state-database session committed on success, rolled back on error."""
    session = session_factory(ensure_schema(ctx))()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
