"""``yuqing report …``: grassroots reporting (信息报送) from the command line, for scripts and tests —
the same workflow the console's 信息报送 pages run (:mod:`yuqing.alerts.reports`,
:mod:`yuqing.alerts.responses`), acting as the console account named by ``--by`` and written to
the audit log like the console's actions."""

from __future__ import annotations

from pathlib import Path

import click

from yuqing.pipeline.cli.common import console, emit_json, get_context
from yuqing.pipeline.core.names import ADOPTION_LEVEL_NAMES, REPORT_CHANNEL_NAMES, REPORT_STATUS_NAMES


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


def _actor(ctx, username: str):
    """The console account ``username`` as the workflow's Actor (it must exist and be enabled)."""
    from yuqing.alerts.reports import Actor
    from yuqing.console.accounts import get_user

    account = get_user(ctx, username)
    if account is None:
        raise click.BadParameter(f"没有账号 {username!r}（yuqing users list）", param_hint="--by")
    if account.disabled:
        raise click.BadParameter(f"账号 {username!r} 已停用", param_hint="--by")
    return Actor(account.username, account.display_name or account.username, account.unit_id, account.role)


def _audit(ctx, actor, action: str, target: str, detail: str = "") -> None:
    from yuqing.console import audit

    audit.record(ctx, actor.username, action, unit_id=actor.unit_id, target=target, ip="cli", detail=detail[:2000])


def _run(ctx, fn):
    from yuqing.alerts.reports import NotAllowed, ReportError, ReportNotFound
    from yuqing.alerts.responses import ResponseNotFound

    try:
        return fn()
    except (ReportError, ReportNotFound, NotAllowed, ResponseNotFound) as exc:
        raise _fail(exc) from exc


def _print_report(ctx, data: dict) -> None:
    from yuqing.pipeline.core.org import load_org

    org = load_org(ctx)
    levels = "、".join(ADOPTION_LEVEL_NAMES[lv] for lv in data["adopted_levels"]) or "—"
    console.print(f"[bold]信息报送 #{data['id']}[/]（{data['post_id']}）{data['urgency_name']}｜{data['status_name']}"
                  f"｜采用：{levels}" + (f"｜事件 #{data['incident_id']}" if data["incident_id"] else ""))
    console.print(f"报送：{org.display_name(data['reporter_unit_id'])} {data['reporter_name']}，"
                  f"涉及：{org.display_name(data['unit_id'])} {data['place']}")
    if data["title"]:
        console.print(f"标题：{data['title']}")
    console.print(data["text"])
    for e in data.get("timeline", []):
        console.print(f"  {e['at'][:16].replace('T', ' ')} {e['kind_name']} {e['by']} {e.get('note') or ''}")


@click.group("report")
def report_group() -> None:
    """信息报送：基层工会向上报送舆情信息，上级采用、要求补报、退回、并入事件；回应口径

    以 --by 指定的控制台账号的身份操作，与控制台「信息报送」页面相同的规则，并记入审计日志。
    """


@report_group.command("submit")
@click.option("--unit", "unit_id", required=True, help="事件所在单位 ID（本单位、下级或上级单位）")
@click.option("--by", "username", required=True, help="报送人的控制台账号（其所属单位为报送单位）")
@click.option("--text", required=True, help="发生了什么（事件经过）")
@click.option("--title", default="", help="标题")
@click.option("--place", default="", help="具体地点（自由填写）")
@click.option("--employer", default="", help="用人单位")
@click.option("--workers", type=click.IntRange(0, 1_000_000), help="涉及职工人数")
@click.option("--amount", "amount", type=click.FloatRange(0), help="涉及（拖欠）金额，元")
@click.option("--channel", type=click.Choice(list(REPORT_CHANNEL_NAMES.values())), default="其他", show_default=True,
              help="获知渠道")
@click.option("--urgent", is_flag=True, help="紧急：入库时即通知本单位及上级值班员")
@click.option("--personal", is_flag=True, help="含职工个人信息：姓名、电话、证件号在报送单位及其上级以外脱敏")
@click.option("--name", "names", multiple=True, help="需要脱敏的姓名（可重复）")
@click.option("--attach", "files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="附件：照片或 PDF（按内容检查类型，可重复）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def submit_cmd(click_ctx, unit_id, username, text, title, place, employer, workers, amount, channel, urgent,
               personal, names, files, as_json) -> None:
    """报送一条舆情信息；输出报送编号与其帖子编号（report:N）"""
    from yuqing.alerts.reports import ReportInput, Reports
    from yuqing.pipeline.ingest.feed import post_feeder

    ctx = get_context(click_ctx)
    actor = _actor(ctx, username)
    inp = ReportInput(text=text, unit_id=unit_id, title=title, place=place, employer=employer, workers=workers,
                      amount_yuan=amount, channel=channel, urgent=urgent, personal_data=personal,
                      personal_names=list(names), files=[(f.name, f.read_bytes()) for f in files])
    report = _run(ctx, lambda: Reports(ctx).submit(actor, inp, ingest=post_feeder(ctx)))
    _audit(ctx, actor, "report.submit", f"report:{report.id}", "urgent" if urgent else "")
    if as_json:
        emit_json({"id": report.id, "post_id": report.post_id, "status": report.status,
                   "incident_id": report.incident_id, "ingested": report.ingested_at is not None})
        return
    click.echo(f"{report.id} {report.post_id}" + (f" 事件 #{report.incident_id}" if report.incident_id else "")
               + ("" if report.ingested_at else "（未入库：yuqing report reingest）"))


@report_group.command("list")
@click.option("--unit", "unit_id", help="只列出该单位及其下级单位报送或涉及的")
@click.option("--status", type=click.Choice(list(REPORT_STATUS_NAMES)), help="状态")
@click.option("--limit", type=int, default=200, show_default=True, help="最多列出多少条")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def list_cmd(click_ctx, unit_id, status, limit, as_json) -> None:
    """列出信息报送（新的在前）"""
    from rich.table import Table

    from yuqing.alerts.reports import Reports
    from yuqing.pipeline.core.org import load_org

    ctx = get_context(click_ctx)
    org = load_org(ctx)
    if unit_id and unit_id not in org:
        raise click.BadParameter(f"未知单位 {unit_id!r}", param_hint="--unit")
    rows = _run(ctx, lambda: Reports(ctx, org).list(units=org.subtree(unit_id) if unit_id else None, status=status,
                                                     limit=limit))
    if as_json:
        emit_json([r.to_dict(timeline=False) for r in rows])
        return
    table = Table(title=f"信息报送（{len(rows)} 条）")
    for col in ("编号", "时间", "报送单位", "报送人", "涉及", "紧急", "状态", "采用", "事件", "内容"):
        table.add_column(col, overflow="fold")
    for r in rows:
        d = r.to_dict(timeline=False)
        table.add_row(str(r.id), r.created_at.astimezone(ctx.tz).strftime("%m-%d %H:%M"),
                      org.display_name(r.reporter_unit_id), r.reporter_name, org.display_name(r.unit_id),
                      d["urgency_name"], d["status_name"],
                      "、".join(ADOPTION_LEVEL_NAMES[lv] for lv in d["adopted_levels"]) or "—",
                      f"#{r.incident_id}" if r.incident_id else "—", (r.title or r.text)[:30])
    console.print(table)


@report_group.command("show")
@click.argument("report_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def show_cmd(click_ctx, report_id, as_json) -> None:
    """显示一份报送及其处理记录"""
    from yuqing.alerts.reports import Reports

    ctx = get_context(click_ctx)
    data = _run(ctx, lambda: Reports(ctx).get(report_id)).to_dict()
    if as_json:
        emit_json(data)
    else:
        _print_report(ctx, data)


def _review(click_ctx, report_id: int, username: str, action: str, call) -> None:
    from yuqing.alerts.reports import Reports

    ctx = get_context(click_ctx)
    actor = _actor(ctx, username)
    report = _run(ctx, lambda: call(Reports(ctx), actor))
    _audit(ctx, actor, f"report.{action}", f"report:{report_id}")
    d = report.to_dict(timeline=False)
    levels = "、".join(ADOPTION_LEVEL_NAMES[lv] for lv in d["adopted_levels"])
    click.echo(f"{report.id} {d['status_name']}" + (f"（{levels}级采用）" if levels else "")
               + (f" 事件 #{report.incident_id}" if report.incident_id else ""))


@report_group.command("adopt")
@click.argument("report_id", type=int)
@click.option("--by", "username", required=True, help="审核人的控制台账号（报送单位的上级值班员）")
@click.option("--level", type=click.Choice(list(ADOPTION_LEVEL_NAMES)),
              help="采用层级：subdistrict 街乡、district 区 [默认：审核人所在层级]")
@click.option("--note", default=None, help="备注")
@click.pass_context
def adopt_cmd(click_ctx, report_id, username, level, note) -> None:
    """采用一份报送（记录采用层级）"""
    _review(click_ctx, report_id, username, "adopt", lambda desk, a: desk.adopt(a, report_id, level, note))


@report_group.command("return")
@click.argument("report_id", type=int)
@click.option("--by", "username", required=True, help="审核人的控制台账号")
@click.option("--note", required=True, help="退回说明（必填）")
@click.pass_context
def return_cmd(click_ctx, report_id, username, note) -> None:
    """退回一份报送（须说明原因）"""
    _review(click_ctx, report_id, username, "return", lambda desk, a: desk.return_(a, report_id, note))


@report_group.command("more")
@click.argument("report_id", type=int)
@click.option("--by", "username", required=True, help="审核人的控制台账号")
@click.option("--note", required=True, help="需要补报的内容（必填）")
@click.pass_context
def more_cmd(click_ctx, report_id, username, note) -> None:
    """要求补报"""
    _review(click_ctx, report_id, username, "more", lambda desk, a: desk.request_more(a, report_id, note))


@report_group.command("supplement")
@click.argument("report_id", type=int)
@click.option("--by", "username", required=True, help="报送人的控制台账号")
@click.option("--text", required=True, help="补报内容")
@click.option("--attach", "files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="补充的附件：照片或 PDF（可重复）")
@click.pass_context
def supplement_cmd(click_ctx, report_id, username, text, files) -> None:
    """补报：按审核单位的要求补充后重新报送"""
    from yuqing.pipeline.ingest.feed import post_feeder

    ctx = get_context(click_ctx)
    data = [(f.name, f.read_bytes()) for f in files]
    _review(click_ctx, report_id, username, "supplement",
            lambda desk, a: desk.supplement(a, report_id, text, data, ingest=post_feeder(ctx)))


@report_group.command("merge")
@click.argument("report_id", type=int)
@click.option("--by", "username", required=True, help="审核人的控制台账号")
@click.option("--incident", "incident_id", type=int, help="并入的事件编号 [不给：以此报送立案]")
@click.option("--note", default=None, help="备注")
@click.pass_context
def merge_cmd(click_ctx, report_id, username, incident_id, note) -> None:
    """并入预警事件（或以报送立案）"""
    _review(click_ctx, report_id, username, "merge", lambda desk, a: desk.merge(a, report_id, incident_id, note))


@report_group.command("reingest")
@click.argument("report_ids", type=int, nargs=-1, required=True)
@click.pass_context
def reingest_cmd(click_ctx, report_ids) -> None:
    """把报送重新送入入库流程（入库失败后，或修改分类模型后）"""
    from yuqing.alerts.reports import Reports
    from yuqing.pipeline.ingest.feed import post_feeder

    ctx = get_context(click_ctx)
    n = _run(ctx, lambda: Reports(ctx).reingest(report_ids, post_feeder(ctx)))
    click.echo(f"已入库 {n} 条")


# --- response statements (回应口径) --------------------------------------------------------------


@report_group.group("response")
def response_group() -> None:
    """回应口径：拟定、审批、退回、修改、登记发布"""


def _response(click_ctx, username: str, action: str, call) -> None:
    from yuqing.alerts.responses import Responses

    ctx = get_context(click_ctx)
    actor = _actor(ctx, username)
    row = _run(ctx, lambda: call(Responses(ctx), actor))
    _audit(ctx, actor, f"response.{action}", f"response:{row.id}")
    click.echo(f"{row.id} {row.to_dict()['status_name']}")


@response_group.command("draft")
@click.option("--incident", "incident_id", type=int, help="针对的事件编号")
@click.option("--report", "report_id", type=int, help="或针对的报送编号")
@click.option("--by", "username", required=True, help="拟稿人的控制台账号")
@click.option("--text", required=True, help="口径内容")
@click.option("--outlets", default="", help="拟发布渠道，如 区总工会微信公众号")
@click.pass_context
def response_draft(click_ctx, incident_id, report_id, username, text, outlets) -> None:
    """拟定回应口径并报上级审批"""
    _response(click_ctx, username, "draft", lambda r, a: r.draft(a, text, outlets, incident_id=incident_id,
                                                                report_id=report_id))


@response_group.command("approve")
@click.argument("response_id", type=int)
@click.option("--by", "username", required=True, help="审批人的控制台账号（拟稿单位的上级）")
@click.option("--note", default=None, help="审批意见")
@click.pass_context
def response_approve(click_ctx, response_id, username, note) -> None:
    """审批通过"""
    _response(click_ctx, username, "approve", lambda r, a: r.approve(a, response_id, note))


@response_group.command("return")
@click.argument("response_id", type=int)
@click.option("--by", "username", required=True, help="审批人的控制台账号（拟稿单位的上级）")
@click.option("--note", required=True, help="退回意见（必填）")
@click.pass_context
def response_return(click_ctx, response_id, username, note) -> None:
    """退回修改"""
    _response(click_ctx, username, "return", lambda r, a: r.return_(a, response_id, note))


@response_group.command("publish")
@click.argument("response_id", type=int)
@click.option("--by", "username", required=True, help="登记人的控制台账号（拟稿单位或其上级）")
@click.option("--where", required=True, help="发布渠道")
@click.option("--url", default="", help="发布链接")
@click.pass_context
def response_publish(click_ctx, response_id, username, where, url) -> None:
    """登记发布（渠道、时间、链接）"""
    _response(click_ctx, username, "publish", lambda r, a: r.publish(a, response_id, where, url))
