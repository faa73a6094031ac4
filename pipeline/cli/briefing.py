"""``yuqing briefing weekly|daily|list``: write a briefing now, or show the archive."""

from __future__ import annotations

from pathlib import Path

import click

from yuqing.pipeline.cli.common import console, emit_json, get_context
from yuqing.pipeline.store.base import StoreError


@click.group("briefing")
def briefing_group() -> None:
    """舆情周报、日报与归档

    生成周报或日报（.docx、.html、.md），或查看存档。
    """


def _common(func):
    func = click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果（文件路径、各项数字）")(func)
    func = click.option("--mail", is_flag=True, help="同时用电子邮件发送给 briefing.recipients")(func)
    func = click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                        help="写到此目录，而不是存档（data_dir/briefings/…）")(func)
    func = click.option("--unit", help="工会单位 ID：只含该单位及其下级单位")(func)
    return func


def _run(click_ctx, builder, period_arg, unit, out_dir, mail, as_json) -> None:

    from yuqing.pipeline.briefing.build import BriefingError, mail_briefing
    from yuqing.pipeline.briefing.mail import MailError

    ctx = get_context(click_ctx)
    try:
        result = builder(ctx, period_arg, unit, out_dir)
    except (BriefingError, StoreError) as exc:
        raise click.ClickException(str(exc)) from exc
    mailed = None
    if mail:
        recipients = ctx.settings.briefing.recipients
        if not recipients:
            raise click.ClickException("--mail: no recipients (set briefing.recipients in settings.yaml)")
        try:
            mail_briefing(ctx, result, recipients)
        except MailError as exc:
            raise click.ClickException(f"briefing written to {result.out_dir} but not mailed: {exc}") from exc
        mailed = recipients
    if as_json:
        emit_json({"period": result.period.key, "unit": result.unit, "dir": str(result.out_dir),
                   "files": {k: str(p) for k, p in result.paths.items()},
                   "charts": {k: str(p) for k, p in result.charts.items()}, "mailed_to": mailed,
                   "overview": result.data["overview"], "reporting": result.data.get("reporting")})
        return
    console.print(f"[bold]{result.title}[/]（{result.period.label}）")
    console.print(result.data["overview"]["headline"])
    for fmt, path in result.paths.items():
        console.print(f"  {fmt:5} {path}")
    if mailed:
        console.print(f"已发送 mailed to: {', '.join(mailed)}")


@briefing_group.command("weekly")
@click.option("--week", help="ISO 周，如 2026-W47，或 latest（最新帖子所在的周）"
                             "[默认：最近一个完整的周]")
@_common
@click.pass_context
def weekly(click_ctx, week, unit, out_dir, mail, as_json) -> None:
    """为全区或某一单位生成舆情周报"""
    from yuqing.pipeline.briefing.build import build_weekly

    _run(click_ctx, build_weekly, week, unit, out_dir, mail, as_json)


@briefing_group.command("daily")
@click.option("--day", help="YYYY-MM-DD [默认：昨天]")
@_common
@click.pass_context
def daily(click_ctx, day, unit, out_dir, mail, as_json) -> None:
    """为全区或某一单位生成舆情日报"""
    from yuqing.pipeline.briefing.build import build_daily

    _run(click_ctx, build_daily, day, unit, out_dir, mail, as_json)


@briefing_group.command("reporting")
@click.option("--month", help="月份，如 2026-11 [默认：上一个完整的月]")
@_common
@click.pass_context
def reporting(click_ctx, month, unit, out_dir, mail, as_json) -> None:
    """生成月度信息报送通报：各基层单位报送与采用情况，单位与信息员排名（.docx/.html）"""
    from yuqing.pipeline.briefing.bulletin import build_reporting_bulletin

    _run(click_ctx, build_reporting_bulletin, month, unit, out_dir, mail, as_json)


@briefing_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def list_cmd(click_ctx, as_json: bool) -> None:
    """查看存档的周报与日报（data_dir/briefings），最新的在前"""
    from rich.table import Table

    from yuqing.pipeline.briefing.archive import list_archive

    ctx = get_context(click_ctx)
    items = list_archive(ctx)
    if as_json:
        emit_json(items)
        return
    if not items:
        console.print(f"暂无存档 no briefings archived yet in {ctx.data_dir / 'briefings'}")
        return
    table = Table(title="舆情周报存档 briefing archive")
    for col in ("期次", "范围", "时段", "信息量", "生成时间", "邮件", "目录"):
        table.add_column(col, overflow="fold")
    for m in items:
        mailings = m.get("mailings") or []
        last = mailings[-1] if mailings else None
        mail = "—" if not last else (f"失败 {last['error']}" if last.get("error") else f"已发 {len(last['to'])}人")
        table.add_row(m.get("period", ""), m.get("scope_name", ""), m.get("label", ""), str(m.get("posts", "")),
                      str(m.get("generated_at", ""))[:16].replace("T", " "), mail, m["dir"])
    console.print(table)


commands = [briefing_group]
