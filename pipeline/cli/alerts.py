"""``yuqing alerts …``: thin commands over :mod:`yuqing.alerts.api` and :mod:`yuqing.alerts.outbox`
(``yuqing org …`` is :mod:`yuqing.pipeline.cli.org`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import click
from rich.console import Console
from rich.table import Table

from yuqing.pipeline.cli.common import emit_json, get_context, parse_time_option
from yuqing.pipeline.core.config import ConfigError
from yuqing.pipeline.core.names import LEVEL_NAMES, SEVERITY_NAMES, STATUS_NAMES
from yuqing.pipeline.store.base import PostFilter, StoreError, parse_interval

console = Console()


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


def _local(ctx, iso: str | None) -> str:
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(ctx.tz).strftime("%m-%d %H:%M")


# --- yuqing alerts ----------------------------------------------------------------------------------


@click.group("alerts")
def alerts_group() -> None:
    """预警：研判、回放、列表、确认、处置、投递"""


@alerts_group.command("evaluate")
@click.option("--at", "at_text",
              help="按此时刻研判（ISO 8601；默认为当前时间；latest 表示存储中最新帖子之后的一刻）")
@click.option("--dry-run", is_flag=True, help="只检测并显示：不改动预警事件，不发通知")
@click.option("--deliver/--no-deliver", default=False, help="研判后随即发送到期的通知")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def evaluate_cmd(click_ctx, at_text: str | None, dry_run: bool, deliver: bool, as_json: bool) -> None:
    """研判趋势与高风险帖子，立案或更新预警事件，升级超时事件

    以 --at 指定的时刻为准（默认为当前时间），检测各单位、各话题；超时未确认的事件逐级升级。
    """
    from yuqing.alerts import api
    from yuqing.alerts.detect import run_evaluation

    ctx = get_context(click_ctx)
    try:
        if at_text == "latest":
            at = _latest(ctx)
        else:
            at = parse_time_option(at_text, "--at") or datetime.now(UTC)
        report = run_evaluation(ctx, at.astimezone(UTC), dry_run=dry_run)
        delivered = api.deliver_outbox(ctx, None) if deliver and not dry_run else None
    except (ConfigError, StoreError) as exc:
        raise _fail(exc) from exc
    if as_json:
        out = report.as_dict()
        if delivered is not None:
            out["delivered"] = delivered
        emit_json(out)
        return
    title = f"预警评估 {at.astimezone(ctx.tz):%Y-%m-%d %H:%M}（{report.store}，{report.seconds:.2f} 秒，{report.queries} 次查询）"
    table = Table(title=title + ("［演练，不入库］" if dry_run else ""))
    for col in ("单位", "话题", "类型", "级别", "量/基线", "说明"):
        table.add_column(col, overflow="fold")
    for f in report.findings:
        c = f["counts"]
        amount = (f"{c.get('posts')}条/{c.get('expected')}" if f["kind"] == "trend" else f"{c.get('posts')}条")
        table.add_row(f["unit_name"], f["topic_name"], "趋势" if f["kind"] == "trend" else "高风险",
                      SEVERITY_NAMES.get(f["severity"], f["severity"]), amount, f["title"][:40])
    console.print(table if report.findings else f"{title}：未发现异常")
    if not dry_run:
        console.print(f"新立案 {len(report.opened)}，更新 {len(report.updated)}，升级 {len(report.escalated)}，"
                      f"自动重开 {len(report.reopened)}，已处置后抑制 {report.suppressed}，待发通知 {report.notifications}"
                      + (f"，已发送 {delivered}" if delivered is not None else ""))


def _latest(ctx) -> datetime:
    from yuqing.pipeline.store import open_store

    newest = open_store(ctx).search(PostFilter(), limit=1).posts
    if not newest:
        raise click.ClickException("the store holds no posts: nothing to evaluate (latest)")
    return newest[0].published_at + timedelta(seconds=1)


@alerts_group.command("replay")
@click.option("--from", "from_text", help="首次研判时刻（ISO 8601；默认为 --to 之前 --days 天）")
@click.option("--to", "to_text", default="latest", show_default=True,
              help="末次研判时刻（ISO 8601，或 latest：存储中最新帖子之后的一刻）")
@click.option("--days", type=click.FloatRange(min=0.04), default=7, show_default=True,
              help="未给出 --from 时回放的天数")
@click.option("--every", default="1h", show_default=True, help="两次研判的间隔，如 30m 或 1h")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def replay_cmd(click_ctx, from_text: str | None, to_text: str, days: float, every: str, as_json: bool) -> None:
    """在历史数据上逐步研判，重现调度服务当时的检测与升级

    通知按当时的情形排入通知队列，用 yuqing alerts deliver 发送。
    """
    from yuqing.alerts import api
    from yuqing.alerts.detect import run_evaluation

    ctx = get_context(click_ctx)
    try:
        step = timedelta(seconds=parse_interval(every))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--every") from exc
    try:
        end = _latest(ctx) if to_text == "latest" else parse_time_option(to_text, "--to")
        start = parse_time_option(from_text, "--from") if from_text else end - timedelta(days=days)
        if start >= end:
            raise click.BadParameter("--from must be before --to", param_hint="--from")
        steps = []
        at = start
        while at <= end:
            report = run_evaluation(ctx, at.astimezone(UTC))
            steps.append(report)
            if not as_json and (report.opened or report.escalated or report.reopened):
                local = at.astimezone(ctx.tz).strftime("%m-%d %H:%M")
                for f in report.findings[:5]:
                    kind = "趋势" if f["kind"] == "trend" else "高风险帖子"
                    console.print(f"{local} {kind} {f['unit_name']}｜{f['topic_name']}（{SEVERITY_NAMES[f['severity']]}）",
                                  soft_wrap=True)
                for inc_id in report.escalated:
                    inc = api.get_incident(ctx, inc_id)
                    console.print(f"{local} 升级 #{inc_id} {inc.unit_name} → 已通知至 {inc.escalated_to_name}", soft_wrap=True)
            at += step
    except (ConfigError, StoreError) as exc:
        raise _fail(exc) from exc
    opened = sorted({i for r in steps for i in r.opened})
    if as_json:
        emit_json({"evaluations": len(steps), "opened": opened,
                   "escalated": sorted({i for r in steps for i in r.escalated}),
                   "notifications": sum(r.notifications for r in steps)})
        return
    console.print(f"回放 {len(steps)} 次评估（{start.astimezone(ctx.tz):%m-%d %H:%M} — {end.astimezone(ctx.tz):%m-%d %H:%M}，"
                  f"每 {every}）：新立案 {len(opened)}，待发通知 {sum(r.notifications for r in steps)}")


@alerts_group.command("list")
@click.option("--status", type=click.Choice(["open", "acknowledged", "resolved", "active"]),
              help="状态：open 待确认，acknowledged 已确认，resolved 已处置，active 待确认或已确认")
@click.option("--unit", "unit", help="单位 ID：该单位及其全部下级单位的事件")
@click.option("--topic", help="话题 ID")
@click.option("--limit", type=click.IntRange(1, 100_000), default=100, show_default=True, help="最多显示条数")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def list_cmd(click_ctx, status: str | None, unit: str | None, topic: str | None, limit: int, as_json: bool) -> None:
    """预警事件列表，最近有变化的在前"""
    from yuqing.alerts import api
    from yuqing.pipeline.core.org import load_org

    ctx = get_context(click_ctx)
    units = None
    if unit:
        org = load_org(ctx)
        if unit not in org:
            raise click.BadParameter(f"unknown unit {unit!r} (see yuqing org show)", param_hint="--unit")
        units = org.subtree(unit)
    incidents = api.list_incidents(ctx, units, status, topic=topic, limit=limit)
    if as_json:
        emit_json([i.to_dict(timeline=False) for i in incidents])
        return
    table = Table(title=f"预警事件 共 {len(incidents)} 条")
    for col in ("编号", "单位", "话题", "级别", "状态", "已通知至", "数量", "立案", "最近变化"):
        table.add_column(col, overflow="fold")
    for i in incidents:
        d = i.to_dict(timeline=False)
        c = d["counts"]
        amount = f"{c.get('posts', '')}条" + (f"/基线{c['expected']}" if "expected" in c else "")
        table.add_row(str(i.id), i.unit_name, i.topic_name or i.topic, SEVERITY_NAMES.get(i.severity, i.severity),
                      STATUS_NAMES.get(i.status, i.status), i.escalated_to_name, amount,
                      _local(ctx, d["created_at"]), _local(ctx, d["updated_at"]))
    console.print(table)


def _show(ctx, incident_id: int, as_json: bool) -> None:

    from yuqing.alerts import api
    from yuqing.alerts.outbox import list_outbox

    inc = api.get_incident(ctx, incident_id)
    if inc is None:
        raise click.ClickException(f"没有编号为 {incident_id} 的预警事件")
    data = inc.to_dict()
    messages = list_outbox(ctx, incident_id=incident_id, limit=1000)
    if as_json:
        data["deliveries"] = [m.to_dict() for m in messages]
        emit_json(data)
        return
    console.print(f"[bold]#{inc.id} {inc.title}[/]")
    for label, value in [("单位", f"{inc.unit_name}（{inc.unit_id}，{LEVEL_NAMES.get(inc.unit_level, inc.unit_level)}）"),
                         ("话题", f"{inc.topic_name}（{inc.topic}）"), ("类型", "趋势" if inc.kind == "trend" else "高风险帖子"),
                         ("级别", SEVERITY_NAMES.get(inc.severity, inc.severity)),
                         ("状态", STATUS_NAMES.get(inc.status, inc.status)),
                         ("已通知至", f"{inc.escalated_to_name}（{LEVEL_NAMES.get(inc.escalation_level, '')}）"),
                         ("数据", json.dumps({k: v for k, v in data["counts"].items() if k != "windows"}, ensure_ascii=False)),
                         ("链接", f"{ctx.settings.notify.console_url.rstrip('/')}/incidents/{inc.id}")]:
        console.print(f"  {label}：{value}")
    if data["evidence"]:
        console.print("  代表帖子：")
        for e in data["evidence"][:5]:
            console.print(f"    - {e.get('text', '')[:60]} {e.get('url', '')}")
    table = Table(title="时间线")
    for col in ("时间", "事项", "操作人", "说明"):
        table.add_column(col, overflow="fold")
    for ev in data["timeline"]:
        table.add_row(_local(ctx, ev["at"]), ev["kind_name"], ev["by"], ev["note"] or "")
    console.print(table)
    if messages:
        counts: dict[str, int] = {}
        for m in messages:
            counts[m.status] = counts.get(m.status, 0) + 1
        console.print("  通知：" + "，".join(f"{ {'pending': '待发', 'sent': '已发', 'dead': '失败'}.get(k, k)} {v}"
                                           for k, v in counts.items()))


@alerts_group.command("show")
@click.argument("incident_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def show_cmd(click_ctx, incident_id: int, as_json: bool) -> None:
    """查看一个预警事件：详情、时间线与通知投递情况"""
    _show(get_context(click_ctx), incident_id, as_json)


def _transition(click_ctx, fn, incident_id: int, by: str, note: str | None, as_json: bool, done: str) -> None:
    from yuqing.alerts import api

    ctx = get_context(click_ctx)
    try:
        inc = fn(ctx, incident_id, by, note)
    except (api.IncidentNotFound, api.InvalidTransition) as exc:
        raise _fail(exc) from exc
    if as_json:
        emit_json(inc.to_dict())
    else:
        console.print(f"事件 #{inc.id} {done}（{by}）。当前状态：{STATUS_NAMES.get(inc.status, inc.status)}")


@alerts_group.command("ack")
@click.argument("incident_id", type=int)
@click.option("--by", required=True, help="确认人姓名")
@click.option("--note", help="备注（可选）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def ack_cmd(click_ctx, incident_id: int, by: str, note: str | None, as_json: bool) -> None:
    """确认预警事件：不再超时升级（事件量继续增长仍会升级）"""
    from yuqing.alerts import api

    _transition(click_ctx, api.acknowledge, incident_id, by, note, as_json, "已确认")


@alerts_group.command("resolve")
@click.argument("incident_id", type=int)
@click.option("--by", required=True, help="处置人姓名")
@click.option("--note", required=True, help="处置情况")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def resolve_cmd(click_ctx, incident_id: int, by: str, note: str, as_json: bool) -> None:
    """处置完毕，关闭预警事件，并写明处置情况"""
    from yuqing.alerts import api

    _transition(click_ctx, api.resolve, incident_id, by, note, as_json, "已处置完毕")


@alerts_group.command("reopen")
@click.argument("incident_id", type=int)
@click.option("--by", required=True, help="操作人姓名")
@click.option("--note", help="原因")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def reopen_cmd(click_ctx, incident_id: int, by: str, note: str | None, as_json: bool) -> None:
    """重新打开已处置的预警事件（通知此前已通知到的各单位）"""
    from yuqing.alerts import api

    _transition(click_ctx, api.reopen, incident_id, by, note, as_json, "已重新打开")


@alerts_group.command("deliver")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def deliver_cmd(click_ctx, as_json: bool) -> None:
    """发送通知队列中到期的通知

    发送失败的按退避间隔重试；可与其他投递进程同时运行。
    """
    from yuqing.alerts.outbox import deliver_due

    ctx = get_context(click_ctx)
    report = deliver_due(ctx)
    if as_json:
        emit_json(report.as_dict())
        return
    console.print(f"已发送 {report.sent}，失败待重试 {report.failed}，放弃 {report.dead}，仍待发送 {report.pending}")
    for line in report.errors[:20]:
        console.print(f"[yellow]{line}[/]")


@alerts_group.command("outbox")
@click.option("--status", type=click.Choice(["pending", "sent", "dead"]),
              help="状态：pending 待发，sent 已发，dead 已放弃")
@click.option("--incident", "incident_id", type=int, help="只看此编号预警事件的通知")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True, help="最多显示条数")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def outbox_cmd(click_ctx, status: str | None, incident_id: int | None, limit: int, as_json: bool) -> None:
    """通知队列：待发与已发的通知"""
    from yuqing.alerts.outbox import list_outbox

    ctx = get_context(click_ctx)
    rows = list_outbox(ctx, status, incident_id, limit)
    if as_json:
        emit_json([m.to_dict() for m in rows])
        return
    table = Table(title=f"通知队列 {len(rows)} 条")
    for col in ("编号", "事件", "渠道", "收件", "状态", "次数", "下次尝试", "错误"):
        table.add_column(col, overflow="fold")
    for m in rows:
        d = m.to_dict()
        table.add_row(str(m.id), str(m.incident_id or ""), m.channel, m.recipient, m.status, str(m.attempts),
                      _local(ctx, d["next_attempt_at"]) if m.status == "pending" else "", (m.last_error or "")[:60])
    console.print(table)


@alerts_group.command("reindex")
@click.pass_context
def reindex_cmd(click_ctx) -> None:
    """从状态数据库重建 Elasticsearch 中的 {prefix}-alerts 索引

    仅在 store.backend 为 elasticsearch 时可用。
    """
    from yuqing.alerts.index import sync_incidents
    from yuqing.alerts.state import StateStore

    ctx = get_context(click_ctx)
    if ctx.settings.store.backend != "elasticsearch":
        raise click.ClickException("store.backend is not elasticsearch: nothing to index")
    n = sync_incidents(ctx, StateStore(ctx), None)
    console.print(f"已索引 {n} 个事件")


commands = [alerts_group]
