"""``yuqing db``: the state database's schema — upgrade to the newest revision, show the current
revision and the history, and (for developers) generate a revision from the models.

Every module that declares tables on ``statedb.Base`` is imported here: ``db revision`` compares
all of them with the migrated schema (``tests/pipeline/test_migrations.py`` checks the list).
"""

from __future__ import annotations

import click

from yuqing.alerts import models as alert_models
from yuqing.alerts import report_models
from yuqing.console import models as console_models
from yuqing.pipeline.cli.common import emit_json, get_context
from yuqing.pipeline.core import orgdb as org_models
from yuqing.pipeline.core import statedb
from yuqing.pipeline.core.migrations import runner
from yuqing.pipeline.scheduler import models as scheduler_models

#: the modules whose tables live in the state database
MODEL_MODULES = (alert_models, report_models, console_models, scheduler_models, org_models)


def _shown(ctx) -> str:
    return statedb.engine_for(ctx).url.render_as_string(hide_password=True)


@click.group("db")
def db_group() -> None:
    """状态数据库（预警事件、通知发件箱、控制台账号、调度记录）：迁移到最新结构、查看版本。"""


@db_group.command("upgrade")
@click.pass_context
def upgrade_cmd(click_ctx) -> None:
    """将状态数据库升级到最新结构：空库全部新建；迁移前创建的旧库先接管为基线版本。可重复运行。"""
    ctx = get_context(click_ctx)
    try:
        done = runner.upgrade(statedb.engine_for(ctx))
    except statedb.SchemaError as exc:
        raise click.ClickException(str(exc)) from exc
    before = ", ".join(done.before) or "（无版本）"
    after = ", ".join(done.after)
    if done.legacy:
        click.echo(f"{_shown(ctx)}：检测到迁移前创建的数据库，已接管为基线版本")
    if done.changed:
        click.echo(f"{_shown(ctx)}：{before} → {after}")
    else:
        click.echo(f"{_shown(ctx)}：已是最新版本 {after}")


@db_group.command("current")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def current_cmd(click_ctx, as_json: bool) -> None:
    """显示状态数据库当前的结构版本与本程序的最新版本（只读，不迁移）。落后时退出码为 1。"""
    ctx = get_context(click_ctx)
    current = runner.current(statedb.engine_for(ctx))
    head = runner.head()
    try:
        runner.check_known(current, statedb.engine_for(ctx))
    except statedb.SchemaError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        emit_json({"url": _shown(ctx), "current": list(current), "head": head, "up_to_date": current == (head,)})
    elif current == (head,):
        click.echo(f"{_shown(ctx)}：{head}（最新）")
    else:
        click.echo(f"{_shown(ctx)}：{', '.join(current) or '（无版本，尚未迁移）'}，最新为 {head}；"
                   "运行 `yuqing db upgrade` 升级")
    if current != (head,):
        raise SystemExit(1)


@db_group.command("history")
@click.pass_context
def history_cmd(click_ctx) -> None:
    """列出全部迁移版本（新的在前），标出数据库当前所在版本。"""
    ctx = get_context(click_ctx)
    current = set(runner.current(statedb.engine_for(ctx)))
    for rev in runner.history():
        mark = "  ← 当前" if rev["revision"] in current else ""
        click.echo(f"{rev['revision']}  {rev['message']}{mark}")


@db_group.command("revision")
@click.option("-m", "--message", required=True, help="简短说明（英文），用作文件名，如 \"add org registry\"")
def revision_cmd(message: str) -> None:
    """（开发用）比较模型与最新迁移，自动生成新的迁移文件到 pipeline/core/migrations/versions/，生成后请审阅。"""
    path = runner.autogenerate(message)
    if path is None:
        click.echo("模型与最新迁移一致，无需新版本")
        return
    click.echo(f"已生成 {path}（请审阅：重命名、数据迁移需手工补写）")
