"""The root of the ``yuqing`` command line.

Global options ``--config-dir`` and ``--data-dir`` (env ``YUQING_CONFIG_DIR`` / ``YUQING_DATA_DIR``)
come before the subcommand. Subcommands live in the modules of this package and are imported only
when they run: :data:`COMMANDS` names each one's module, attribute and the one-line help that
``yuqing --help`` shows, so the top-level help imports nothing but click, and ``yuqing crawl …``
(the scheduler's child process) loads the crawlers and ingest, not the console or the briefing.
``tests/pipeline/test_cli_lazy.py`` checks that every entry resolves to its command, that no
command module defines a command the table lacks, and what ``--help`` imports.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import click

#: command name → (module, attribute, one-line help shown by ``yuqing --help``)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "ingest": ("yuqing.pipeline.cli.posts", "ingest", "入库：校验、规范化、去重、分类、关联后写入存储"),
    "search": ("yuqing.pipeline.cli.posts", "search", "全文检索帖子（中文分词），可按时间、平台、话题、单位筛选"),
    "stats": ("yuqing.pipeline.cli.posts", "stats", "统计帖数、作者、事件与互动，可分组、分时段"),
    "store": ("yuqing.pipeline.cli.store", "store_group", "存储状态与暂存补写（store health|replay）"),
    "es": ("yuqing.pipeline.cli.store", "es_group", "Elasticsearch 索引模板、月度索引、保留与迁移"),
    "train": ("yuqing.pipeline.cli.classify", "train", "训练话题与情感模型并给出交叉验证指标"),
    "classify": ("yuqing.pipeline.cli.classify", "classify", "为 JSON Lines 帖子标注话题与情感（可 --explain）"),
    "evaluate": ("yuqing.pipeline.cli.classify", "evaluate", "在标注数据上评估模型：各标签 P/R/F1"),
    "alerts": ("yuqing.pipeline.cli.alerts", "alerts_group", "预警：研判、回放、列表、确认、处置、投递"),
    "org": ("yuqing.pipeline.cli.alerts", "org_group", "工会组织体系：查看单位与值班表，试关联文本"),
    "crawl": ("yuqing.pipeline.cli.crawl", "crawl", "立即采集一个采集源并入库（或写入文件）"),
    "sources": ("yuqing.pipeline.cli.crawl", "sources", "采集源：运行情况、Cookie 检查、健康、恢复"),
    "run": ("yuqing.pipeline.cli.scheduler", "run_cmd", "启动调度服务（采集、预警、投递、周报）"),
    "jobs": ("yuqing.pipeline.cli.scheduler", "jobs_cmd", "调度任务：下次运行、上次结果与历史"),
    "briefing": ("yuqing.pipeline.cli.briefing", "briefing_group", "舆情周报、日报与归档"),
    "users": ("yuqing.pipeline.cli.console", "users", "控制台账号：新增、列表、停用、重置密码"),
    "serve": ("yuqing.pipeline.cli.console", "serve", "启动值班控制台（网页）"),
    "kibana": ("yuqing.pipeline.cli.console", "kibana", "导出 Kibana 数据视图、检索与仪表盘"),
    "db": ("yuqing.pipeline.cli.statedb", "db_group", "状态数据库：迁移到最新结构、查看版本"),
    "config": ("yuqing.pipeline.cli.config", "config_group", "检查全部配置文件（文件、键、原因）"),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported from :data:`COMMANDS` on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module, attr, _help = spec
        command = getattr(importlib.import_module(module), attr)
        self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from the table: no command module is imported for ``--help``."""
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx) if name in COMMANDS]
        if rows:
            with formatter.section("命令 Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config-dir", type=click.Path(file_okay=False, path_type=Path), envvar="YUQING_CONFIG_DIR",
              help="配置目录（settings.yaml 等）[./config，没有则用随包附带的示例配置]")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), envvar="YUQING_DATA_DIR",
              help="运行数据目录 [./var]")
@click.version_option(package_name="yuqing")
@click.pass_context
def main(click_ctx: click.Context, config_dir: Path | None, data_dir: Path | None) -> None:
    """yuqing 舆情监测：采集 → 入库（规范化、去重、分类、关联）→ 预警 → 周报。"""
    click_ctx.obj = {"config_dir": config_dir, "data_dir": data_dir}


if __name__ == "__main__":
    main()
