"""Benchmark: building one weekly briefing (舆情周报) over a busy week.

    .venv/bin/python bench/briefing.py                          # SQLite, 40,000 posts over two weeks
    .venv/bin/python bench/briefing.py --store es --posts 100000

Two weeks of simulated, enriched posts (``yuqing.alerts.simulate.Simulator``: daily rhythm, 60 % linked to
a unit of ``config/org.yaml``, a burst at one enterprise) are loaded into a fresh SQLite file or
the Elasticsearch index prefix ``yqbench-briefing``; then the briefing of the second week is built
three times. Printed: load time, and per build the seconds spent on the store's queries and events
(:func:`yuqing.pipeline.briefing.data.collect`) and on charts + .docx/.html/.md, plus peak memory.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from yuqing.alerts.simulate import Simulator
from yuqing.pipeline.briefing import build as build_mod
from yuqing.pipeline.briefing.period import parse_week
from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.org import load_org
from yuqing.pipeline.store import open_store

ROOT = Path(__file__).resolve().parent.parent

WEEK = "2026-W47"


def load(ctx: Context, n_posts: int) -> float:
    org = load_org(ctx)
    sim = Simulator(org, ctx.tz, seed=2026)
    period = parse_week(WEEK, ctx.tz)
    start = period.start - timedelta(days=7)
    hours = 14 * 24
    t0 = time.perf_counter()
    store = open_store(ctx)
    buf = []
    for post in sim.background(start, period.end, per_hour=n_posts / hours, enrich=True):
        buf.append(post)
        if len(buf) >= 2000:
            store.upsert_many(buf)
            buf = []
    enterprise = next(u.id for u in org.units.values() if u.level == "enterprise")
    buf += sim.burst(enterprise, "wage_arrears", period.start + timedelta(days=3, hours=8), 300, enrich=True)
    store.upsert_many(buf)
    store.refresh()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", choices=["sqlite", "es"], default="sqlite")
    ap.add_argument("--posts", type=int, default=40_000)
    ap.add_argument("--es-url", default="http://127.0.0.1:9200")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="yqbench-briefing-"))
    try:
        shutil.copytree(ROOT / "config", tmp / "config")
        env = {}
        if args.store == "es":
            env = {"YUQING_ES_URL": args.es_url, "YUQING_ES_INDEX_PREFIX": "yqbench-briefing"}
        ctx = Context.load(tmp / "config", tmp / "var", environ=env)
        if args.store == "es":
            import httpx

            httpx.delete(f"{args.es_url}/yqbench-briefing-*", params={"expand_wildcards": "all"}, timeout=60)
        seconds = load(ctx, args.posts)
        total = open_store(ctx).count()
        print(f"store={args.store} posts={total} load_seconds={seconds:.1f}")
        period = parse_week(WEEK, ctx.tz)
        collect_times, render_times = [], []
        original = build_mod.collect

        def timed_collect(*a, **kw):
            t = time.perf_counter()
            out = original(*a, **kw)
            collect_times.append(time.perf_counter() - t)
            return out

        build_mod.collect = timed_collect
        for i in range(args.runs):
            t = time.perf_counter()
            result = build_mod.build(ctx, period, None, tmp / f"out{i}", now=datetime.now(ctx.tz))
            render_times.append(time.perf_counter() - t - collect_times[-1])
            print(f"run {i + 1}: week_posts={result.data['overview']['posts']} events={len(result.data['events'])} "
                  f"queries+events={collect_times[-1]:.2f}s charts+documents={render_times[-1]:.2f}s")
        print(f"median: queries+events={statistics.median(collect_times):.2f}s "
              f"charts+documents={statistics.median(render_times):.2f}s "
              f"peak_rss_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
        ctx.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if args.store == "es":
            import httpx

            httpx.delete(f"{args.es_url}/yqbench-briefing-*", params={"expand_wildcards": "all"}, timeout=60)
            httpx.delete(f"{args.es_url}/_index_template/yqbench-briefing-*", timeout=60)


if __name__ == "__main__":
    main()
