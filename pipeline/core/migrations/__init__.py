"""Alembic migrations of the state database: :mod:`.runner` runs them (no ``alembic.ini``),
``env.py`` is Alembic's environment, ``versions/`` holds one module per revision, oldest first.
How to add a table: see :mod:`yuqing.pipeline.core.statedb`."""
