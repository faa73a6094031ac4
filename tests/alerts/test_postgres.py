"""The alert state on a real PostgreSQL server (the shared-deployment option, ``state.url``).

A throw-away cluster is created with the machine's ``initdb``/``postgres`` (as an unprivileged
system user when run as root, since PostgreSQL refuses root) on 127.0.0.1 and a free port. Where
the PostgreSQL server programs are not installed the test skips, saying so.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from yuqing.alerts import api
from yuqing.alerts.outbox import deliver_due
from yuqing.alerts.state import Finding, StateStore

NOW = datetime.fromisoformat("2026-11-20T10:00:00+08:00")


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for d in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (d / name).exists():
            return str(d / name)
    return None


@pytest.fixture(scope="module")
def pg_url():
    initdb, postgres = _pg_bin("initdb"), _pg_bin("postgres")
    if not initdb or not postgres:
        pytest.skip("PostgreSQL server programs (initdb, postgres) not installed")
    # not under pytest's tmp dir: that is private to root, and the server runs as another user
    base = Path(tempfile.mkdtemp(prefix="yuqing-pg-"))
    data = base / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = "yuqing-pg"
        if subprocess.run(["id", "-u", user], capture_output=True).returncode:
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user], check=True)
        shutil.chown(base, user)
        as_user = ["runuser", "-u", user, "--"]
    subprocess.run([*as_user, initdb, "-D", str(data), "-U", "yuqing", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([*as_user, postgres, "-D", str(data), "-h", "127.0.0.1", "-p", str(port), "-k", str(base)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import psycopg

    deadline = time.time() + 30
    while True:
        try:
            with psycopg.connect(f"host=127.0.0.1 port={port} user=yuqing dbname=postgres", autocommit=True) as conn:
                conn.execute("CREATE DATABASE yuqing_state")
            break
        except psycopg.OperationalError:
            if time.time() > deadline or proc.poll() is not None:
                proc.terminate()
                pytest.fail("PostgreSQL did not start")
            time.sleep(0.3)
    yield f"postgresql+psycopg://yuqing@127.0.0.1:{port}/yuqing_state"
    proc.terminate()
    proc.wait(timeout=30)
    shutil.rmtree(base, ignore_errors=True)


def test_incident_lifecycle_and_outbox_on_postgresql(ctx, pg_url):
    ctx.settings.state.url = pg_url
    state = StateStore(ctx)
    finding = Finding(unit_id="qy-ruifeng-garment", topic="wage_arrears", kind="trend", severity="medium",
                      score=9.0, volume=15.0, title="瑞丰制衣欠薪讨薪声量上升", topic_name="欠薪讨薪",
                      counts={"window": "6h", "posts": 15, "authors": 12, "clusters": 11, "expected": 0.4})
    [inc_id] = state.apply([finding], NOW).opened
    assert state.apply([finding], NOW + timedelta(minutes=5)).opened == []     # one open incident per key
    assert api.escalate(ctx, NOW + timedelta(minutes=61)) == 1
    inc = api.get_incident(ctx, inc_id)
    assert inc.escalated_to == "dq-jinzhan" and inc.created_at == NOW
    api.acknowledge(ctx, inc_id, "张三", at=NOW + timedelta(minutes=70))
    assert api.escalate(ctx, NOW + timedelta(hours=5)) == 0
    api.resolve(ctx, inc_id, "李四", "已补发", at=NOW + timedelta(hours=6))
    done = api.get_incident(ctx, inc_id).to_dict()
    assert done["status"] == "resolved" and [e["by"] for e in done["timeline"] if e["by"] != "系统"] == ["张三", "李四"]
    assert api.list_incidents(ctx, {"qy-ruifeng-garment"}, "resolved")[0].id == inc_id
    # outbox rows are claimed and marked on PostgreSQL too (nothing listens: all are retried)
    report = deliver_due(ctx, NOW + timedelta(hours=7))
    assert report.sent == 0 and report.failed > 0 and report.pending == report.failed
