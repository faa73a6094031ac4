"""Command help is Chinese and fits the terminal: every command and option explains itself in
Chinese, and ``--help`` wraps CJK text by display width (two columns a character)."""

from __future__ import annotations

import importlib
import re

import click
import pytest
from click.testing import CliRunner

from yuqing.pipeline.cli.main import COMMANDS, display_width, main, wrap_help

CJK = re.compile(r"[\u4e00-\u9fff]")


def _paths() -> list[tuple[list[str], click.Command]]:
    out = []

    def walk(path: list[str], command: click.Command) -> None:
        out.append((path, command))
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk([*path, name], sub)

    for name, (module, attr, _help) in sorted(COMMANDS.items()):
        walk([name], getattr(importlib.import_module(module), attr))
    return out


def test_every_command_and_option_has_chinese_help():
    missing = []
    for path, command in [([], main), *_paths()]:
        if not CJK.search(command.help or ""):
            missing.append(f"yuqing {' '.join(path)}: {command.help!r}")
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden and not CJK.search(param.help or ""):
                missing.append(f"yuqing {' '.join(path)} {'/'.join(param.opts)}: {param.help!r}")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("path", [[]] + [p for p, _c in _paths()], ids=lambda p: " ".join(p) or "yuqing")
def test_help_fits_80_columns(path):
    result = CliRunner().invoke(main, [*path, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    wide = [line for line in result.output.splitlines() if display_width(line) > 80]
    assert not wide, "\n".join(wide)


def test_wrap_breaks_between_cjk_characters_and_keeps_punctuation_attached():
    text = "退出码：0 成功；3 因封禁、验证码或登录墙而暂停（本次触发或仍在暂停中）；1 失败。"
    lines = wrap_help(text, 30).splitlines()
    assert len(lines) > 1 and all(display_width(line) <= 30 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert not any(line[0] in "，。；：）" for line in lines)
    # lines of a docstring paragraph join without a space next to CJK text, with one between words
    assert wrap_help("第一句。\n第二句 and\nmore", 80) == "第一句。第二句 and more"
