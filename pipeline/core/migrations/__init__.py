"""Alembic migrations of the state database (see env.py)."""
