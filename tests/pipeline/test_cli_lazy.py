"""The command line loads only what a command needs: ``yuqing --help`` imports no command module
and none of the heavy libraries; ``yuqing COMMAND --help`` imports that command's module only."""

from __future__ import annotations

import importlib
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from yuqing.pipeline.cli.main import COMMANDS, main

HEAVY = ("pydantic", "sqlalchemy", "elasticsearch", "sklearn", "scrapy", "numpy", "fastapi", "rich",
         "apscheduler", "jieba", "rjieba", "matplotlib", "pandas")


def imported_after(*argv: str) -> set[str]:
    """Top-level and yuqing modules imported by ``python -m yuqing ARGV`` (in a fresh process)."""
    code = ("import sys, runpy\nsys.argv = ['yuqing', *sys.argv[1:]]\n"
            "try:\n    runpy.run_module('yuqing', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return set(proc.stderr.split())


def test_top_level_help_imports_no_command_module_and_no_heavy_library():
    mods = imported_after("--help")
    ours = {m for m in mods if m.startswith("yuqing.")}
    assert ours <= {"yuqing.__main__", "yuqing.pipeline", "yuqing.pipeline.cli", "yuqing.pipeline.cli.main"}, ours
    assert not {m.split(".")[0] for m in mods} & set(HEAVY)


def test_help_lists_every_command_with_its_chinese_summary():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name, (_module, _attr, summary) in COMMANDS.items():
        assert name in result.output and summary in result.output


@pytest.mark.parametrize("name", ["crawl", "org", "stats"])
def test_a_command_loads_its_own_module_only(name):
    own = COMMANDS[name][0]
    others = {module for module, _attr, _help in COMMANDS.values()} - {own}
    mods = imported_after(name, "--help")
    assert own in mods
    assert not mods & others, mods & others
    assert "yuqing.console.app" not in mods and "yuqing.pipeline.briefing.build" not in mods
    # a command's help needs its options, not its implementation
    assert not {m.split(".")[0] for m in mods} & {"sklearn", "scipy", "scrapy", "elasticsearch", "fastapi",
                                                   "matplotlib", "pandas", "apscheduler"}


def test_the_table_and_the_command_modules_agree():
    """Every entry resolves to a click command of that name; no command module defines a
    top-level command the table lacks (it would be unreachable)."""
    modules = {module for module, _attr, _help in COMMANDS.values()}
    listed = {(module, attr) for module, attr, _help in COMMANDS.values()}
    for name, (module, attr, _help) in COMMANDS.items():
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command) and command.name == name, (name, command)
    for module in modules:
        mod = importlib.import_module(module)
        for attr, value in vars(mod).items():
            if isinstance(value, click.Command) and not _is_subcommand(mod, value):
                assert (module, attr) in listed, f"{module}.{attr} ({value.name}) is not in COMMANDS"


def _is_subcommand(mod, command: click.Command) -> bool:
    groups = [v for v in vars(mod).values() if isinstance(v, click.Group)]
    return any(command is sub for g in groups for sub in g.commands.values())


def test_unknown_command_is_refused_in_plain_words():
    result = CliRunner().invoke(main, ["nosuch"])
    assert result.exit_code == 2 and "nosuch" in result.output
