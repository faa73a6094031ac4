"""``yuqing org …``: the union hierarchy — show it, import the union's lists, export it as YAML, read
its change log, review alias/landmark suggestions, and try linking a text.

Thin commands over :mod:`yuqing.pipeline.core.org` (the tree), :mod:`yuqing.pipeline.core.orgregistry`
(changes, history, suggestions), :mod:`yuqing.alerts.orgimport` (imports) and
:mod:`yuqing.alerts.linking`.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.tree import Tree

from yuqing.pipeline.cli.common import emit_json, get_context
from yuqing.pipeline.core.config import ConfigError
from yuqing.pipeline.core.names import LEVEL_NAMES

console = Console(soft_wrap=True)   # long lines (reasons, paths) are not cut: users copy them
TEMPLATE = "org-import-template.csv"
ACTION_NAMES = {"add": "新增", "update": "修改", "rename": "改名", "move": "调整上级", "roster": "值班表", "terms": "别名/地标",
                "retire": "撤销", "restore": "恢复"}


@click.group("org")
def org_group() -> None:
    """工会组织体系：查看、导入名单、导出、变更记录、试关联文本

    组织体系保存在状态数据库的组织库中：首次使用时由 config/org.yaml 与随包附带的朝阳区
    官方区划（43 个街乡、768 个社区/村）建立；此后 org.yaml 的修改按差异并入，控制台与
    yuqing org import 的修改均记录在变更记录中。
    """


def _load_org(click_ctx):
    from yuqing.pipeline.core.org import load_org

    ctx = get_context(click_ctx)
    try:
        return ctx, load_org(ctx)
    except ConfigError as exc:
        raise click.ClickException(f"配置错误 / invalid config: {exc}") from exc


def _pick_unit(org, unit: str):
    matches = org.find(unit) or [u for u in org.units.values() if unit in u.name]
    if len(matches) == 1:
        return matches[0]
    hint = f"; did you mean {', '.join(u.id for u in matches[:5])}?" if matches else ""
    raise click.BadParameter(f"unknown unit {unit!r}{hint}", param_hint="UNIT")


def _division_counts(org, ids) -> dict[str, int]:
    """How many of ``ids`` carry an official code: 街乡 (9 digits), 社区/村 (12 digits)."""
    units = [org.units[u] for u in ids]
    return {"街乡": sum(1 for u in units if u.code and len(u.code) == 9),
            "社区/村": sum(1 for u in units if u.code and len(u.code) == 12)}


@org_group.command("show")
@click.argument("unit", required=False)
@click.option("--depth", type=click.IntRange(0), help="在 UNIT 之下展开的层数")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（含范围内全部单位的列表）")
@click.pass_context
def org_show(click_ctx, unit: str | None, depth: int | None, as_json: bool) -> None:
    """查看组织体系（经校验），从 UNIT 或区总工会开始

    UNIT 可为单位 ID、区划代码、名称或别名；给出 UNIT 时另显示该单位的详情与值班表。
    """
    ctx, org = _load_org(click_ctx)
    start = _pick_unit(org, unit) if unit else org.root
    ids = [u.id for _d, u in org.walk(start.id)]
    if as_json:
        emit_json({"unit": start.model_dump(mode="json"), "path": org.path(start.id),
                   "children": [c.id for c in org.children(start.id)],
                   "subtree": sorted(org.subtree(start.id)) if unit else None,
                   "counts": {lvl: sum(1 for i in ids if org.units[i].level == lvl) for lvl in LEVEL_NAMES},
                   "divisions": _division_counts(org, ids), "version": org.version,
                   "units": [{"id": u.id, "code": u.code, "credit_code": u.credit_code, "name": u.name,
                              "level": u.level, "parent": u.parent} for u in (org.units[i] for i in ids)]})
        return
    if unit:
        _print_unit(ctx, org, start)
    tree = Tree(f"{start.name} [dim]{start.id}[/]")
    nodes = {start.id: tree}
    if depth is None and not unit:
        for child in org.children(start.id):
            n = len(org.subtree(child.id)) - 1
            tree.add(f"{child.name} [dim]{child.id}[/]" + (f"（下属 {n} 个单位）" if n else ""))
    else:
        for d, u in org.walk(start.id):
            if u.id == start.id or (depth is not None and d > depth) or u.parent not in nodes:
                continue
            nodes[u.id] = nodes[u.parent].add(f"{u.name} [dim]{u.id}[/]" + ("" if u.roster else " [yellow](无值班)[/]"))
    console.print(tree)
    if not unit:
        counts = "，".join(f"{LEVEL_NAMES[lvl]} {len(org.level_units(lvl))}" for lvl in LEVEL_NAMES)
        div = _division_counts(org, ids)
        console.print(f"共 {len(org)} 个单位：{counts}（其中官方区划街乡 {div['街乡']} 个、社区/村 {div['社区/村']} 个）。"
                      "用 yuqing org show 单位ID 查看详情，--depth N 展开。")


def _print_unit(ctx, org, start) -> None:
    from yuqing.alerts.linking import linker_for

    console.print(f"[bold]{start.name}[/]（{start.id}，{LEVEL_NAMES[start.level]}"
                  + (f"，区划代码 {start.code}" if start.code else "")
                  + (f"，统一社会信用代码 {start.credit_code}" if start.credit_code else "") + "）")
    console.print("  上级：" + (" → ".join(org.display_name(a) for a in org.ancestors(start.id)) or "无"))
    if start.address:
        console.print("  地址：" + start.address)
    if start.aliases:
        console.print("  别名：" + "、".join(start.aliases))
    if start.landmarks:
        console.print("  地标：" + "、".join(start.landmarks))
    derived = linker_for(org).terms_of(start.id)
    if derived:
        console.print("  关联时另用：" + "、".join(t for t, _k in derived[:30]))
    for s in (s for s in org.shared if start.id in s.units):
        console.print(f"  共用地名：{s.term}（与 {'、'.join(org.display_name(u) for u in s.units if u != start.id)}）")
    roster_unit = org.roster_unit(start.id)
    if roster_unit.id != start.id:
        console.print(f"  值班：本单位未配置，由 {roster_unit.name} 值班人员负责")
    now = datetime.now(UTC)
    for o in roster_unit.roster:
        channels = "、".join(o.contacts())
        duty = "在岗" if o.on_duty(now, ctx.tz) else "不在岗"
        console.print(f"  值班员 {o.name}（{o.role or '—'}）{o.hours}［{duty}］ 渠道：{channels or '无'}")


@org_group.command("link")
@click.argument("text")
@click.option("--location", help="平台上的地点字段（如 北京 朝阳区）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def org_link(click_ctx, text: str, location: str | None, as_json: bool) -> None:
    """试关联：TEXT 关联到哪些单位，依据是什么"""
    from yuqing.alerts.linking import linker_for

    _, org = _load_org(click_ctx)
    linker = linker_for(org)
    result = linker.link(text, location)
    if as_json:
        emit_json({"org_units": result.units, "org_path": result.path, "link_confidence": result.confidence,
                   "unit_confidence": result.unit_confidence, "default": result.default,
                   "matches": [{"term": m.term, "kind": m.kind, "units": list(m.units), "start": m.start,
                                "end": m.end, "source": m.source} for m in result.matches],
                   "notes": result.notes})
        return
    for line in linker.explain(result):
        console.print(line)
    for unit in result.units:
        console.print("归属路径：" + " → ".join(org.display_name(u) for u in reversed(org.path(unit))))


@org_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只显示差异（新增、修改、不变、拒绝），不写入")
@click.option("--by", "by", default=None, help="操作人（记入变更记录）[当前系统用户]")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出差异")
@click.option("--show", type=click.IntRange(0), default=20, show_default=True, help="每类最多列出几条")
@click.pass_context
def org_import(click_ctx, file: Path, dry_run: bool, by: str | None, as_json: bool, show: int) -> None:
    """导入工会自己的名单（企业工会、值班表）：.xlsx 或 .csv（UTF-8/GBK）

    表头中文或英文均可：单位名称/name、统一社会信用代码/credit_code、上级单位/parent（单位名称、ID
    或 12 位区划代码）、地址/address、别名/aliases（以 、或 ; 分隔）、联系人/contact_name、
    邮箱/contact_email、电话/contact_phone、值班时间/hours；模板见 yuqing org template。
    同一单位可占多行（每行一名值班员）。有任何一行被拒绝时整个文件不导入；重复导入同一文件不做任何修改。
    退出码：0 成功（或预览无错），1 有被拒绝的行。
    """
    import getpass

    from yuqing.alerts.orgimport import ImportFileError, apply_plan, plan_import
    from yuqing.pipeline.core.orgregistry import OrgError

    ctx, org = _load_org(click_ctx)
    try:
        plan = plan_import(ctx, file.read_bytes(), file.name)
        if plan.ok and not dry_run:
            apply_plan(ctx, plan, by=by or f"cli:{getpass.getuser()}")
    except (ImportFileError, OrgError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        emit_json({**plan.as_dict(), "dry_run": dry_run})
    else:
        _print_plan(plan, dry_run, show, org)
    if not plan.ok:
        raise SystemExit(1)


def _print_plan(plan, dry_run: bool, show: int, org) -> None:
    s = plan.summary()
    console.print(f"{plan.filename}：{s['rows']} 行数据 → 新增 {s['new']}，修改 {s['changed']}，"
                  f"不变 {s['unchanged']}，拒绝 {s['rejected']}")
    for p in plan.new[:show]:
        console.print(f"  [green]+ 新增[/] 第 {p.rows[0]} 行 {p.name}（{p.unit_id}）上级 {org.display_name(p.record.get('parent') or '')}")
    for p in plan.changed[:show]:
        diffs = "；".join(f"{f}: {_short(p.before.get(f))} → {_short(p.record.get(f))}" for f in p.fields)
        console.print(f"  [yellow]~ 修改[/] 第 {p.rows[0]} 行 {p.name}（{p.unit_id}）{diffs}")
    for r in plan.rejected[:max(show, 50)]:
        console.print(f"  [red]✗ 拒绝[/] {r}")
    hidden = max(0, len(plan.new) - show) + max(0, len(plan.changed) - show) + max(0, len(plan.rejected) - max(show, 50))
    if hidden:
        console.print(f"  …另有 {hidden} 条未列出（--show N 或 --json 查看全部）")
    for w in plan.warnings:
        console.print(f"  [yellow]注意[/] {w}")
    if not plan.ok:
        console.print(f"[red]有 {len(plan.rejected)} 行被拒绝，未导入任何内容。[/]请修改文件后重新导入。")
    elif dry_run:
        console.print("预览完毕，未写入（去掉 --dry-run 以导入）。")
    elif plan.new or plan.changed:
        console.print(f"已导入：组织库版本 {plan.version} → {plan.applied_version}（批次 {plan.batch}）。")
    else:
        console.print("没有需要修改的内容，组织库未变。")


def _short(value) -> str:
    text = "、".join(map(str, value)) if isinstance(value, list) and all(isinstance(v, str) for v in value) else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


@org_group.command("template")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="写到文件（.csv 或 .xlsx）；不给则打印 CSV")
@click.pass_context
def org_template(click_ctx, out: Path | None) -> None:
    """导入名单的模板（表头与示例行），可写成 .xlsx 供 Excel/WPS 填写"""
    from yuqing.pipeline.core.resources import shipped

    ctx = get_context(click_ctx)
    path = Path(ctx.config_dir) / TEMPLATE
    text = (path if path.exists() else shipped("config", TEMPLATE)).read_text(encoding="utf-8-sig")
    if out is None:
        click.echo(text, nl=False)
        return
    if out.suffix.lower() == ".xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "名单"
        for row in csv.reader(io.StringIO(text)):
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = openpyxl.styles.Font(bold=True)
            sheet.column_dimensions[cell.column_letter].width = 22
        book.save(out)
    else:
        out.write_text(text, encoding="utf-8-sig")
    console.print(f"已写出模板 {out}")


@org_group.command("export")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="写到文件；不给则打印")
@click.pass_context
def org_export(click_ctx, out: Path | None) -> None:
    """把组织库导出为 org.yaml 格式（含区划代码、统一社会信用代码、值班表）"""
    import yaml

    from yuqing.pipeline.core.orgregistry import export_file

    _, org = _load_org(click_ctx)
    text = yaml.safe_dump(export_file(org), allow_unicode=True, sort_keys=False, width=200)
    header = f"# 组织库导出（版本 {org.version}，{datetime.now(UTC).astimezone().strftime('%Y-%m-%d %H:%M')}）\n"
    if out is None:
        click.echo(header + text, nl=False)
    else:
        out.write_text(header + text, encoding="utf-8")
        console.print(f"已导出 {len(org)} 个单位到 {out}")


@org_group.command("history")
@click.argument("unit", required=False)
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True, help="最多显示几条")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def org_history(click_ctx, unit: str | None, limit: int, as_json: bool) -> None:
    """变更记录：谁在何时改了什么（整个组织库，或 UNIT 一个单位）"""
    from yuqing.pipeline.core.orgregistry import history

    ctx, org = _load_org(click_ctx)
    unit_id = None
    if unit:
        unit_id = unit if (unit in org.units or unit in org.retired) else _pick_unit(org, unit).id
    rows = history(ctx, unit_id=unit_id, limit=limit)
    if as_json:
        emit_json([{"id": c.id, "at": c.at.isoformat(), "by": c.by, "via": c.via, "action": c.action,
                    "unit_id": c.unit_id, "version": c.version, "batch": c.batch, "fields": c.fields_changed(),
                    "before": c.before, "after": c.after, "note": c.note} for c in rows])
        return
    for c in rows:
        what = ACTION_NAMES.get(c.action, c.action)
        fields = f"（{'、'.join(c.fields_changed())}）" if c.fields_changed() else ""
        console.print(f"{c.at.astimezone(ctx.tz):%Y-%m-%d %H:%M} v{c.version} {c.by}［{c.via}］{what}{fields} "
                      f"{org.display_name(c.unit_id)}（{c.unit_id}）{c.note and ' · ' + c.note}")
    if not rows:
        console.print("暂无变更记录")


@org_group.command("suggest")
@click.argument("unit")
@click.argument("term")
@click.option("--kind", type=click.Choice(["alias", "landmark"]), default="landmark", show_default=True,
              help="别名（alias）或地标（landmark）")
@click.option("--by", default=None, help="建议人 [当前系统用户]")
@click.option("--evidence", help="依据（如帖子 ID 或原文）")
@click.pass_context
def org_suggest(click_ctx, unit: str, term: str, kind: str, by: str | None, evidence: str | None) -> None:
    """建议为 UNIT 增加别名或地标 TERM，待管理员在控制台审核"""
    import getpass

    from yuqing.pipeline.core.orgregistry import OrgError, propose_term

    ctx, org = _load_org(click_ctx)
    try:
        pid = propose_term(ctx, _pick_unit(org, unit).id, term, kind, source="cli", by=by or getpass.getuser(),
                           evidence=evidence)
    except OrgError as exc:
        raise click.ClickException(str(exc)) from exc
    console.print(f"已提交建议 #{pid}，待管理员审核")


commands = [org_group]
