"""The console's handle on the state database: hand out sessions (on a database migrated to the
newest schema, :func:`statedb.ensure_schema`) and normalise times (SQLite gives back naive
datetimes; everything here is UTC)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.statedb import ensure_schema, session_factory
from yuqing.pipeline.core.timeutil import now_utc, utc  # noqa: F401 (re-exported for the console)


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
