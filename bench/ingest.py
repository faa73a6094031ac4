"""Ingest throughput into each store: ``python bench/ingest.py [-n 100000] [--no-dedupe]``.

Generates ``n`` realistic posts (:mod:`yuqing.pipeline.synthetic`, seeded) into a JSON Lines file, then
runs the real ingest path (:class:`yuqing.pipeline.ingest.Ingestor`: validation → normalise → dedupe →
store, no classification) once into a fresh SQLite store and once into fresh Elasticsearch indices
(unique prefix, removed afterwards unless ``--keep``), and prints posts/s with the time spent in
validation, normalise, dedupe, segmentation for the search field, and the store itself.
Target: ≥ 5,000 posts/s into Elasticsearch on a 2-core machine.

``--link`` adds the linking stage (the union hierarchy as the registry holds it); ``--units N``
(implies ``--link``) first imports N generated enterprise unions into the registry
(``bench/org_registry.py``'s roster), to measure linking against the whole network at scale.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

from yuqing.pipeline.core import textindex
from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.record import read_jsonl_path
from yuqing.pipeline.dedupe import DedupeStage
from yuqing.pipeline.ingest import Ingestor
from yuqing.pipeline.normalise import NormaliseStage
from yuqing.pipeline.store import open_store
from yuqing.pipeline.synthetic import generate_posts

ROOT = Path(__file__).resolve().parent.parent

TIMES: dict[str, float] = defaultdict(float)


class Timed:
    """Wraps a stage or a store method and adds its wall time to ``TIMES[label]``."""

    def __init__(self, label, fn):
        self.label, self.fn = label, fn

    def __call__(self, *args, **kwargs):
        t = time.perf_counter()
        try:
            return self.fn(*args, **kwargs)
        finally:
            TIMES[self.label] += time.perf_counter() - t


class TimedStage:
    def __init__(self, stage):
        self.stage, self.name = stage, stage.name
        self.process = Timed(stage.name, stage.process)


def timed_records(path):
    it = read_jsonl_path(path)
    while True:
        t = time.perf_counter()
        try:
            rec = next(it)
        except StopIteration:
            TIMES["validation"] += time.perf_counter() - t
            return
        TIMES["validation"] += time.perf_counter() - t
        yield rec


def patch_segmentation():
    """Count the time of index_text inside the stores (it runs as part of upsert_many)."""
    import yuqing.pipeline.store.elastic as elastic
    import yuqing.pipeline.store.sqlite as sqlite

    timed = Timed("segmentation", textindex.index_text)
    elastic.index_text = timed
    sqlite.index_text = timed


def es_process_cpu(store) -> float | None:
    """CPU seconds the Elasticsearch node's process has used (node stats); None for SQLite."""
    if not hasattr(store, "es"):
        return None
    nodes = store.es.nodes.stats(metric="process")["nodes"]
    return sum(n["process"]["cpu"]["total_in_millis"] for n in nodes.values()) / 1000


def import_units(ctx: Context, units: int) -> int:
    """Import ``units`` generated enterprise unions (bench/org_registry.py's roster) into ctx's registry."""
    import importlib.util

    from yuqing.alerts.orgimport import apply_plan, plan_import

    spec = importlib.util.spec_from_file_location("bench_org", Path(__file__).with_name("org_registry.py"))
    bench_org = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_org)
    path = bench_org.write_file(bench_org.roster_rows(units, 11), ctx.path("roster.csv"))
    plan = plan_import(ctx, path.read_bytes(), path.name)
    apply_plan(ctx, plan, by="bench")
    return len(plan.new)


def run(label: str, ctx: Context, path: Path, n: int, dedupe: bool, link: bool = False) -> dict:
    TIMES.clear()
    store = open_store(ctx)
    if hasattr(store, "setup"):
        store.setup()
    stages = [TimedStage(NormaliseStage(ctx.settings.ingest.max_content_chars))]
    if dedupe:
        stages.append(TimedStage(DedupeStage(ctx)))
    if link:
        from yuqing.alerts.linking import LinkStage
        from yuqing.pipeline.core.org import load_org

        t = time.perf_counter()
        stage = LinkStage(ctx)
        TIMES["link_setup"] = time.perf_counter() - t
        TIMES["units"] = len(load_org(ctx))
        stages.append(TimedStage(stage))
    store.upsert_many = Timed("store", store.upsert_many)
    ingestor = Ingestor(ctx, store=store, stages=stages)
    es_cpu0 = es_process_cpu(store)
    t0, c0 = time.perf_counter(), time.process_time()
    report = ingestor.ingest_records(timed_records(path), input_name="bench")
    t_ingest, cpu = time.perf_counter() - t0, time.process_time() - c0
    t = time.perf_counter()
    store.refresh()
    t_refresh = time.perf_counter() - t
    assert store.count() == report.stored == n, (store.count(), report.as_dict())
    out = {"store": label, "posts": n, "seconds": round(t_ingest, 2), "posts_per_s": round(n / t_ingest),
           "refresh_s": round(t_refresh, 2), "duplicates": report.duplicates,
           "client_cpu_s": round(cpu, 2), "load_avg": round(os.getloadavg()[0], 1)}
    if es_cpu0 is not None:
        out["es_cpu_s"] = round(es_process_cpu(store) - es_cpu0, 2)
        # what two idle cores could sustain: the client and the node each need their CPU time,
        # and overlap (pipelined store, concurrent bulks) at best hides the smaller behind the larger
        need = max(cpu, out["es_cpu_s"], (cpu + out["es_cpu_s"]) / 2)
        out["cpu_bound_posts_per_s"] = round(n / need)
    if hasattr(store, "es"):
        stats = store.es.indices.stats(index=store.alias, metric="indexing,search,merge,refresh")["_all"]["primaries"]
        out["es_index_time_s"] = round(stats["indexing"]["index_time_in_millis"] / 1000, 2)
        out["es_lookup_time_s"] = round(stats["search"]["query_time_in_millis"] / 1000, 2)
        out["es_merge_time_s"] = round(stats["merges"]["total_time_in_millis"] / 1000, 2)
        out["es_refresh_time_s"] = round(stats["refresh"]["total_time_in_millis"] / 1000, 2)
    seg = TIMES.get("segmentation", 0.0)
    # validation/normalise/dedupe run in the main thread; the store (with the segmentation of
    # the search field) in the writer thread, overlapping them — so these do not add up to the wall
    breakdown = {"validation": TIMES["validation"], "normalise": TIMES["normalise"],
                 "dedupe": TIMES.get("dedupe", 0.0), "link": TIMES.get("link", 0.0), "segmentation": seg,
                 "store": TIMES["store"] - seg}
    if link:
        out["units"], out["link_setup_s"] = int(TIMES["units"]), round(TIMES["link_setup"], 2)
    out["breakdown_s"] = {k: round(v, 2) for k, v in breakdown.items()}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--no-dedupe", action="store_true")
    ap.add_argument("--stores", default="sqlite,elasticsearch")
    ap.add_argument("--es-url", default=os.environ.get("YUQING_ES_URL", "http://127.0.0.1:9200"))
    ap.add_argument("--chunk", type=int, default=None, help="bulk chunk size (default from settings)")
    ap.add_argument("--refresh-interval", default=None, help="index refresh interval (default from settings)")
    ap.add_argument("--link", action="store_true", help="add the linking stage")
    ap.add_argument("--units", type=int, default=0, help="import this many generated enterprise unions first (implies --link)")
    ap.add_argument("--keep", action="store_true", help="keep the data dir and the ES indices")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="yuqing-bench-"))
    path = work / "posts.jsonl"
    t = time.perf_counter()
    with open(path, "w", encoding="utf-8") as fh:
        for rec in generate_posts(args.n, seed=args.seed, days=60):
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    if not args.json:
        print(f"generated {args.n} posts in {time.perf_counter() - t:.1f}s → {path}")
    patch_segmentation()
    textindex.index_text("预热 warm up", "加载分词词典")  # load the dictionary outside the timings
    results = []
    prefix = f"yqbench-{uuid.uuid4().hex[:8]}"
    try:
        for name in args.stores.split(","):
            env = {"YUQING_ES_URL": args.es_url, "YUQING_ES_INDEX_PREFIX": prefix} if name == "elasticsearch" else {}
            ctx = Context.load(ROOT / "config", work / f"var-{name}", environ=env)
            if args.refresh_interval:
                ctx.settings.store.elasticsearch.refresh_interval = args.refresh_interval
            if args.chunk:
                ctx.settings.store.elasticsearch.bulk_chunk_size = args.chunk
            try:
                if args.units:
                    import_units(ctx, args.units)
                res = run(name, ctx, path, args.n, not args.no_dedupe, link=args.link or bool(args.units))
            finally:
                if name == "elasticsearch" and not args.keep:
                    es = open_store(ctx).es
                    es.indices.delete(index=f"{prefix}-posts-*", ignore_unavailable=True, allow_no_indices=True)
                    es.indices.delete_index_template(name=f"{prefix}-posts")
                ctx.close()
            results.append(res)
            if not args.json:
                b = res["breakdown_s"]
                print(f"{name:14s} {res['posts_per_s']:>7,d} posts/s  ({res['posts']} posts in {res['seconds']}s; "
                      f"near-duplicates {res['duplicates']}; final refresh {res['refresh_s']}s; "
                      f"client CPU {res['client_cpu_s']}s; load average {res['load_avg']})")
                print(f"               main thread: validation {b['validation']}s  normalise {b['normalise']}s  "
                      f"dedupe {b['dedupe']}s  link {b['link']}s | writer thread (overlapping): segmentation "
                      f"{b['segmentation']}s  store {b['store']}s")
                if "units" in res:
                    print(f"               linking against {res['units']} units (stage built in {res['link_setup_s']}s)")
                if "es_cpu_s" in res:
                    print(f"               Elasticsearch node: CPU {res['es_cpu_s']}s (whole node); on our indices: "
                          f"indexing {res['es_index_time_s']}s, id lookups {res['es_lookup_time_s']}s, "
                          f"merges {res['es_merge_time_s']}s, refreshes {res['es_refresh_time_s']}s")
                    print(f"               CPU-bound capacity on 2 idle cores ≈ {res['cpu_bound_posts_per_s']:,d} posts/s "
                          "(client and node CPU time, overlapped)")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
