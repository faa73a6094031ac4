"""Fixtures for the console tests: a populated context, a live console on 127.0.0.1, Chromium.

``console_world`` builds, on a temporary data dir with the shipped ``config/org.yaml``:

* accounts — ``fangcaodi`` (duty officer of 芳草地社区), ``jixiangli`` (duty officer of the sibling
  community 吉祥里社区), ``chaowai`` (duty officer of their subdistrict 朝外街道), ``analyst`` (analyst of
  朝外街道), ``admin`` (admin of the district);
* posts — negative wage-arrears posts in each community over the last two days, plus others;
* incidents — one open incident per community, opened through the alerts state machine exactly
  as detection opens them (``yuqing.alerts.state.StateStore.apply``).

``console_server`` serves :func:`yuqing.console.app.create_app` with uvicorn on a free port in a thread.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.record import Post
from yuqing.pipeline.store import open_store

PASSWORD = "Duty-Pass-2026"
COMMUNITY, SIBLING, SUBDISTRICT = "sq-fangcaodi", "sq-jixiangli", "jd-chaowai"
USERS = {  # username: (unit, role, display name)
    "fangcaodi": (COMMUNITY, "duty", "史勇"),
    "jixiangli": (SIBLING, "duty", "曾艳"),
    "chaowai": (SUBDISTRICT, "duty", "高伟"),
    "analyst": (SUBDISTRICT, "analyst", "王分析"),
    "admin": ("chaoyang", "admin", "系统管理员"),
}
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ROOT / "test-output" / "screenshots"


@dataclass
class World:
    ctx: Context
    now: datetime
    incidents: dict[str, int] = field(default_factory=dict)  # unit id → incident id
    posts: dict[str, list[str]] = field(default_factory=dict)  # unit id → post ids


def _post(n: int, unit: str, path: list[str], at: datetime, text: str, sentiment: str, topic: str) -> Post:
    return Post.model_validate({
        "id": f"weibo:{unit}-{n}", "platform": "weibo", "source": "weibo-search", "url": f"https://weibo.example/{unit}/{n}",
        "title": "", "content": text, "author": {"id": f"u{n % 7}", "name": f"网友{n % 7}"},
        "published_at": at.isoformat(), "metrics": {"reposts": n % 5, "comments": n % 3, "likes": n},
        "topics": [topic], "sentiment": {"label": sentiment, "scores": {sentiment: 0.9}},
        "org_units": [unit], "org_path": path, "link_confidence": 0.9,
    })


def populate(ctx: Context, now: datetime) -> World:
    from yuqing.alerts.state import Finding, StateStore
    from yuqing.console.accounts import add_user
    from yuqing.pipeline.core.org import load_org

    world = World(ctx, now)
    org = load_org(ctx)
    for username, (unit, role, name) in USERS.items():
        add_user(ctx, username, PASSWORD, unit, role, name)
    posts = []
    texts = {COMMUNITY: "芳草地附近工地拖欠工资三个月，工友们去讨薪没人管", SIBLING: "吉祥里的餐馆欠薪跑路了，员工维权无门"}
    for unit, text in texts.items():
        path = org.path(unit)
        ids = []
        for n in range(24):
            at = now - timedelta(hours=40) + timedelta(hours=n * 1.6)
            p = _post(n, unit, path, at, f"{text}（{n}）", "negative" if n % 3 else "neutral", "wage_arrears")
            posts.append(p)
            ids.append(p.id)
        world.posts[unit] = ids
        for n in range(24, 30):
            posts.append(_post(n, unit, path, now - timedelta(hours=n), f"{unit} 工会组织职工篮球赛，大家很开心（{n}）",
                               "positive", "culture_sports"))
    store = open_store(ctx)
    store.upsert_many(posts)
    store.refresh()
    state = StateStore(ctx)
    for unit in texts:
        ids = world.posts[unit]
        finding = Finding(unit_id=unit, topic="wage_arrears", kind="trend", severity="low", score=5.0,
                          volume=18.0, title=f"{org.get(unit).name}欠薪话题负面声量激增",
                          counts={"posts": 24, "authors": 7, "clusters": 20, "engagement": 300, "expected": 2.0},
                          evidence=[{"id": i, "url": f"https://weibo.example/{unit}/{i}", "text": texts[unit]}
                                    for i in ids[-3:]],
                          topic_name="拖欠工资")
        result = state.apply([finding], now - timedelta(minutes=5))
        world.incidents[unit] = result.opened[0]
    return world


@pytest.fixture(scope="session")
def world_template(tmp_path_factory) -> World:
    """The world built once (password hashing is deliberately slow); tests get copies."""
    base = tmp_path_factory.mktemp("console-world")
    shutil.copytree(ROOT / "config", base / "config")
    ctx = Context.load(base / "config", base / "var", environ={})
    world = populate(ctx, datetime.now(timezone.utc))
    ctx.close()
    return world


@pytest.fixture
def console_world(world_template: World, tmp_path: Path) -> World:
    """A private copy of the populated data dir (state DB, post store, secret) for one test; the
    config dir is shared read-only (so the parsed org.yaml is cached across tests)."""
    shutil.copytree(world_template.ctx.data_dir, tmp_path / "var")
    ctx = Context.load(world_template.ctx.config_dir, tmp_path / "var", environ={})
    yield World(ctx, world_template.now, dict(world_template.incidents), dict(world_template.posts))
    ctx.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, ctx: Context):
        import uvicorn

        from yuqing.console.app import create_app

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(ctx), host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("console did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def console_server(console_world: World):
    with LiveServer(console_world.ctx) as server:
        yield server


def login_client(base_url: str, username: str, password: str = PASSWORD) -> tuple[httpx.Client, str]:
    """An HTTP client signed in through the API; returns it and the session's CSRF token."""
    client = httpx.Client(base_url=base_url, timeout=20)
    resp = client.post("/api/session", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    return client, resp.json()["csrf_token"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run scripts/setup-system.sh (make test does)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 390, "height": 844},
                                  device_scale_factor=2, is_mobile=True, has_touch=True, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page, base_url: str, username: str, password: str = PASSWORD, path: str = "/incidents") -> None:
    page.goto(base_url + path)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def make_briefing(ctx, unit: str):
    """A briefing of ``unit`` in the archive, built by the briefing area when it is installed."""
    try:
        from yuqing.pipeline.briefing import build_weekly
    except ImportError:  # same archive layout, written by hand
        import json

        out = ctx.path("briefings", f"2026-W47-{unit}")
        out.mkdir(parents=True, exist_ok=True)
        (out / f"briefing-2026-W47-{unit}.html").write_text("<h1>舆情周报</h1>", encoding="utf-8")
        (out / "meta.json").write_text(json.dumps({"period": "2026-W47", "label": "2026年第47周", "unit": unit,
                                                   "generated_at": "2026-11-23T08:00:00+08:00",
                                                   "files": {"html": f"briefing-2026-W47-{unit}.html"}}))
        return out / f"briefing-2026-W47-{unit}.html"
    result = build_weekly(ctx, "latest", unit)
    return result.paths["docx"]
