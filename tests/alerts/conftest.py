"""Fixtures for the alert tests: real receivers on 127.0.0.1 and a simulated world.

* ``receivers`` — one ``http.server`` in a thread standing in for the WeCom and DingTalk robots and
  generic webhooks; it records every request and can be told to fail the first N requests of a
  path. ``org.yaml`` in the test's config dir is rewritten to point at it.
* ``smtp`` — a real SMTP server (aiosmtpd ``Controller``) on 127.0.0.1 collecting messages;
  the test's settings point ``notify.smtp`` at it.
* ``world`` — a context on either store (parametrised: SQLite and the real Elasticsearch node)
  with a quiet simulated background of three weeks, plus helpers to add posts and evaluate.
* ``octx`` — a context with a private copy of an org registry bootstrapped once per module from
  the shipped config (org.yaml and the official divisions).
"""

from __future__ import annotations

import json
import shutil
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from yuqing.alerts import api
from yuqing.alerts.linking import LinkStage
from yuqing.alerts.simulate import Simulator
from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.org import load_org
from yuqing.pipeline.dedupe import DedupeStage
from yuqing.pipeline.ingest import Ingestor
from yuqing.pipeline.normalise import NormaliseStage

ROOT = Path(__file__).resolve().parents[2]
ORG_PORTS = ("127.0.0.1:18081", "127.0.0.1:18082", "127.0.0.1:18083")


@dataclass
class Received:
    path: str
    query: dict
    headers: dict
    body: dict


@dataclass
class Receivers:
    port: int
    requests: list[Received] = field(default_factory=list)
    fail_first: dict[str, int] = field(default_factory=dict)   # path prefix → failures left
    fail_status: int = 503
    lock: threading.Lock = field(default_factory=threading.Lock)

    def by_path(self, prefix: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith(prefix)]


def _handler(state: Receivers):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            parts = urlsplit(self.path)
            with state.lock:
                for prefix, left in state.fail_first.items():
                    if parts.path.startswith(prefix) and left > 0:
                        state.fail_first[prefix] = left - 1
                        self.send_response(state.fail_status)
                        self.end_headers()
                        self.wfile.write(b"busy")
                        return
                state.requests.append(Received(parts.path, parse_qs(parts.query), dict(self.headers),
                                               json.loads(raw or b"{}")))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"errcode": 0, "errmsg": "ok"}')

    return Handler


@pytest.fixture
def receivers(config_dir: Path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    state = Receivers(server.server_address[1])
    server.RequestHandlerClass = _handler(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    org_file = config_dir / "org.yaml"
    text = org_file.read_text(encoding="utf-8")
    for hostport in ORG_PORTS:
        text = text.replace(hostport, f"127.0.0.1:{state.port}")
    org_file.write_text(text, encoding="utf-8")
    yield state
    server.shutdown()
    server.server_close()


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler protocol
        msg = message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"


@pytest.fixture
def smtp():
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as sock:  # a free port (the Controller needs a number to check readiness)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    box = Mailbox("127.0.0.1", port)
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def notify_ctx(ctx: Context, receivers: Receivers, smtp: Mailbox) -> Context:
    """A SQLite context whose roster addresses and SMTP server are the test's real receivers."""
    ctx.settings.notify.smtp.host, ctx.settings.notify.smtp.port = smtp.host, smtp.port
    ctx.settings.notify.console_url = "http://127.0.0.1:8000"
    return ctx


#: Friday 2026-11-20 14:00 in Beijing — the scenarios' "now"
T0 = datetime.fromisoformat("2026-11-20T14:00:00+08:00")


class World:
    """A context on one store with a quiet background and helpers for scenarios."""

    def __init__(self, ctx: Context, background_weeks: int = 2, per_hour: float = 4.0):
        self.ctx = ctx
        self.org = load_org(ctx)
        self.sim = Simulator(self.org, ctx.tz, seed=11)
        self.ingestor = Ingestor(ctx, stages=[NormaliseStage(), DedupeStage(ctx), LinkStage(ctx)])
        self.t0 = T0
        self.add(list(self.sim.background(T0 - timedelta(weeks=background_weeks), T0, per_hour=per_hour)))

    def add(self, posts) -> None:
        report = self.ingestor.ingest_posts(list(posts))
        assert report.failed == 0 and report.spooled == 0, report.errors

    def evaluate(self, at: datetime):
        return api.evaluate(self.ctx, at)

    def active(self):
        return api.list_incidents(self.ctx, None, "active")

    def notified_units(self, incident) -> list[str]:
        return [e.data["unit"] for e in incident.events if e.kind == "notified"]


@pytest.fixture(params=["sqlite", "es"])
def world_ctx(request) -> Context:
    if request.param == "sqlite":
        return request.getfixturevalue("ctx")
    return request.getfixturevalue("es_ctx")


@pytest.fixture
def world(world_ctx: Context) -> World:
    return World(world_ctx)


@pytest.fixture
def make_world():
    """Factory: ``make_world(ctx, background_weeks=…)`` for tests that need a custom world."""
    return World


@pytest.fixture
def t0() -> datetime:
    return T0


@pytest.fixture(scope="module")
def bootstrapped(tmp_path_factory) -> Path:
    """A data dir whose registry was bootstrapped once from the shipped config."""
    base = tmp_path_factory.mktemp("org-registry")
    shutil.copytree(ROOT / "config", base / "config")
    ctx = Context.load(base / "config", base / "var", environ={})
    load_org(ctx)
    ctx.close()
    return base


@pytest.fixture
def octx(bootstrapped: Path, tmp_path: Path) -> Context:
    """A private copy of the bootstrapped registry (and of the config dir)."""
    shutil.copytree(bootstrapped / "config", tmp_path / "config")
    shutil.copytree(bootstrapped / "var", tmp_path / "var")
    ctx = Context.load(tmp_path / "config", tmp_path / "var", environ={})
    yield ctx
    ctx.close()
