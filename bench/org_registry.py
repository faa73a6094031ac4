"""The org registry at scale: ``python bench/org_registry.py [--units 10000] [--xlsx]``.

Generates a roster of ``--units`` enterprise unions (seeded: registered names like
``北京瑞丰恒达科技有限公司`` with valid 统一社会信用代码, a parent among the 768 official 社区/村 by code,
name or address, one duty officer each) and measures on a fresh state database:

* the bootstrap (org.yaml + the shipped divisions into the registry);
* ``plan_import`` + ``apply_plan`` of the whole roster (``yuqing org import``'s work), then the
  same file again (a no-op: everything unchanged, nothing written);
* ``load_org`` with all units: from the database (new version) and from the in-process cache;
* building the linker over all units, and linking one post.

The roster file is written as CSV (or .xlsx with ``--xlsx``) so the reading is measured too.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

from yuqing.alerts.linking import Linker
from yuqing.alerts.orgimport import apply_plan, plan_import
from yuqing.pipeline.core import org as org_module
from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.divisions import load_divisions
from yuqing.pipeline.core.org import load_org
from yuqing.pipeline.core.orgmodel import _CREDIT_CHARS, _CREDIT_WEIGHTS

ROOT = Path(__file__).resolve().parent.parent
SYLLABLES = list("瑞丰恒达华宇星辰金鼎盛鑫隆美嘉优选安居乐顺捷嘉禾博远康泰新光明远京韵青松天和智联永福满云途海跃百信"
                 "宏图众诚兴旺东方长城富源广汇中科泰和德润弘毅启航卓越远景晨曦光耀锦程")
INDUSTRIES = ["科技", "餐饮管理", "物业服务", "建筑劳务", "物流", "商贸", "文化传媒", "家政服务", "保安服务", "汽车维修",
              "医药连锁", "装饰工程", "印刷", "教育科技", "酒店管理", "信息技术", "服装", "食品", "超市连锁", "快递"]


def credit_code(rng: random.Random) -> str:
    body = "9111010" + "".join(rng.choice(_CREDIT_CHARS) for _ in range(10))
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(body, _CREDIT_WEIGHTS, strict=True))
    return body + _CREDIT_CHARS[(31 - total % 31) % 31]


def roster_rows(n: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    communities = [d for d in load_divisions() if d.level == "community"]
    names: set[str] = set()
    rows = [["单位名称", "统一社会信用代码", "上级单位", "地址", "联系人", "邮箱", "电话", "值班时间"]]
    codes: set[str] = set()
    while len(rows) <= n:
        trade = "".join(rng.sample(SYLLABLES, rng.choice((2, 2, 3, 4))))
        name = f"北京{trade}{rng.choice(INDUSTRIES)}有限公司"
        code = credit_code(rng)
        if name in names or code in codes:
            continue
        names.add(name)
        codes.add(code)
        community = rng.choice(communities)
        i = len(rows)
        rows.append([name, code, community.code, f"北京市朝阳区某路{i}号", f"联系人{i}", f"duty{i}@example.org",
                     f"010-8{i:07d}", rng.choice(["工作日 08:30-17:30", "全天", "周一至周五 9:00-18:00；周末 9:00-12:00"])])
    return rows


def write_file(rows: list[list[str]], path: Path) -> Path:
    if path.suffix == ".xlsx":
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet()
        for row in rows:
            sheet.append(row)
        book.save(path)
    else:
        buf = io.StringIO()
        csv.writer(buf).writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8-sig")
    return path


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, round(time.perf_counter() - t, 3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--units", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--xlsx", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="yuqing-orgbench-"))
    try:
        ctx = Context.load(ROOT / "config", work / "var", environ={})
        out: dict = {"units": args.units}
        _, out["bootstrap_s"] = timed(lambda: load_org(ctx))
        path = write_file(roster_rows(args.units, args.seed), work / ("roster.xlsx" if args.xlsx else "roster.csv"))
        data = path.read_bytes()
        plan, out["import_plan_s"] = timed(lambda: plan_import(ctx, data, path.name))
        assert plan.ok, [str(r) for r in plan.rejected[:5]]
        _, out["import_apply_s"] = timed(lambda: apply_plan(ctx, plan, by="bench"))
        out["imported"] = len(plan.new)
        org_module.forget_cache()
        tree, out["load_from_db_s"] = timed(lambda: load_org(ctx))
        out["registry_units"] = len(tree)
        _, out["load_cached_s"] = timed(lambda: load_org(ctx))
        again, out["reimport_plan_s"] = timed(lambda: plan_import(ctx, data, path.name))
        version = tree.version
        _, out["reimport_apply_s"] = timed(lambda: apply_plan(ctx, again, by="bench"))
        out["reimport"] = again.summary()
        assert again.summary()["unchanged"] == args.units and load_org(ctx).version == version
        linker, out["linker_build_s"] = timed(lambda: Linker(tree))
        out["linker_terms"] = len(linker.entries)
        text = "望京SOHO楼下有人讨薪，" + plan.new[len(plan.new) // 2].name + "的员工说三个月没发工资"
        linker.link(text)
        t = time.process_time()   # CPU time: the machine may be busy with other work
        for _ in range(1000):
            linker.link(text)
        out["link_us_per_post"] = round((time.process_time() - t) * 1000, 1)
        out["file_bytes"] = len(data)
        ctx.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return
    print(f"bootstrap (org.yaml + 811 divisions)     {out['bootstrap_s']:.2f} s")
    print(f"import {out['imported']} units ({path.suffix}, {out['file_bytes'] // 1024} KiB): plan {out['import_plan_s']:.2f} s"
          f" + apply {out['import_apply_s']:.2f} s")
    print(f"re-import (no-op {out['reimport']}): plan {out['reimport_plan_s']:.2f} s + apply {out['reimport_apply_s']:.3f} s")
    print(f"load_org with {out['registry_units']} units: from the database {out['load_from_db_s']:.3f} s, "
          f"cached {out['load_cached_s'] * 1000:.2f} ms")
    print(f"linker: build {out['linker_build_s']:.2f} s ({out['linker_terms']} terms), "
          f"link one post {out['link_us_per_post']} µs")


if __name__ == "__main__":
    main()
