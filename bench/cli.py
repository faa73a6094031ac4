"""How fast the command line answers: median wall time of whole ``yuqing`` processes.

    python bench/cli.py [--runs 7] [--data-dir var/demo]

Runs ``yuqing --help``, ``yuqing crawl --help``, ``yuqing org show`` and ``yuqing stats`` (each a new
process, as a user types them) ``--runs`` times and prints the median, min and max wall time and the
median CPU time (user+sys) of each. ``stats`` reads the demo data (``make demo``'s data dir, or
``--data-dir``); when that has no posts, the shipped sample is ingested into a temporary data dir
first (without classification, which the stats command does not need).
Target (issue 10): ``yuqing --help`` under 0.3 s wall on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
YUQING = [sys.executable, "-m", "yuqing"]


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one run; fails loudly on a non-zero exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def demo_data_dir(wanted: Path, env: dict[str, str], tmp: Path) -> Path:
    if (wanted / "posts.db").exists():
        return wanted
    data = tmp / "var"
    print(f"(no demo data in {wanted}: ingesting the sample into {data} without classification)", file=sys.stderr)
    subprocess.run([*YUQING, "--data-dir", str(data), "ingest", "--no-classify", "--json",
                    str(ROOT / "data" / "sample" / "posts.jsonl")], env=env, check=True, capture_output=True)
    return data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--data-dir", type=Path, default=ROOT / "var" / "demo")
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    env["YUQING_CONFIG_DIR"] = str(ROOT / "config")
    with tempfile.TemporaryDirectory() as tmp:
        data = demo_data_dir(args.data_dir, env, Path(tmp))
        env["YUQING_DATA_DIR"] = str(data)
        cases = {
            "yuqing --help": [*YUQING, "--help"],
            "yuqing crawl --help": [*YUQING, "crawl", "--help"],
            "yuqing org show": [*YUQING, "org", "show"],
            "yuqing stats": [*YUQING, "stats", "--by", "platform"],
        }
        print(f"{'command':<22} {'median':>8} {'min':>8} {'max':>8} {'cpu':>8}   ({args.runs} runs, wall s)")
        for label, argv in cases.items():
            timed(argv, env)  # warm the file cache once
            runs = [timed(argv, env) for _ in range(args.runs)]
            walls = [w for w, _ in runs]
            print(f"{label:<22} {statistics.median(walls):8.3f} {min(walls):8.3f} {max(walls):8.3f} "
                  f"{statistics.median(c for _, c in runs):8.3f}")
        shutil.rmtree(Path(tmp) / "var", ignore_errors=True)


if __name__ == "__main__":
    main()
