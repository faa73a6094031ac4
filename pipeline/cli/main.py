"""The root of the ``yuqing`` command line.

Global options ``--config-dir`` and ``--data-dir`` (env ``YUQING_CONFIG_DIR`` / ``YUQING_DATA_DIR``)
come before the subcommand. Subcommands live in the modules of this package and are imported only
when they run: :data:`COMMANDS` names each one's module, attribute and the one-line help that
``yuqing --help`` shows, so the top-level help imports nothing but click, and ``yuqing crawl …``
(the scheduler's child process) loads the crawlers and ingest, not the console or the briefing.
``tests/pipeline/test_cli_lazy.py`` checks that every entry resolves to its command, that no
command module defines a command the table lacks, and what ``--help`` imports.

Help is Chinese: :class:`CjkHelpFormatter` wraps it by display width (a CJK character takes two
columns, click counts one) and may break between CJK characters, not only at spaces.
"""

from __future__ import annotations

import importlib
import unicodedata
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
    "org": ("yuqing.pipeline.cli.org", "org_group", "工会组织体系：查看、导入名单、导出、变更记录、试关联文本"),
    "crawl": ("yuqing.pipeline.cli.crawl", "crawl", "立即采集一个采集源并入库（或写入文件）"),
    "sources": ("yuqing.pipeline.cli.crawl", "sources", "采集源：运行情况、Cookie 检查、健康、恢复"),
    "run": ("yuqing.pipeline.cli.scheduler", "run_cmd", "启动调度服务（采集、预警、投递、周报）"),
    "jobs": ("yuqing.pipeline.cli.scheduler", "jobs_cmd", "调度任务：下次运行、上次结果与历史"),
    "briefing": ("yuqing.pipeline.cli.briefing", "briefing_group", "舆情周报、日报与归档"),
    "report": ("yuqing.pipeline.cli.report", "report_group", "信息报送：基层报送、上级采用与退回、回应口径"),
    "users": ("yuqing.pipeline.cli.console", "users", "控制台账号：新增、列表、停用、重置密码"),
    "serve": ("yuqing.pipeline.cli.console", "serve", "启动值班控制台（网页）"),
    "kibana": ("yuqing.pipeline.cli.console", "kibana", "导出 Kibana 数据视图、检索与仪表盘"),
    "db": ("yuqing.pipeline.cli.statedb", "db_group", "状态数据库：迁移到最新结构、查看版本"),
    "config": ("yuqing.pipeline.cli.config", "config_group", "检查全部配置文件（文件、键、原因）"),
}


#: characters that never start a line, and characters that never end one
_NO_LINE_START = frozenset("，。、；：！？）」』】》”’,.;:!?)]}%")
_NO_LINE_END = frozenset("（「『【《“‘([{")


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def display_width(text: str) -> int:
    """Terminal columns of ``text``: CJK and full-width characters take two."""
    return sum(2 if _wide(ch) else 1 for ch in text)


def _chunks(text: str) -> list[str]:
    """``text`` cut where a line may break: at spaces and around CJK characters, never before
    closing or after opening punctuation."""
    chunks: list[str] = []
    for ch in text:
        prev = chunks[-1] if chunks else ""
        if ch.isspace():
            if prev.isspace():
                chunks[-1] += ch
            else:
                chunks.append(ch)
        elif prev and not prev.isspace() and (ch in _NO_LINE_START or prev[-1] in _NO_LINE_END
                                                 or not (_wide(ch) or _wide(prev[-1]))):
            chunks[-1] += ch
        else:
            chunks.append(ch)
    return chunks


def _fill(text: str, width: int, indent: str) -> list[str]:
    lines: list[str] = []
    line, used, space = "", 0, ""
    avail = max(width - display_width(indent), 10)
    for chunk in _chunks(text):
        if chunk.isspace():
            space = chunk if line else ""
            continue
        need = display_width(chunk) + len(space)
        if line and used + need > avail:
            lines.append(indent + line)
            line, used = chunk, display_width(chunk)
        else:
            line, used = line + space + chunk, used + need
        space = ""
    if line or not lines:
        lines.append(indent + line)
    return lines


def wrap_help(text: str, width: int, indent: str = "") -> str:
    """Like ``click.formatting.wrap_text(..., preserve_paragraphs=True)``, measured in columns.

    Paragraphs are separated by blank lines; a paragraph whose first line is ``\\b`` is kept as
    written. The lines of a paragraph are joined with a space, or with nothing next to CJK text.
    """
    out = []
    for paragraph in text.expandtabs().strip("\n").split("\n\n"):
        lines = [line for line in paragraph.splitlines() if line.strip()]
        if not lines:
            continue
        extra = indent + " " * (len(lines[0]) - len(lines[0].lstrip()))
        if lines[0].strip() == "\b":
            out.append("\n".join(extra + line for line in lines[1:]))
            continue
        joined = lines[0].strip()
        for line in lines[1:]:
            line = line.strip()
            joined += ("" if _wide(joined[-1]) or _wide(line[0]) else " ") + line
        out.append("\n".join(_fill(joined, width, extra)))
    return "\n\n".join(out)


class CjkHelpFormatter(click.HelpFormatter):
    """Click's help formatter with text and definition lists wrapped by :func:`wrap_help`."""

    def write_text(self, text: str) -> None:
        self.write(wrap_help(text, self.width, " " * self.current_indent) + "\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first_col = min(max((display_width(first) for first, _ in rows), default=0), col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if display_width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - display_width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap_help(second, max(self.width - first_col - 2, 10)).splitlines() or [""]
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n" if line else "\n")


class CjkContext(click.Context):
    formatter_class = CjkHelpFormatter


def _use_cjk_help(command: click.Command) -> None:
    """Give ``command`` and every subcommand below it the :class:`CjkHelpFormatter`."""
    command.context_class = CjkContext
    for sub in getattr(command, "commands", {}).values():
        _use_cjk_help(sub)


class LazyGroup(click.Group):
    """A click group whose subcommands are imported from :data:`COMMANDS` on first use."""

    context_class = CjkContext

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
        _use_cjk_help(command)
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
@click.version_option(package_name="yuqing", help="显示版本号并退出")
@click.pass_context
def main(click_ctx: click.Context, config_dir: Path | None, data_dir: Path | None) -> None:
    """yuqing 舆情监测：采集 → 入库（规范化、去重、分类、关联）→ 预警 → 周报。"""
    click_ctx.obj = {"config_dir": config_dir, "data_dir": data_dir}


if __name__ == "__main__":
    main()
