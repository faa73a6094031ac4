"""Linking precision and recall per level on labelled posts: ``python bench/linking.py [--verbose]``.

The labelled sets are ours, written by hand (``bench/data/linking-dev.jsonl``, which linking was
tuned on, and ``bench/data/linking-heldout.jsonl``, written before looking at the linker's answers
and not tuned on; ``bench/data/linking-blind.jsonl``, written last with places deliberately
left out of the gazetteer — malls, hospitals, universities, roads —, measured once and never tuned
on, so its numbers say how linking does on places it was not given): each line a post (``text``, optional ``location``) and the units it concerns
(``expect``: the most specific ones, by statistical code, unit id, or ``@registered name`` of an
enterprise from ``bench/data/linking-roster.csv``; ``[]`` when it names no place in Chaoyang, such
as 河北高碑店 or a bungalow called 平房). The roster is imported into a fresh registry first.

Per level (district, 街乡 — with the CBD and industry unions —, 社区/村, enterprise) the units a
post is linked to at that level (its ``org_path``; none when nothing matched) are compared with the
expected ones: precision = right / linked, recall = right / expected, summed over posts.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from yuqing.alerts.linking import linker_for
from yuqing.alerts.orgimport import apply_plan, plan_import
from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.org import LEVELS, OrgTree, load_org

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SETS = ("linking-dev.jsonl", "linking-heldout.jsonl")
#: written last, with places on purpose not in the gazetteer; measured once, never tuned on
BLIND = "linking-blind.jsonl"


def resolve(org: OrgTree, ref: str) -> str:
    if ref.startswith("@"):
        found = [u.id for u in org.units.values() if u.name == ref[1:]]
    else:
        found = [ref] if ref in org.units else [u.id for u in [org.by_code(ref)] if u is not None]
    if len(found) != 1:
        raise SystemExit(f"expected unit {ref!r} not found (or not unique) in the registry")
    return found[0]


def evaluate(org: OrgTree, items: list[dict], verbose: bool = False) -> dict:
    linker = linker_for(org)
    counts = {lv: {"tp": 0, "linked": 0, "expected": 0} for lv in LEVELS}
    exact = 0
    for item in items:
        result = linker.link(item["text"], item.get("location"))
        got = set() if result.default else set(result.path)
        want_units = [resolve(org, r) for r in item["expect"]]
        want = set(org.path_of(want_units))
        for lv in LEVELS:
            g = {u for u in got if org.units[u].level == lv}
            w = {u for u in want if org.units[u].level == lv}
            counts[lv]["tp"] += len(g & w)
            counts[lv]["linked"] += len(g)
            counts[lv]["expected"] += len(w)
        ok = (set(result.units) == set(want_units)) if want_units else result.default
        exact += ok
        if verbose and not ok:
            print(f"  ✗ {item['text'][:40]}  want {[org.display_name(u) for u in want_units]}"
                  f"  got {[] if result.default else [org.display_name(u) for u in result.units]} {result.notes}")
    out = {"posts": len(items), "exact": exact}
    for lv, c in counts.items():
        out[lv] = {"precision": round(c["tp"] / c["linked"], 3) if c["linked"] else None,
                   "recall": round(c["tp"] / c["expected"], 3) if c["expected"] else None,
                   "linked": c["linked"], "expected": c["expected"], "right": c["tp"]}
    return out


def load_items(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def build_context(work: Path) -> Context:
    """A fresh registry from the shipped config with the bench roster imported."""
    ctx = Context.load(ROOT / "config", work / "var", environ={})
    roster = DATA / "linking-roster.csv"
    plan = plan_import(ctx, roster.read_bytes(), roster.name)
    if not plan.ok:
        raise SystemExit("\n".join(map(str, plan.rejected)))
    apply_plan(ctx, plan, by="bench")
    return ctx


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--verbose", action="store_true", help="list the posts not linked exactly")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="yuqing-linking-"))
    try:
        ctx = build_context(work)
        org = load_org(ctx)
        results = {}
        for name in (*SETS, BLIND):
            if args.verbose and not args.json:
                print(name)
            results[name] = evaluate(org, load_items(name), args.verbose and not args.json)
        ctx.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
        return
    for name, r in results.items():
        print(f"{name}: {r['posts']} posts, {r['exact']} linked exactly to the expected units")
        for lv in LEVELS:
            c = r[lv]
            p = "—" if c["precision"] is None else f"{c['precision']:.2f}"
            rc = "—" if c["recall"] is None else f"{c['recall']:.2f}"
            print(f"  {lv:12s} precision {p} ({c['right']}/{c['linked']})  recall {rc} ({c['right']}/{c['expected']})")


if __name__ == "__main__":
    main()
