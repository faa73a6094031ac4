"""Fixtures for the crawler tests: a replay HTTP server on 127.0.0.1 and a ``yuqing crawl`` runner.

``replay`` serves registered routes (path + query, compared percent-decoded) with a fixed
``Date`` header — the spiders resolve relative times ("5分钟前", "昨天 21:10") against it, so
records are exact. Unknown paths get a 404 and every request is logged in ``replay.log``.
A route may be a list of responses served in turn (the last repeats) — a page that changes
between two runs.

``crawl(name, *args)`` runs ``python -m yuqing crawl`` in a child process — a Twisted reactor
cannot restart inside the test process — against the test's config and data dirs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

from yuqing.pipeline.core.record import Post

PAGES = Path(__file__).resolve().parent / "pages"
SERVER_DATE = "Thu, 26 Nov 2026 04:00:00 GMT"   # 12:00 in Beijing


@dataclass
class Reply:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class ReplayServer:
    def __init__(self, date: str = SERVER_DATE):
        self.date = date
        self.routes: dict[str, list[Reply] | Callable[[BaseHTTPRequestHandler], Reply]] = {}
        self.served: dict[str, int] = {}
        self.log: list[str] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def date_time_string(self, timestamp=None):  # noqa: N802 - fixed server time
                return server.date

            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                key = unquote(self.path)
                with server._lock:
                    server.log.append(key)
                    replies = server.routes.get(key)
                    if callable(replies):
                        reply = replies(self)
                    elif replies:
                        n = server.served.get(key, 0)
                        server.served[key] = n + 1
                        reply = replies[min(n, len(replies) - 1)]
                    else:
                        reply = Reply(b"not found", 404, "text/plain")
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(reply.body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def add(self, path: str, *replies: Reply | bytes | str | Path, **kw) -> None:
        """Register ``path`` (with query) → one or more replies (bytes/str/file path or Reply)."""
        out = []
        for r in replies:
            if isinstance(r, Path):
                r = r.read_bytes()
            if isinstance(r, str):
                r = r.encode("utf-8")
            out.append(r if isinstance(r, Reply) else Reply(r, **kw))
        self.routes[unquote(path)] = out

    def add_fn(self, path: str, fn: Callable[[BaseHTTPRequestHandler], Reply]) -> None:
        """Register ``path`` → ``fn(handler)`` deciding the reply (e.g. by the Cookie header)."""
        self.routes[unquote(path)] = fn

    def requested(self, prefix: str) -> list[str]:
        return [p for p in self.log if p.startswith(unquote(prefix))]

    def start(self) -> ReplayServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def replay():
    server = ReplayServer().start()
    yield server
    server.stop()


FAST = {"download_delay": 0, "autothrottle": False, "retries": 1, "backoff_seconds": 0, "timeout_seconds": 10}


def write_sources(config_dir: Path, *sources: dict) -> None:
    """Replace the test config's sources.yaml (politeness defaults to fast, no throttling)."""
    full = []
    for s in sources:
        s = dict(s)
        s.setdefault("schedule", {"minutes": 30})
        s.setdefault("politeness", FAST)
        full.append(s)
    (config_dir / "sources.yaml").write_text(yaml.safe_dump({"sources": full}, allow_unicode=True), encoding="utf-8")


@dataclass
class CrawlResult:
    code: int
    summary: dict
    stdout: str
    stderr: str


@pytest.fixture
def crawl(ctx):
    """Run ``crawl NAME ARGS… --json`` in a child process over ``ctx``'s dirs."""

    def run(name: str, *args: str, env: dict | None = None, data_dir: Path | None = None,
            entry: str = "yuqing") -> CrawlResult:
        import os

        cmd = [sys.executable, "-m", entry, "--config-dir", str(ctx.config_dir),
               "--data-dir", str(data_dir or ctx.data_dir), "crawl", name, "--json", *args]
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
        full_env.update(env or {})
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=full_env)
        try:
            summary = json.loads(proc.stdout) if proc.stdout.strip() else {}
        except ValueError:
            summary = {"raw": proc.stdout}
        return CrawlResult(proc.returncode, summary, proc.stdout, proc.stderr)

    return run


def read_posts(path: Path) -> list[Post]:
    return [Post.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
