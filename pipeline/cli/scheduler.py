"""``yuqing run`` (the daemon) and ``yuqing jobs`` (what it does, when, and how it went)."""

from __future__ import annotations

import logging
from datetime import datetime

import click

from yuqing.pipeline.cli.common import console, emit_json, get_context
from yuqing.pipeline.core.config import ConfigError


@click.command("run")
@click.option("--once", "once", metavar="JOB_ID", help="立即运行一个任务（如 crawl:NAME、briefing:weekly）后退出")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning"]), default="info", show_default=True,
              help="日志级别")
@click.pass_context
def run_cmd(click_ctx, once: str | None, log_level: str) -> None:
    """启动调度服务：采集、预警研判/升级/投递、周报

    收到 SIGTERM/SIGINT 时正常停止。日志为 JSON Lines，写到标准错误输出和
    data_dir/logs/scheduler.log。用 --once 时，任务结果不是 ok 或 skipped 则退出码 1。
    """
    from yuqing.pipeline.checks import require_valid_config
    from yuqing.pipeline.core import statedb
    from yuqing.pipeline.scheduler import jobs
    from yuqing.pipeline.scheduler.logs import setup_logging
    from yuqing.pipeline.scheduler.service import AlreadyRunning, SchedulerService, desired_jobs

    ctx = get_context(click_ctx)
    try:  # every config file, now: a broken one must not start a daemon that fails every job
        require_valid_config(ctx)
    except ConfigError as exc:
        raise click.ClickException(f"配置错误 / invalid config: {exc}") from exc
    setup_logging(ctx.path("logs") / "scheduler.log", getattr(logging, log_level.upper()))
    if once:
        try:
            specs = {s.id: s for s in desired_jobs(ctx, datetime.now(ctx.tz))}
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from exc
        if once not in specs:
            raise click.BadParameter(f"{once!r}: not a configured job; one of {', '.join(specs)}", param_hint="--once")

        statedb.ensure_schema(ctx)
        jobs.install(jobs.Runtime(ctx=ctx))
        try:
            status = specs[once].func(*specs[once].args)
        finally:
            jobs.install(None)
        click.echo(f"{once}: {status}")
        if status not in ("ok", "skipped"):
            raise SystemExit(1)
        return
    if not ctx.settings.scheduler.enabled:
        raise click.ClickException("scheduler.enabled is false in settings.yaml")
    service = SchedulerService(ctx)
    try:
        service.run_forever()
    except (AlreadyRunning, ConfigError, statedb.SchemaError) as exc:
        raise click.ClickException(str(exc)) from exc


def _ago(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "—"


@click.command("jobs")
@click.option("--history", "history", type=click.IntRange(0, 1000), default=0,
              help="同时显示最近若干条运行记录（给出条数）")
@click.option("--job", "job_id", help="只看此任务的运行记录（配合 --history）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def jobs_cmd(click_ctx, history: int, job_id: str | None, as_json: bool) -> None:
    """列出调度任务：触发方式、下次运行、上次运行、上次结果与耗时"""
    from rich.table import Table

    from yuqing.pipeline.scheduler.service import job_overview, recent_runs

    ctx = get_context(click_ctx)
    try:
        rows = job_overview(ctx)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    runs = recent_runs(ctx, job_id, history) if history else []
    if as_json:
        emit_json({"jobs": rows, "runs": runs} if history else rows)
        return
    table = Table(title="调度任务 scheduler jobs")
    for col in ("任务 job", "名称", "触发 trigger", "下次运行 next", "上次运行 last", "结果", "耗时 s", "说明"):
        table.add_column(col, overflow="fold")
    colours = {"ok": "green", "failed": "red", "interrupted": "yellow", "paused": "yellow", "missed": "yellow"}
    for r in rows:
        status = r["last_status"] or "—"
        if r["last_status"] in colours:
            status = f"[{colours[r['last_status']]}]{status}[/]"
        if not r["configured"]:
            status += "（已不在配置中 no longer configured）"
        table.add_row(r["id"], r["name"], r["trigger"], _ago(r["next_run"]), _ago(r["last_run"]), status,
                      "" if r["last_duration"] is None else f"{r['last_duration']:.1f}", r["last_message"])
    console.print(table)
    if runs:
        hist = Table(title="最近运行 recent runs")
        for col in ("开始 started", "任务 job", "计划 scheduled", "结果", "耗时 s", "说明"):
            hist.add_column(col, overflow="fold")
        for r in runs:
            hist.add_row(_ago(r["started_at"]), r["job_id"], _ago(r["scheduled_at"]), r["status"],
                         "" if r["duration"] is None else f"{r['duration']:.1f}",
                         (r["message"] or "").strip().splitlines()[-1][:120] if r["message"] else "")
        console.print(hist)


commands = [run_cmd, jobs_cmd]
