"""``yuqing serve`` as a real process: it starts, answers, and refuses a bad config with a clear error."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from .conftest import free_port


def test_yuqing_serve_starts_and_answers(ctx):
    port = free_port()
    env = {**os.environ, "YUQING_CONFIG_DIR": str(ctx.config_dir), "YUQING_DATA_DIR": str(ctx.data_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "yuqing", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                resp = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "console did not start"
                time.sleep(0.3)
        assert resp.status_code == 200 and "舆情值班台" in resp.text
        assert httpx.get(f"http://127.0.0.1:{port}/incidents", timeout=5).status_code == 303
    finally:
        proc.terminate()
        proc.wait(10)


def test_yuqing_serve_reports_a_broken_org_file(ctx):
    from click.testing import CliRunner

    from yuqing.pipeline.cli.main import main

    (ctx.config_dir / "org.yaml").write_text("units: [", encoding="utf-8")
    result = CliRunner().invoke(main, ["--config-dir", str(ctx.config_dir), "--data-dir", str(ctx.data_dir),
                                       "serve", "--port", str(free_port())])
    assert result.exit_code != 0
    assert "org.yaml" in result.output and not isinstance(result.exception, AttributeError)
    assert result.exception is None or isinstance(result.exception, SystemExit)
