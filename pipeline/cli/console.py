"""``yuqing users …`` (console accounts), ``yuqing serve`` (the duty console) and
``yuqing kibana export`` (saved objects for analysts)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from yuqing.console.models import ROLES
from yuqing.pipeline.cli.common import emit_json, get_context
from yuqing.pipeline.core.config import ConfigError
from yuqing.pipeline.core.names import ROLE_NAMES


def _ctx(click_ctx):

    return get_context(click_ctx)


def _read_password(password_stdin: bool, confirm: bool = True) -> str:
    if password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise click.UsageError("--password-stdin: nothing on standard input")
        return line.rstrip("\r\n")
    if os.environ.get("YUQING_NEW_PASSWORD"):
        return os.environ["YUQING_NEW_PASSWORD"]
    return click.prompt("密码 password", hide_input=True, confirmation_prompt=confirm)


def _audit(ctx, action: str, account, detail: str = "") -> None:

    from yuqing.console import audit

    operator = os.environ.get("SUDO_USER") or os.environ.get("USER") or "cli"
    audit.record(ctx, f"cli:{operator}"[:64], action, unit_id=account.unit_id, target=f"user:{account.username}",
                 detail=detail)


@click.group("users")
def users() -> None:
    """控制台账号：新增、列表、停用、重置密码

    账号保存在状态数据库中。
    """


@users.command("add")
@click.argument("username")
@click.option("--unit", "unit_id", required=True, help="账号所属的工会单位 ID（见 config/org.yaml）")
@click.option("--role", type=click.Choice(ROLES), default="duty", show_default=True,
              help="duty 值班员（查看并处置），analyst 分析员（只读），admin 管理员（另可查看审计日志）")
@click.option("--name", "display_name", default="", help="显示的姓名，如 张伟")
@click.option("--password-stdin", is_flag=True, help="从标准输入的第一行读取密码"
              "（否则取环境变量 YUQING_NEW_PASSWORD，再否则提示输入）")
@click.pass_context
def users_add(click_ctx, username: str, unit_id: str, role: str, display_name: str, password_stdin: bool) -> None:
    """新增账号 USERNAME"""
    from yuqing.console.accounts import AccountError, add_user

    ctx = _ctx(click_ctx)
    password = _read_password(password_stdin)
    try:
        account = add_user(ctx, username, password, unit_id, role, display_name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    _audit(ctx, "user.add", account, f"role={role}")
    click.echo(f"已创建 created {account.username} ({ROLE_NAMES[role]}, {unit_id})")


@users.command("list")
@click.option("--unit", "unit_id", help="只列出该单位及其下级单位的账号")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def users_list(click_ctx, unit_id: str | None, as_json: bool) -> None:
    """列出账号"""
    from yuqing.console.accounts import list_users
    from yuqing.console.db import now_utc
    from yuqing.pipeline.core.org import load_org

    ctx = _ctx(click_ctx)
    units = None
    if unit_id:

        org = load_org(ctx)
        if org.get(unit_id) is None:
            raise click.BadParameter(f"unknown unit {unit_id!r}", param_hint="--unit")
        units = set(org.subtree(unit_id))
    rows = list_users(ctx, units)
    if as_json:
        emit_json([a.as_dict() for a in rows])
        return
    from rich.console import Console
    from rich.table import Table

    now = now_utc()
    table = Table(title=f"账号 accounts ({len(rows)})")
    for col in ("用户名", "姓名", "单位", "角色", "状态", "上次登录"):
        table.add_column(col)
    for a in rows:
        state = "停用 disabled" if a.disabled else ("锁定 locked" if a.locked_until and a.locked_until > now else "正常")
        last = a.last_login_at.astimezone(ctx.tz).strftime("%Y-%m-%d %H:%M") if a.last_login_at else "—"
        table.add_row(a.username, a.display_name, a.unit_id, ROLE_NAMES.get(a.role, a.role), state, last)
    Console().print(table)


@users.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="改为重新启用该账号（并解除锁定）")
@click.pass_context
def users_disable(click_ctx, username: str, enable: bool) -> None:
    """停用账号（立即结束其全部会话），或用 --enable 重新启用"""
    from yuqing.console.accounts import AccountError, set_disabled

    ctx = _ctx(click_ctx)
    try:
        account = set_disabled(ctx, username, not enable)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    _audit(ctx, "user.enable" if enable else "user.disable", account)
    click.echo(f"{'已启用 enabled' if enable else '已停用 disabled'} {username}")


@users.command("reset-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="从标准输入的第一行读取新密码"
              "（否则取环境变量 YUQING_NEW_PASSWORD，再否则提示输入）")
@click.pass_context
def users_reset_password(click_ctx, username: str, password_stdin: bool) -> None:
    """设置新密码，解除锁定，并结束该账号的全部会话"""
    from yuqing.console.accounts import AccountError, get_user, reset_password

    ctx = _ctx(click_ctx)
    if get_user(ctx, username) is None:
        raise click.ClickException(f"没有该用户 no such user {username!r}")
    password = _read_password(password_stdin)
    try:
        account = reset_password(ctx, username, password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    _audit(ctx, "user.reset-password", account)
    click.echo(f"已重置 password reset for {username}")


@click.command("serve")
@click.option("--host", help="监听地址 [console.host，127.0.0.1]")
@click.option("--port", type=int, help="端口 [console.port，8000]")
@click.option("--workers", type=int, default=1, show_default=True, hidden=True)
@click.pass_context
def serve(click_ctx, host: str | None, port: int | None, workers: int) -> None:
    """启动值班控制台（网页与 /api/），由 uvicorn 提供服务"""
    import uvicorn

    from yuqing.console.app import create_app
    from yuqing.pipeline.core.statedb import SchemaError

    ctx = _ctx(click_ctx)
    cfg = ctx.settings.console
    try:
        app = create_app(ctx)
    except ConfigError as exc:
        raise click.ClickException(f"配置错误 / invalid config: {exc}") from exc
    except SchemaError as exc:
        raise click.ClickException(str(exc)) from exc
    host, port = host or cfg.host, port or cfg.port
    click.echo(f"值班控制台 console on http://{host}:{port}/ (Ctrl-C to stop)")
    uvicorn.run(app, host=host, port=port, proxy_headers=True, forwarded_allow_ips=cfg.trusted_proxies,
                log_level="info", server_header=False)


@click.group("kibana")
def kibana() -> None:
    """导出 Kibana 数据视图、检索与仪表盘

    供分析员在 Kibana 中使用的保存对象。
    """


@kibana.command("export")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("kibana-export"),
              show_default=True, help=".ndjson 文件的输出目录")
@click.option("--prefix", help="数据视图指向的索引前缀 [store.elasticsearch.index_prefix]")
@click.pass_context
def kibana_export(click_ctx, out_dir: Path, prefix: str | None) -> None:
    """导出保存对象（.ndjson 文件）

    在 Kibana 中导入：Stack Management → Saved objects（已保存对象）→ Import（导入）。
    """
    from yuqing.console.kibana import export

    ctx = _ctx(click_ctx)
    prefix = prefix or ctx.settings.store.elasticsearch.index_prefix
    try:
        written = export(ctx.config_dir, out_dir, prefix)
    except ValueError as exc:  # bad prefix, or a shipped file that is not valid NDJSON
        raise click.BadParameter(str(exc), param_hint="--prefix / config/kibana") from exc
    for path, count in written:
        click.echo(f"{path}  ({count} objects)")


commands = [users, serve, kibana]
