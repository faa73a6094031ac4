"""Crawler throughput: parser speed on the real captures, and a whole ``yuqing crawl`` run against a
local replay server (no politeness delays), ingesting into a fresh SQLite store.

    .venv/bin/python bench/crawl.py [--pages 40] [--per-page 20]

Prints milliseconds per page for each parser and pages/s, posts/s for the end-to-end run.
Not part of ``make test``: numbers, not assertions.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SHARED = ROOT.parent / "shared" / "fixtures" / "real"
sys.path.insert(0, str(ROOT / "tests" / "crawlers"))


def bench_parsers(repeat: int = 20) -> None:
    from yuqing.crawlers.parsers import discuz, feeds, tieba, wechat, weibo

    now = datetime(2026, 11, 26, 4, tzinfo=timezone.utc)
    cases = [
        ("weibo getIndex timeline", "weibo_api/bison_getIndex_user_timeline_6279793937.json",
         lambda b: weibo.parse_cards(b, "u", now, "s")),
        ("sogou result page", "wechat/wechatsogou_search-gaokao-article.html",
         lambda b: wechat.parse_search(b.decode(), "https://weixin.sogou.com/weixin?page=1", now)),
        ("wechat article", "wechat/wechatsogou_article_detail_mpvoice.html",
         lambda b: wechat.parse_article(b.decode(), "u", now, "s")),
        ("discuz forumdisplay", "forum/discuzx35_mcbbs_forumdisplay_utf8.html",
         lambda b: discuz.parse_forumdisplay(b.decode(), "https://x/f", now)),
        ("discuz viewthread", "forum/discuzx35_mcbbs_viewthread_utf8.html",
         lambda b: discuz.parse_viewthread(b.decode(), "https://x/t", now, "s", "x")),
        ("tieba forum list", "tieba/mediacrawler_tieba_note_list.html",
         lambda b: tieba.parse_thread_list(b.decode(), "https://x/f", now)),
        ("tieba thread", "tieba/mediacrawler_note_detail.html",
         lambda b: tieba.parse_thread(b.decode(), "https://x/p/1", now, "s")),
        ("atom feed", "rss/bison_atom_ruanyifeng.xml", lambda b: feeds.parse_feed(b, "u", now, "s")),
    ]
    if not SHARED.is_dir():
        print(f"(real captures not found at {SHARED}; parser numbers skipped)")
        return
    print(f"{'parser':28} {'kB':>6} {'ms/page':>8}")
    for label, name, fn in cases:
        body = (SHARED / name).read_bytes()
        fn(body)
        started = time.perf_counter()
        for _ in range(repeat):
            fn(body)
        ms = (time.perf_counter() - started) / repeat * 1000
        print(f"{label:28} {len(body) / 1024:6.0f} {ms:8.1f}")


def bench_crawl(pages: int, per_page: int) -> None:
    from conftest import FAST, ReplayServer, write_sources

    from yuqing.crawlers.parsers.weibo import search_container

    server = ReplayServer().start()
    kw = "基准"
    n = 0
    for page in range(1, pages + 1):
        cards = []
        for _ in range(per_page):
            n += 1
            cards.append({"card_type": 9, "mblog": {
                "id": str(7000000000000000 + n), "created_at": f"{(n % 50) + 1}分钟前" if page == 1 else "11-20",
                "text": f"第{n}条：朝阳区某公司拖欠工资<br />已向工会反映<span class=\"url-icon\"><img alt=[怒] /></span>",
                "user": {"id": 1000 + n % 97, "screen_name": f"用户{n % 97}"},
                "reposts_count": n % 7, "comments_count": n % 11, "attitudes_count": n % 13}})
        body = {"ok": 1, "data": {"cardlistInfo": {"page": page + 1}, "cards": cards}}
        server.add(f"/api/container/getIndex?containerid={search_container(kw)}&page_type=searchall&page={page}",
                   json.dumps(body, ensure_ascii=False))
    tmp = Path(tempfile.mkdtemp(prefix="yuqing-bench-crawl-"))
    try:
        shutil.copytree(ROOT / "config", tmp / "config")
        write_sources(tmp / "config", {"name": "bench", "spider": "weibo", "keywords": [kw], "base_url": server.url,
                                       "max_pages": pages, "politeness": FAST})
        for mode, extra in (("--out JSON Lines", ["--out", str(tmp / "out.jsonl")]), ("ingest into SQLite", [])):
            started = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "crawlers", "--config-dir", str(tmp / "config"),
                                   "--data-dir", str(tmp / "var" / mode[:2]), "crawl", "bench", "--json", *extra],
                                  capture_output=True, text=True, cwd=ROOT)
            seconds = time.perf_counter() - started
            summary = json.loads(proc.stdout)
            print(f"\nend to end: yuqing crawl (weibo, {pages} pages × {per_page} posts, {mode})")
            print(f"  exit {proc.returncode}, pages {summary['pages']}, items {summary['items']}, new {summary['new']}")
            run_s = (datetime.fromisoformat(summary["finished_at"])
                     - datetime.fromisoformat(summary["started_at"])).total_seconds()
            print(f"  {seconds:.2f} s wall with process start; {run_s:.2f} s for the run itself → "
                  f"{summary['pages'] / run_s:.1f} pages/s, {summary['items'] / run_s:.0f} posts/s")
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=40)
    ap.add_argument("--per-page", type=int, default=20)
    args = ap.parse_args()
    bench_parsers()
    bench_crawl(args.pages, args.per_page)


if __name__ == "__main__":
    main()
