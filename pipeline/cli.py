"""The ``yuqing`` command line: a thin layer over library functions.

Global options ``--config-dir`` and ``--data-dir`` (env ``YUQING_CONFIG_DIR`` / ``YUQING_DATA_DIR``)
come before the subcommand. Each area keeps its commands in its own module, listed in
:data:`COMMAND_MODULES`; such a module exposes ``commands``, a list of click commands or groups.
"""

from __future__ import annotations

import importlib
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from pipeline.config import ConfigError
from pipeline.context import Context
from pipeline.record import to_aware
from pipeline.store.base import DIMENSIONS, PostFilter, StoreError

#: modules that contribute subcommands (each exposes ``commands``)
COMMAND_MODULES = [
    "pipeline.store.cli",
    "classifiers.cli",
    "alerts.cli",
    "crawlers.cli",
    "pipeline.scheduler.cli",
    "pipeline.briefing.cli",
    "console.cli",
]

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
    text = value.strip()
    try:
        if text[-1:] in ("d", "h", "m") and text[:-1].isdigit():
            unit = {"d": "days", "h": "hours", "m": "minutes"}[text[-1]]
            return datetime.now().astimezone() - timedelta(**{unit: int(text[:-1])})
        return to_aware(text)
    except (ValueError, IndexError) as exc:
        raise click.BadParameter(f"{value!r}: use ISO 8601 (2026-11-20 or 2026-11-20T08:00+08:00) "
                                 "or a span like 7d / 24h", param_hint=name) from exc


def filter_options(func):
    """The filters shared by ``search``, ``stats`` and friends."""
    opts = [
        click.option("--since", help="published at or after (ISO 8601, or 7d/24h ago)"),
        click.option("--until", help="published before (ISO 8601)"),
        click.option("--platform", "platforms", multiple=True,
                     type=click.Choice(["weibo", "wechat", "forum", "tieba", "news"])),
        click.option("--topic", "topics", multiple=True, help="taxonomy id (repeatable)"),
        click.option("--sentiment", "sentiments", multiple=True,
                     type=click.Choice(["negative", "neutral", "positive"])),
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


class _YuqingGroup(click.Group):
    """Adds the commands of :data:`COMMAND_MODULES` on first use, so those modules may import
    this one (for :func:`get_context` and friends) without an import cycle."""

    _loaded = False

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            for name in COMMAND_MODULES:
                for command in importlib.import_module(name).commands:
                    self.add_command(command)

    def list_commands(self, ctx):
        self._load()
        return super().list_commands(ctx)

    def get_command(self, ctx, cmd_name):
        self._load()
        return super().get_command(ctx, cmd_name)


@click.group(cls=_YuqingGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config-dir", type=click.Path(file_okay=False, path_type=Path), envvar="YUQING_CONFIG_DIR",
              help="directory of settings.yaml and the other YAML files [./config]")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), envvar="YUQING_DATA_DIR",
              help="where runtime state lives [./var]")
@click.version_option(package_name="yuqing")
@click.pass_context
def main(click_ctx: click.Context, config_dir: Path | None, data_dir: Path | None) -> None:
    """yuqing 舆情监测：采集 → 入库（规范化、去重、分类、关联）→ 预警 → 周报。"""
    click_ctx.obj = {"config_dir": config_dir, "data_dir": data_dir}


@main.command()
@click.argument("file", type=click.Path(allow_dash=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.option("--no-classify", is_flag=True, help="skip topic/sentiment classification")
@click.option("--no-link", is_flag=True, help="skip linking to the union hierarchy")
@click.pass_context
def ingest(click_ctx, file: str, as_json: bool, no_classify: bool, no_link: bool) -> None:
    """Validate, normalise, de-duplicate, classify, link and store FILE.jsonl (- for stdin)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pipeline.ingest import Ingestor

    ctx = get_context(click_ctx)
    if no_classify:
        ctx.settings.ingest.classify = False
    if no_link:
        ctx.settings.ingest.link = False
    if file != "-" and not Path(file).exists():
        raise click.BadParameter(f"{file}: no such file", param_hint="FILE")
    total = None
    if file != "-":
        with open(file, "rb") as fh:
            total = sum(1 for line in fh if line.strip())
    show = not as_json and sys.stderr.isatty()
    with Progress(TextColumn("入库 ingest"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, disable=not show) as progress:
        task = progress.add_task("ingest", total=total)
        try:
            ingestor = Ingestor(ctx, on_batch=lambda n: progress.advance(task, n))
            report = ingestor.ingest_path(file)
        except (StoreError, ConfigError) as exc:
            raise click.ClickException(str(exc)) from exc
    if as_json:
        emit_json(report.as_dict())
        return
    table = Table(title=f"入库结果 {file}", show_header=False)
    for label, value in [("读取 read", report.read), ("新增 stored", report.stored),
                         ("更新 updated (already stored)", report.updated),
                         ("近似重复 near-duplicates", report.duplicates),
                         ("重复ID duplicate ids", report.duplicate_ids),
                         ("拒收 rejected", report.rejected), ("失败 failed", report.failed),
                         ("暂存 spooled (store unreachable)", report.spooled),
                         ("补写 replayed from spool", report.replayed), ("耗时 seconds", report.seconds)]:
        table.add_row(label, str(value))
    console.print(table)
    if report.rejects_file:
        console.print(f"拒收记录已写入 rejects written to: {report.rejects_file}")
    for line in report.errors[:10]:
        err_console.print(f"[yellow]{line}[/]")


@main.command()
@click.argument("query", required=False, default="")
@filter_options
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0)
@click.option("--sort", type=click.Choice(["time", "relevance"]), default="time", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON Lines of the matching posts")
@click.pass_context
def search(click_ctx, query: str, limit: int, offset: int, sort: str, as_json: bool, **kwargs) -> None:
    """Full-text search (Chinese segmented) with filters; newest first."""
    ctx = get_context(click_ctx)
    flt = build_filter(kwargs, query)
    try:
        page = ctx.store().search(flt, limit=limit, offset=offset, sort=sort)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        emit_json({"total": page.total, "posts": [p.to_dict() for p in page.posts]})
        return
    table = Table(title=f"共 {page.total} 条 (showing {len(page.posts)})")
    for col in ("时间", "平台", "话题", "情感", "单位", "内容"):
        table.add_column(col, overflow="fold")
    for p in page.posts:
        text = (p.title + "｜" if p.title else "") + p.content
        table.add_row(p.published_at.astimezone(ctx.tz).strftime("%m-%d %H:%M"), p.platform,
                      ",".join(p.topics), p.sentiment.label if p.sentiment else "",
                      ",".join(p.org_units), text[:80] + ("…" if len(text) > 80 else ""))
    console.print(table)


@main.command()
@filter_options
@click.option("--by", "by", multiple=True, type=click.Choice(sorted(DIMENSIONS)),
              help="group by (repeatable): unit, unit_tree, topic, sentiment, platform, source")
@click.option("--interval", help="time buckets, e.g. 1h or 1d (in the settings' time zone)")
@click.option("--query", "query", help="full-text query to count")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def stats(click_ctx, by: tuple[str, ...], interval: str | None, query: str | None, as_json: bool, **kwargs) -> None:
    """Counts of posts, distinct authors, stories and engagement, grouped and bucketed."""
    ctx = get_context(click_ctx)
    flt = build_filter(kwargs, query)
    try:
        rows = ctx.store().aggregate(flt, by=list(by), interval=interval)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--interval") from exc
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        emit_json([r.as_dict() for r in rows])
        return
    table = Table(title="统计 stats")
    if interval:
        table.add_column("时段 bucket")
    for dim in by:
        table.add_column(dim)
    for col in ("帖数 posts", "作者 authors", "事件 stories", "互动 engagement"):
        table.add_column(col, justify="right")
    for r in rows:
        cells = [r.bucket.strftime("%Y-%m-%d %H:%M")] if interval else []
        cells += [r.keys[d] for d in by]
        cells += [str(r.posts), str(r.authors), str(r.clusters), f"{r.engagement:.0f}"]
        table.add_row(*cells)
    console.print(table)


if __name__ == "__main__":
    main()
