"""Helpers every command module shares: the context from the global options, time and filter
options, JSON output and the two consoles."""

from __future__ import annotations

import json
from datetime import datetime

import click
from rich.console import Console

from yuqing.pipeline.core.config import ConfigError
from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.names import PLATFORM_NAMES, SENTIMENT_NAMES
from yuqing.pipeline.core.timeutil import parse_time
from yuqing.pipeline.store.base import PostFilter

console = Console()
err_console = Console(stderr=True)


def get_context(click_ctx: click.Context) -> Context:
    """The :class:`Context` for this invocation, loaded once from the global options."""
    root = click_ctx.find_root()
    obj = root.obj
    if isinstance(obj, Context):
        return obj
    opts = obj or {}
    try:
        ctx = Context.load(opts.get("config_dir"), opts.get("data_dir"))
    except ConfigError as exc:
        raise click.ClickException(f"配置错误 / invalid config: {exc}") from exc
    root.obj = ctx
    root.call_on_close(ctx.close)
    return ctx


def parse_time_option(value: str | None, name: str) -> datetime | None:
    """``2026-11-20``, ``2026-11-20T08:00`` (Asia/Shanghai) or with offset; ``7d``/``24h`` ago."""
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r}: use ISO 8601 (2026-11-20 or 2026-11-20T08:00+08:00) "
                                 "or a span like 7d / 24h", param_hint=name) from exc


def filter_options(func):
    """The filters shared by ``search``, ``stats`` and friends."""
    opts = [
        click.option("--since", help="published at or after (ISO 8601, or 7d/24h ago)"),
        click.option("--until", help="published before (ISO 8601)"),
        click.option("--platform", "platforms", multiple=True,
                     type=click.Choice(list(PLATFORM_NAMES))),
        click.option("--topic", "topics", multiple=True, help="taxonomy id (repeatable)"),
        click.option("--sentiment", "sentiments", multiple=True,
                     type=click.Choice(list(SENTIMENT_NAMES))),
        click.option("--unit", "units", multiple=True, help="union unit id: that unit's subtree"),
        click.option("--source", "sources", multiple=True, help="configured source name"),
        click.option("--no-duplicates", is_flag=True, help="count each near-duplicate cluster once"),
    ]
    for opt in reversed(opts):
        func = opt(func)
    return func


def build_filter(kwargs: dict, text: str | None = None) -> PostFilter:
    return PostFilter(
        since=parse_time_option(kwargs.pop("since", None), "--since"),
        until=parse_time_option(kwargs.pop("until", None), "--until"),
        platforms=tuple(kwargs.pop("platforms", ())), topics=tuple(kwargs.pop("topics", ())),
        sentiments=tuple(kwargs.pop("sentiments", ())), units=tuple(kwargs.pop("units", ())),
        sources=tuple(kwargs.pop("sources", ())), exclude_duplicates=kwargs.pop("no_duplicates", False),
        text=text or None,
    )


def emit_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


