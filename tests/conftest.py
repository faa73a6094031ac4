"""Shared test fixtures.

* ``ctx`` — a :class:`Context` over a temporary data dir and a temporary copy of ``config/``.
* ``es_url`` — the real Elasticsearch node (``scripts/elasticsearch.sh start``; ``make test`` starts
  it). Absent node: tests fail in CI (``CI`` set) and skip with the reason on a developer machine.
* ``es_ctx`` — a context on Elasticsearch with an index prefix unique to the test.
* ``shared_dir`` — ``../shared/fixtures/real``; skips with the reason where it is absent.
* ``pg_server`` — a throw-away PostgreSQL cluster on 127.0.0.1 (one per session), started with the
  machine's ``initdb``/``postgres`` (as an unprivileged system user when run as root, since
  PostgreSQL refuses root); skips, saying so, where the server programs are not installed.
* ``pg_url`` — a fresh, empty database on that cluster for one test.
* ``fast_clock`` — ``fast_clock(start, speed)``: a scheduler clock running ``speed`` times faster from
  ``start``, which APScheduler reads until the test ends (:mod:`tests.scheduler.fastclock`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.scheduler.fastclock import FastClock, use_for_apscheduler
from yuqing.pipeline.core.context import Context

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "fixtures" / "real"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    dst = tmp_path / "config"
    shutil.copytree(ROOT / "config", dst)
    return dst


@pytest.fixture
def ctx(tmp_path: Path, config_dir: Path) -> Context:
    context = Context.load(config_dir, tmp_path / "var", environ={})
    yield context
    context.close()


@pytest.fixture(scope="session")
def es_url() -> str:
    url = os.environ.get("YUQING_TEST_ES_URL", "http://127.0.0.1:9200")
    try:
        httpx.get(f"{url}/_cluster/health", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        reason = f"Elasticsearch not answering at {url} ({exc}); start it with scripts/elasticsearch.sh start"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return url


@pytest.fixture
def es_prefix(es_url: str) -> str:
    prefix = f"yqtest-{uuid.uuid4().hex[:10]}"
    yield prefix
    httpx.delete(f"{es_url}/{prefix}-*", params={"expand_wildcards": "all"}, timeout=30)
    httpx.delete(f"{es_url}/_index_template/{prefix}-*", timeout=30)


@pytest.fixture
def es_ctx(tmp_path: Path, config_dir: Path, es_url: str, es_prefix: str) -> Context:
    context = Context.load(config_dir, tmp_path / "var-es",
                           environ={"YUQING_ES_URL": es_url, "YUQING_ES_INDEX_PREFIX": es_prefix})
    yield context
    context.close()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"real fixtures not found at {SHARED} (they live beside the project in CI)")
    return SHARED


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for d in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (d / name).exists():
            return str(d / name)
    return None


@dataclass
class PgServer:
    port: int

    def dsn(self, dbname: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=yuqing dbname={dbname}"

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://yuqing@127.0.0.1:{self.port}/{dbname}"

    def create_database(self) -> str:
        """A new empty database; its SQLAlchemy URL."""
        name = f"yuqing_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


@pytest.fixture(scope="session")
def pg_server():
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
    server = PgServer(port)
    deadline = time.time() + 30
    while True:
        try:
            with psycopg.connect(server.dsn("postgres"), autocommit=True):
                break
        except psycopg.OperationalError:
            if time.time() > deadline or proc.poll() is not None:
                proc.terminate()
                pytest.fail("PostgreSQL did not start")
            time.sleep(0.3)
    yield server
    proc.terminate()
    proc.wait(timeout=30)
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    return pg_server.create_database()


@pytest.fixture
def fast_clock(monkeypatch: pytest.MonkeyPatch):
    """Makes fast clocks; the latest one made is the time APScheduler reads."""

    def make(start, speed: float = 60.0) -> FastClock:
        clock = FastClock(start, speed)
        use_for_apscheduler(monkeypatch, clock)
        return clock

    return make
