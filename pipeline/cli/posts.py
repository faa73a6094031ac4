"""``yuqing ingest``, ``yuqing search`` and ``yuqing stats``: posts in and out of the store."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from yuqing.pipeline.cli.common import (
    build_filter,
    console,
    emit_json,
    err_console,
    filter_options,
    get_context,
)
from yuqing.pipeline.core.config import ConfigError
from yuqing.pipeline.store.base import DIMENSIONS, StoreError


@click.command()
@click.argument("file", type=click.Path(allow_dash=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出入库报告")
@click.option("--no-classify", is_flag=True, help="不做话题与情感分类")
@click.option("--no-link", is_flag=True, help="不关联工会组织体系")
@click.pass_context
def ingest(click_ctx, file: str, as_json: bool, no_classify: bool, no_link: bool) -> None:
    """校验、规范化、去重、分类、关联 FILE 中的帖子并写入存储

    FILE 为 JSON Lines 文件（.jsonl），- 表示从标准输入读取。
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from yuqing.pipeline.ingest import Ingestor

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


@click.command()
@click.argument("query", required=False, default="")
@filter_options
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True, help="最多显示条数")
@click.option("--offset", type=click.IntRange(0), default=0, help="跳过前若干条（用于翻页）")
@click.option("--sort", type=click.Choice(["time", "relevance"]), default="time", show_default=True,
              help="排序：time 按发布时间（最新在前），relevance 按相关度")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出命中总数与匹配的帖子")
@click.pass_context
def search(click_ctx, query: str, limit: int, offset: int, sort: str, as_json: bool, **kwargs) -> None:
    """全文检索帖子（中文分词），可按条件筛选

    QUERY 为检索词，可省略（只按条件筛选）；默认最新的在前。
    """
    from yuqing.pipeline.store import open_store

    ctx = get_context(click_ctx)
    flt = build_filter(kwargs, query)
    try:
        page = open_store(ctx).search(flt, limit=limit, offset=offset, sort=sort)
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


@click.command()
@filter_options
@click.option("--by", "by", multiple=True, type=click.Choice(sorted(DIMENSIONS)),
              help="分组（可重复）：unit 关联单位，unit_tree 逐级汇总到各上级单位，topic 话题，"
                   "sentiment 情感，platform 平台，source 采集源")
@click.option("--interval", help="按时段分组，如 1h 或 1d（按配置的时区）")
@click.option("--query", "query", help="只统计匹配此检索词的帖子")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def stats(click_ctx, by: tuple[str, ...], interval: str | None, query: str | None, as_json: bool, **kwargs) -> None:
    """统计帖数、作者、事件与互动，可分组、分时段"""
    from yuqing.pipeline.store import open_store

    ctx = get_context(click_ctx)
    flt = build_filter(kwargs, query)
    try:
        rows = open_store(ctx).aggregate(flt, by=list(by), interval=interval)
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


commands = [ingest, search, stats]
