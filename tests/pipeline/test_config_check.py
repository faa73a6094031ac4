"""Every configuration file is validated by its one reader, and the long-running services check
them all before they start: a broken file stops them with the file, the key and the reason."""

from __future__ import annotations

import subprocess
import sys

import pytest

from yuqing.console.app import create_app
from yuqing.pipeline.checks import check_config
from yuqing.pipeline.core.config import ConfigError


def _break(config_dir, name: str, old: str, new: str) -> None:
    path = config_dir / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _yuqing(ctx, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "yuqing", "--config-dir", str(ctx.config_dir),
                           "--data-dir", str(ctx.data_dir), *argv], capture_output=True, text=True, timeout=120)


def test_all_shipped_files_pass(ctx):
    checks = check_config(ctx)
    assert [c.file for c in checks][:5] == ["settings.yaml", "org.yaml", "taxonomy.yaml", "alerts.yaml", "sources.yaml"]
    assert all(c.ok for c in checks), [str(c.error) for c in checks if not c.ok]


def test_a_broken_taxonomy_stops_the_console_at_start(ctx):
    _break(ctx.config_dir, "taxonomy.yaml", "- id: wage_arrears", "- id: wage_arrear")
    with pytest.raises(ConfigError) as err:
        create_app(ctx)
    assert "taxonomy.yaml" in str(err.value) and "wage_arrear" in str(err.value)


def test_config_check_names_every_broken_file_and_exits_1(ctx):
    _break(ctx.config_dir, "taxonomy.yaml", "- id: wage_arrears", "- id: wage_arrear")
    (ctx.config_dir / "alerts.yaml").write_text("windows: [1, 2\n", encoding="utf-8")
    proc = _yuqing(ctx, "config", "check")
    assert proc.returncode == 1
    assert "taxonomy.yaml" in proc.stdout and "wage_arrear" in proc.stdout
    assert "alerts.yaml" in proc.stdout and "line" in proc.stdout  # the YAML error says where
    assert "org.yaml" in proc.stdout and "正确" in proc.stdout        # the good files are said good


def test_yuqing_run_refuses_to_start_on_a_broken_hierarchy(ctx):
    org = ctx.config_dir / "org.yaml"
    text = org.read_text(encoding="utf-8")
    # the first unit under the district now names a parent that does not exist
    first = text.index("parent: chaoyang")
    org.write_text(text[:first] + "parent: NOSUCH-UNIT" + text[first + len("parent: chaoyang"):], encoding="utf-8")
    proc = _yuqing(ctx, "run")
    assert proc.returncode == 1
    assert "org.yaml" in proc.stderr and "NOSUCH-UNIT" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (ctx.data_dir / "scheduler.pid").exists()
