"""Benchmark: "第一时间" — from a post entering ingest to its notification leaving the outbox.

    .venv/bin/python bench/first_moment.py                    # default settings, 40 posts
    .venv/bin/python bench/first_moment.py -n 60 --no-deliver-now   # only the daemon's outbox job sends

A real deployment in miniature, all on 127.0.0.1: a copy of ``config/`` in a temporary directory
(no crawl sources; the rosters' robot webhooks pointed at a local HTTP receiver), a real SMTP
server (aiosmtpd) that timestamps every message it accepts, and the real daemon ``yuqing run`` in
its own process (its ``alerts:outbox`` job every ``scheduler.outbox_seconds`` = 15 s, the regular
5-minute evaluation untouched). This process then feeds, one at a time at random intervals, high-
risk posts (高处讨薪 at a random unit, through the full ingest: normalise, dedupe, classify, link,
store) and urgent grassroots reports (:meth:`yuqing.alerts.reports.Reports.submit`), each with a
unique marker in its first words. Latency = the SMTP server's arrival time of the first e-mail
carrying the marker − the moment the post was handed to ingest. Prints p50/p95/max over all, per
kind, and the time the ingest call itself took. ``--no-deliver-now`` sets
``immediate.deliver_now: false`` so the daemon's outbox job does the sending.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK = re.compile(r"【(K\d{4})】")
# different events read differently: clauses drawn at random, so posts are not near-duplicates
WHO = ["七八个农民工", "十几名装修工人", "一名钢筋工", "几个外地来的木工", "三名保洁员的家属", "二十多名工友"]
WHERE = ["爬上塔吊", "站上楼顶", "爬到脚手架上", "坐在广告牌上", "困在吊车上"]
WHY = ["讨要被拖欠的工资", "讨薪，说包工头跑了", "要工钱，欠了快一年", "讨薪，老板电话打不通", "讨要血汗钱"]
MORE = ["消防和派出所已到场", "围观的人越来越多", "现场拉起了警戒线", "有人在直播", "家属在下面哭", "社区干部正在劝说"]


class Mailbox:
    def __init__(self):
        self.arrived: dict[str, float] = {}
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler protocol
        now = time.time()
        msg = message_from_bytes(envelope.content, policy=default_policy)
        self.count += 1
        for key in MARK.findall(msg.get_content()):
            self.arrived.setdefault(key, now)
        return "250 OK"


class _Ok(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"errcode": 0}')


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup(base: Path, deliver_now: bool, http_port: int) -> Path:
    config = base / "config"
    shutil.copytree(ROOT / "config", config)
    (config / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    org = (config / "org.yaml").read_text(encoding="utf-8")
    for port in ("18081", "18082", "18083"):
        org = org.replace(f"127.0.0.1:{port}", f"127.0.0.1:{http_port}")
    (config / "org.yaml").write_text(org, encoding="utf-8")
    if not deliver_now:
        alerts = (config / "alerts.yaml").read_text(encoding="utf-8").replace("deliver_now: true", "deliver_now: false")
        (config / "alerts.yaml").write_text(alerts, encoding="utf-8")
    return config


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=40, help="posts and reports fed (half each)")
    ap.add_argument("--gap", type=float, default=4.0, help="mean seconds between two posts (uniform 0..2×gap)")
    ap.add_argument("--no-deliver-now", action="store_true", help="leave sending to the daemon's outbox job")
    ap.add_argument("--seed", type=int, default=12)
    args = ap.parse_args()

    from aiosmtpd.controller import Controller

    box = Mailbox()
    smtp_port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    http = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    base = Path(tempfile.mkdtemp(prefix="yuqing-bench-first-"))
    config = setup(base, not args.no_deliver_now, http.server_address[1])
    data = base / "var"
    env = {**os.environ, "YUQING_SMTP_HOST": "127.0.0.1", "YUQING_SMTP_PORT": str(smtp_port)}
    os.environ.update({"YUQING_SMTP_HOST": "127.0.0.1", "YUQING_SMTP_PORT": str(smtp_port)})

    from yuqing.alerts.reports import Actor, ReportInput, Reports
    from yuqing.pipeline.core.context import Context
    from yuqing.pipeline.core.org import load_org
    from yuqing.pipeline.core.record import Post
    from yuqing.pipeline.ingest import Ingestor

    ctx = Context.load(config, data)
    ingestor = Ingestor(ctx)
    desk = Reports(ctx)
    org = load_org(ctx)
    rng = random.Random(args.seed)
    # warm up (not measured): the classifier model copied or trained, the state database migrated
    ingestor.ingest_posts([Post.model_validate({"id": "weibo:warmup", "platform": "weibo", "source": "bench",
                                                "content": "今天食堂的饭菜不错", "published_at": datetime.now(UTC)})])

    daemon = subprocess.Popen([sys.executable, "-m", "yuqing", "--config-dir", str(config), "--data-dir", str(data),
                               "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    time.sleep(3)
    units = [u for u in org.units.values() if u.level in ("community", "enterprise") and len(u.name) >= 3]
    entered: dict[str, tuple[str, float, float]] = {}
    try:
        for k in range(args.n):
            key = f"K{k:04d}"
            unit = rng.choice(units)
            now = datetime.now(UTC)
            if k % 2 == 0:
                post = Post.model_validate({
                    "id": f"weibo:bench{k}", "platform": "weibo", "source": "bench", "url": f"https://weibo.example/{k}",
                    "content": f"【{key}】{unit.name}附近{rng.randint(2, 23)}点左右{rng.choice(WHO)}{rng.choice(WHERE)}"
                               f"{rng.choice(WHY)}，{rng.choice(MORE)}，{rng.choice(MORE)}",
                    "author": {"id": f"b{k}"}, "published_at": now})
                t0 = time.time()
                ingestor.ingest_posts([post])
                entered[key] = ("高风险帖文", t0, time.time() - t0)
            else:
                actor = Actor(f"bench{k}", "信息员", unit.id, "correspondent")
                t0 = time.time()
                desk.submit(actor, ReportInput(text=f"【{key}】{unit.name}{rng.choice(WHO)}反映{rng.choice(MORE)}，"
                                                    f"工资已拖欠{rng.randint(2, 11)}个月", urgent=True),
                            ingest=lambda posts: ingestor.ingest_posts(posts))
                entered[key] = ("紧急报送", t0, time.time() - t0)
            time.sleep(rng.uniform(0, 2 * args.gap))
        deadline = time.time() + 90
        while time.time() < deadline and any(k not in box.arrived for k in entered):
            time.sleep(0.5)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(60)
        controller.stop()
        http.shutdown()
    lat = {k: box.arrived[k] - t0 for k, (_, t0, _) in entered.items() if k in box.arrived}
    missing = [k for k in entered if k not in lat]
    mode = "the daemon's outbox job only (immediate.deliver_now: false)" if args.no_deliver_now \
        else "default settings (immediate.deliver_now: true, daemon running)"
    print(f"first-moment latency, post enters ingest → e-mail accepted by SMTP — {mode}")
    print(f"  {len(entered)} fed, {len(lat)} notified, {len(missing)} missing {missing[:5]}; {box.count} e-mails in all")
    for kind in (None, "高风险帖文", "紧急报送"):
        vals = [v for k, v in lat.items() if kind is None or entered[k][0] == kind]
        if vals:
            print(f"  {kind or '全部':6}  n={len(vals):3d}  p50 {pct(vals, .5):6.2f} s  p95 {pct(vals, .95):6.2f} s  "
                  f"max {max(vals):6.2f} s  mean {statistics.mean(vals):6.2f} s")
    calls = [c for _, _, c in entered.values()]
    print(f"  the ingest call itself: p50 {pct(calls, .5):.2f} s, p95 {pct(calls, .95):.2f} s")
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
