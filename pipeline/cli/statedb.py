"""``yuqing db``: the state database (placeholder until the migrations land)."""

from __future__ import annotations

import click


@click.group("db")
def db_group() -> None:
    """状态数据库。"""
