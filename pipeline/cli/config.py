"""``yuqing config check``: every configuration file validated by its one reader."""

from __future__ import annotations

import sys

import click

from yuqing.pipeline.cli.common import console, emit_json, get_context


@click.group("config")
def config_group() -> None:
    """配置文件。"""


@config_group.command("check")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def check_cmd(click_ctx, as_json: bool) -> None:
    """检查全部配置文件；有错误时逐一给出文件、键与原因，退出码 1。"""
    from yuqing.pipeline.checks import check_config

    ctx = get_context(click_ctx)
    checks = check_config(ctx)
    if as_json:
        emit_json([{"file": c.file, "what": c.what, "ok": c.ok, "error": str(c.error) if c.error else None}
                   for c in checks])
    else:
        console.print(f"配置目录 {ctx.config_dir.resolve()}")
        for c in checks:
            mark = "[green]正确[/]" if c.ok else f"[red]错误[/]：{c.error}"
            console.print(f"  {c.file:<16} {c.what}：{mark}")
    sys.exit(0 if all(c.ok for c in checks) else 1)
