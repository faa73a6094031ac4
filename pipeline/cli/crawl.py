"""``yuqing crawl`` and ``yuqing sources``: run a source, list sources with their state and health,
check cookies, review health, resume a paused source.

``yuqing crawl NAME [--out FILE.jsonl] [--max-pages N] [--since ISO] [--force] [--json]``
    Exit code 0 ok, 3 paused for a ban/captcha/login wall (now or still), 1 failure.
``yuqing sources [--json]``             list: spider, schedule, last run, cursor, health
``yuqing sources check [NAME…]``        cookie/session pre-flight per source
``yuqing sources health [--json]``      review every source, alert administrators on changes
``yuqing sources resume NAME``          lift a pause early (after fixing cookies/proxies)

The crawl command composes collection and ingest: the crawlers hand their batches to
``Ingestor(ctx).ingest_posts`` and their health changes to ``yuqing.alerts.api.notify_admins`` — both
passed in from here, so the crawlers import neither.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click
from rich.table import Table

from yuqing.pipeline.cli.common import console, emit_json, err_console, get_context, parse_time_option
from yuqing.pipeline.core.config import ConfigError


def parse_since(value: str | None) -> datetime | None:
    return parse_time_option(value, "--since")


SUMMARY_ROWS = [("页面 pages", "pages"), ("条目 items", "items"), ("新增 new", "new"),
                ("重复 duplicates", "duplicates"), ("错误 errors", "errors"), ("封禁 bans", "bans"),
                ("已删除 deleted", "deleted")]


@click.command()
@click.argument("source_name", metavar="SOURCE")
@click.option("--out", type=click.Path(dir_okay=False, writable=True),
              help="把帖子以 JSON Lines 写入 FILE，不入库")
@click.option("--max-pages", type=click.IntRange(1, 500), help="每个采集目标最多抓取的列表页数 [采集源的 max_pages]")
@click.option("--since", help="采集此时以后发布的帖子（ISO 8601，或 7d/24h）；优先于游标")
@click.option("--force", is_flag=True, help="采集源暂停中也照常运行")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出本次运行摘要")
@click.pass_context
def crawl(click_ctx, source_name: str, out: str | None, max_pages: int | None, since: str | None,
          force: bool, as_json: bool) -> None:
    """立即采集一个已配置的采集源 SOURCE 并入库（或用 --out 写入文件）

    退出码：0 成功；3 因封禁、验证码或登录墙而暂停（本次触发或仍在暂停中）；1 失败。
    """
    from yuqing.alerts.api import notify_admins
    from yuqing.crawlers.runner import CrawlError, run_source
    from yuqing.crawlers.sources import get_source
    from yuqing.pipeline.ingest import Ingestor

    ctx = get_context(click_ctx)
    since_dt = parse_since(since)
    try:
        source = get_source(ctx, source_name)
        ingest = None
        if not out:
            try:
                ingest = Ingestor(ctx).ingest_posts
            except Exception as exc:  # an unusable store: fail before fetching anything
                raise CrawlError(f"cannot open the post store: {type(exc).__name__}: {exc}") from exc
        outcome = run_source(ctx, source, out=out, max_pages=max_pages, since=since_dt, force=force,
                             ingest=ingest, notify=notify_admins)
    except (ConfigError, CrawlError) as exc:
        raise click.ClickException(str(exc)) from exc
    run = outcome.run
    if as_json:
        data = run.as_dict()
        data.update(exit_code=outcome.exit_code, health=outcome.health.as_dict(),
                    paused_until=outcome.paused_until.isoformat() if outcome.paused_until else None)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        if run.status == "skipped":
            err_console.print(f"[yellow]数据源 {source.name} 暂停中，直到 {outcome.paused_until:%Y-%m-%d %H:%M %Z}"
                              f"（{run.block_kind}: {run.block_reason}）；用 --force 强制运行[/]")
        table = Table(title=f"采集结果 {source.name}（{run.status}）", show_header=False)
        for label, key in SUMMARY_ROWS:
            table.add_row(label, str(getattr(run, key)))
        if run.out:
            table.add_row("输出 out", run.out)
        console.print(table)
        if run.block_reason and run.status == "blocked":
            err_console.print(f"[red]已暂停 paused until {outcome.paused_until:%Y-%m-%d %H:%M %Z}: "
                              f"{run.block_kind}: {run.block_reason}[/]")
        for line in run.error_samples[:10]:
            err_console.print(f"[yellow]{line}[/]")
    sys.exit(outcome.exit_code)


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def sources(click_ctx, as_json: bool) -> None:
    """采集源：运行情况、Cookie 检查、健康、恢复

    不带子命令时，列出已配置的采集源及其最近运行、游标与健康状况。
    """
    from yuqing.crawlers.health import assess
    from yuqing.crawlers.runner import describe_cursor
    from yuqing.crawlers.sources import load_sources
    from yuqing.crawlers.state import SourceState

    if click_ctx.invoked_subcommand is not None:
        return

    ctx = get_context(click_ctx)
    try:
        configured = load_sources(ctx)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = []
    for source in configured:
        state = SourceState.load(ctx.data_dir, source.name)
        health = assess(ctx, source, state)
        last = state.runs[-1] if state.runs else None
        rows.append({"name": source.name, "spider": source.spider, "schedule": source.schedule.describe(),
                     "enabled": source.enabled, "last_run": last, "cursors": state.data["cursors"],
                     "cursor": describe_cursor(state), "health": health.as_dict()})
    if as_json:
        emit_json(rows)
        return
    table = Table(title=f"数据源 sources（{len(rows)}）")
    for col in ("名称", "类型", "计划", "最近运行", "游标 cursor", "健康", "每次条数", "出错率", "封禁率"):
        table.add_column(col, overflow="fold")
    for r in rows:
        last = r["last_run"]
        h = r["health"]
        last_txt = f"{last['finished_at'][:16]} {last['status']} ({last['items']}条)" if last else "从未"
        status = h["status"] + (f"：{h['reason']}" if h["reason"] else "")
        table.add_row(r["name"], r["spider"], r["schedule"], last_txt, r["cursor"], status,
                      str(h["items_per_run"]), f"{h['error_rate']:.0%}", f"{h['ban_rate']:.0%}")
    console.print(table)


@sources.command("check")
@click.argument("names", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def sources_check(click_ctx, names: tuple[str, ...], as_json: bool) -> None:
    """会话预检：各采集源的 Cookie 是否还能取到真实页面

    不用 Cookie 的采集源检查不带 Cookie 能否取到。NAMES 省略时检查全部已启用的采集源。
    任一失败时退出码 3。
    """
    from yuqing.crawlers.preflight import check_sources, to_json
    from yuqing.crawlers.sources import get_source, load_sources

    ctx = get_context(click_ctx)
    try:
        chosen = [get_source(ctx, n) for n in names] if names else load_sources(ctx, include_disabled=False)
        results = check_sources(ctx, chosen)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(to_json(results))
    else:
        table = Table(title="会话检查 sources check")
        for col in ("数据源", "Cookie", "结果", "说明"):
            table.add_column(col, overflow="fold")
        for r in results:
            colour = "green" if r.verdict == "ok" else "red"
            table.add_row(r.source, r.cookie, f"[{colour}]{r.verdict}[/]", r.detail)
        console.print(table)
    sys.exit(0 if all(r.verdict == "ok" for r in results) else 3)


@sources.command("health")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def sources_health(click_ctx, as_json: bool) -> None:
    """审查各采集源的健康状况，有变化时通知管理员

    停滞、暂停或频繁出错的采集源会通知管理员。
    """
    from yuqing.alerts.api import notify_admins
    from yuqing.crawlers.health import review_all

    ctx = get_context(click_ctx)
    try:
        events = review_all(ctx, notify=notify_admins)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        emit_json(events)
        return
    if not events:
        console.print("健康状态无变化 no health changes")
    for e in events:
        console.print(f"{e['subject']}（{'已通知' if e['delivered'] else '未发送: ' + e.get('delivery_error', '')}）")


@sources.command("resume")
@click.argument("name")
@click.pass_context
def sources_resume(click_ctx, name: str) -> None:
    """解除采集源 NAME 的暂停，下次运行照常进行

    同时清除 Cookie 已失效的判定。在更换 Cookie 或代理后使用。
    """
    from yuqing.crawlers.sources import get_source
    from yuqing.crawlers.state import SourceState

    ctx = get_context(click_ctx)
    try:
        get_source(ctx, name)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    with SourceState.locked(ctx.data_dir, name) as state:
        state.resume()
        state.data["cookies"] = {}
    console.print(f"数据源 {name} 已恢复 resumed")


commands = [crawl, sources]
