"""Benchmark of the duty console: response times of the main pages and API calls under a
realistic load of data, served by uvicorn on 127.0.0.1 (SQLite store, the shipped org.yaml).

    .venv/bin/python bench/console.py [--posts 20000] [--incidents 300] [--requests 30]

Prints, per request kind, the median and 95th percentile in milliseconds for a community officer,
a subdistrict officer and the district admin (whose subtree is the whole district).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from yuqing.alerts.state import Finding, StateStore
from yuqing.console.accounts import add_user
from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.org import load_org
from yuqing.pipeline.core.record import Post
from yuqing.pipeline.store import open_store

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from webconsole.conftest import LiveServer, login_client  # noqa: E402 (the tests' live server)

TOPICS = ["wage_arrears", "social_security", "layoffs", "overtime", "safety", "contracts"]
PASSWORD = "Bench-Pass-2026"


def build(ctx: Context, n_posts: int, n_incidents: int, now: datetime) -> None:
    rng = random.Random(7)
    org = load_org(ctx)
    leaves = [u.id for u in org.level_units("community")] + [u.id for u in org.level_units("enterprise")]
    posts = []
    for i in range(n_posts):
        unit = rng.choice(leaves)
        sentiment = rng.choice(["negative", "negative", "neutral", "positive"])
        platform = rng.choice(["weibo", "forum", "tieba", "news", "wechat"])
        posts.append(Post.model_validate({
            "id": f"{platform}:b{i}", "platform": platform,
            "source": "bench", "url": f"https://bench.example/{i}", "content": f"{unit} 职工反映拖欠工资和加班问题 {i}",
            "author": {"id": f"a{rng.randrange(2000)}", "name": "网友"},
            "published_at": (now - timedelta(minutes=rng.randrange(30 * 24 * 60))).isoformat(),
            "topics": [rng.choice(TOPICS)], "sentiment": {"label": sentiment},
            "org_units": [unit], "org_path": org.path(unit)}))
    store = open_store(ctx)
    for k in range(0, len(posts), 2000):
        store.upsert_many(posts[k:k + 2000])
    store.refresh()
    state = StateStore(ctx)
    findings = []
    for i in range(n_incidents):
        findings.append(Finding(unit_id=rng.choice(leaves), topic=TOPICS[i % len(TOPICS)], kind="trend",
                                severity=rng.choice(["low", "medium", "high"]), score=3.0, volume=10.0,
                                title="负面声量激增", evidence=[{"id": posts[rng.randrange(n_posts)].id}]))
    state.apply(findings, now - timedelta(hours=1))
    add_user(ctx, "community", PASSWORD, "sq-fangcaodi")
    add_user(ctx, "subdistrict", PASSWORD, "jd-chaowai")
    add_user(ctx, "district", PASSWORD, "chaoyang", "admin")


def timed(client, path: str, n: int) -> tuple[float, float]:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        resp = client.get(path)
        samples.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200, (path, resp.status_code)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=20000)
    ap.add_argument("--incidents", type=int, default=300)
    ap.add_argument("--requests", type=int, default=30)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="yuqing-bench-console-"))
    try:
        shutil.copytree(ROOT / "config", tmp / "config")
        ctx = Context.load(tmp / "config", tmp / "var", environ={})
        now = datetime.now(timezone.utc)
        t = time.perf_counter()
        build(ctx, args.posts, args.incidents, now)
        print(f"data: {args.posts} posts, {args.incidents} incident findings, built in {time.perf_counter() - t:.1f}s")
        with LiveServer(ctx) as server:
            for user in ("community", "subdistrict", "district"):
                client, _ = login_client(server.url, user, PASSWORD)
                some = client.get("/api/incidents", params={"status": "all", "limit": 1}).json()["incidents"]
                paths = ["/incidents", "/incidents/rows", "/api/incidents?status=all", "/search?q=拖欠工资",
                         "/api/posts?q=加班&limit=50", "/dashboard", "/dashboard?range=30d"]
                if some:
                    paths.append(f"/incidents/{some[0]['id']}")
                print(f"\n{user}:")
                for path in paths:
                    p50, p95 = timed(client, path, args.requests)
                    print(f"  {path:36} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
        ctx.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
