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
        click.option("--since", help="发布时间不早于此时（ISO 8601，或 7d/24h 表示多久以前）"),
        click.option("--until", help="发布时间早于此时（ISO 8601）"),
        click.option("--platform", "platforms", multiple=True,
                     type=click.Choice(list(PLATFORM_NAMES)), help="平台（可重复）"),
        click.option("--topic", "topics", multiple=True, help="话题 ID，见 config/taxonomy.yaml（可重复）"),
        click.option("--sentiment", "sentiments", multiple=True,
                     type=click.Choice(list(SENTIMENT_NAMES)), help="情感倾向（可重复）"),
        click.option("--unit", "units", multiple=True, help="工会单位 ID：含其全部下级单位（可重复）"),
        click.option("--source", "sources", multiple=True, help="已配置的采集源名称（可重复）"),
        click.option("--no-duplicates", is_flag=True, help="近似重复的帖子每组只计一条"),
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


