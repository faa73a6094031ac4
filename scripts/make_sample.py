"""Build the shipped sample data (``data/sample/posts.jsonl``) from the hand-written corpus.

Reproducible (seeded): the same corpus and org file give the same sample. What it does:

* takes the labelled posts the team wrote (``data/corpus/*.jsonl``) and drops their labels — the
  sample is what crawlers would deliver, the pipeline must classify it;
* lays them over five weeks (Monday 2026-10-19 to Sunday 2026-11-22, Asia/Shanghai) with a daily
  rhythm (morning commute, lunch and late-evening peaks, quiet nights) and fewer posts at weekends;
* gives them platforms from their style, sources named as in ``config/sources.yaml``, authors drawn
  from a skewed pool (a few loud accounts, many occasional ones) and engagement from a heavy tail;
* puts a share of them at places of the union hierarchy (``config/org.yaml``: unit names, aliases,
  landmarks) in the text or the Weibo ``location`` field, so linking has work to do;
* adds **one burst**: on Thursday 2026-11-19 from 08:00, workers of one enterprise post about
  unpaid wages — many distinct authors over a few hours, plus a repost storm from one account that
  must count as one story.

Usage: ``python scripts/make_sample.py [--out data/sample/posts.jsonl] [--seed 7] [--writers A,B]``
(the shipped sample was built from writers A and B, the corpus as it was when the sample was made)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from yuqing.pipeline.core.org import load_org_file

ROOT = Path(__file__).resolve().parent.parent
CST = timezone(timedelta(hours=8))
START = datetime(2026, 10, 19, tzinfo=CST)
DAYS = 35
BURST_START = datetime(2026, 11, 19, 8, 0, tzinfo=CST)

PLATFORM = {"weibo": "weibo", "tieba": "tieba", "forum": "forum", "wechat": "wechat", "news": "news"}
SOURCE = {"weibo": "weibo-keywords", "tieba": "tieba-chaoyang", "forum": "forum-local-bbs",
          "wechat": "wechat-sogou", "news": "news-rss"}
URL = {"weibo": "https://m.weibo.cn/detail/{n}", "tieba": "https://tieba.baidu.com/p/{n}",
       "forum": "https://bbs.example.org/forum.php?mod=viewthread&tid={n}",
       "wechat": "https://mp.weixin.qq.com/s/{h}", "news": "https://news.example.org/chaoyang/{n}.html"}
# weight of each local hour (0..23): quiet nights, commute, lunch and evening peaks
HOURS = [2, 1, 1, 0.5, 0.5, 1, 2, 5, 8, 7, 6, 6, 8, 7, 5, 5, 5, 6, 7, 8, 9, 10, 9, 5]


def load_corpus(directory: Path, writers: set[str]) -> list[dict]:
    rows: list[dict] = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if row.get("writer") in writers:
                    rows.append(row)
    return rows


def load_places(org_file: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """(unit name or landmark, level) pairs and the enterprise names, from org.yaml (read and
    validated by the one org reader, :func:`yuqing.pipeline.core.org.load_org_file`)."""
    places: list[tuple[str, str]] = []
    enterprises: list[str] = []
    for unit in load_org_file(org_file).units.values():
        names = [*unit.landmarks, *unit.aliases]
        if unit.level == "enterprise":
            enterprises.append(unit.aliases[0] if unit.aliases else unit.name)
        elif unit.level in ("subdistrict", "community"):
            places.extend((n, unit.level) for n in names or [unit.name])
    return places, enterprises


def pick_time(rng: random.Random) -> datetime:
    while True:
        day = rng.randrange(DAYS)
        weekday = (START + timedelta(days=day)).weekday()
        if weekday >= 5 and rng.random() < 0.35:
            continue
        hour = rng.choices(range(24), weights=HOURS)[0]
        return START + timedelta(days=day, hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))


def metrics(rng: random.Random, platform: str) -> dict:
    heavy = lambda scale: int(math.exp(rng.gauss(0, 1.4)) * scale)  # noqa: E731
    if platform == "weibo":
        return {"reposts": heavy(2), "comments": heavy(3), "likes": heavy(8)}
    if platform == "wechat":
        return {"reads": heavy(400), "likes": heavy(6)}
    if platform in ("forum", "tieba"):
        return {"comments": heavy(4), "reads": heavy(80)}
    return {}


def make_post(rng, n, row, when, author, place=None) -> dict:
    style = row.get("style", "weibo")
    platform = PLATFORM.get(style, "weibo")
    native = str(4_900_000_000_000_000 + n) if platform == "weibo" else str(100000 + n)
    digest = hashlib.sha1(f"{n}".encode()).hexdigest()[:16]
    content = row["content"]
    location = None
    if place:
        if platform == "weibo" and rng.random() < 0.4:
            location = f"北京·{place}"
        elif rng.random() < 0.5:
            content = f"#{place}# {content}" if platform == "weibo" else f"{place}这边，{content}"
        else:
            content = f"{content}（{place}）"
    post = {
        "id": f"{platform}:{native if platform != 'wechat' else digest}",
        "platform": platform,
        "source": SOURCE.get(style, "weibo-keywords"),
        "url": URL[platform].format(n=native, h=digest),
        "title": row.get("title", "") if platform in ("forum", "wechat", "news", "tieba") else "",
        "content": content,
        "author": author,
        "published_at": when.isoformat(),
        "crawled_at": (when + timedelta(minutes=rng.randrange(5, 90))).isoformat(),
        "metrics": metrics(rng, platform),
    }
    if location:
        post["location"] = location
    return post


def build(corpus: list[dict], places, enterprises, seed: int) -> list[dict]:
    rng = random.Random(seed)
    authors = [{"id": f"u{1000 + i}", "name": f"用户{rng.randrange(10**6):06d}"} for i in range(1200)]
    weights = [1 / (i + 1) ** 0.8 for i in range(len(authors))]
    posts: list[dict] = []
    n = 0
    for row in corpus:
        place = rng.choice(places)[0] if places and rng.random() < 0.45 else None
        author = rng.choices(authors, weights=weights)[0]
        posts.append(make_post(rng, n, row, pick_time(rng), author, place))
        n += 1
    # the burst: workers of one enterprise, unpaid wages
    wages = [r for r in corpus if "wage_arrears" in r.get("topics", []) and r.get("sentiment") == "negative"
             and r.get("style") in ("weibo", "tieba", "forum")]
    firm = enterprises[0] if enterprises else "鑫达建筑劳务"
    rng.shuffle(wages)
    for i, row in enumerate(wages[:45]):
        when = BURST_START + timedelta(minutes=int(rng.expovariate(1 / 120)))
        author = {"id": f"burst{i:03d}", "name": f"工友{i:02d}"}
        burst_row = dict(row, content=f"{firm}欠薪！{row['content']}")
        posts.append(make_post(rng, n, burst_row, when, author))
        n += 1
    # a repost storm from one account: one story, not a trend
    storm = {"style": "weibo", "content": "常营那边一家装修公司好像也拖欠工资了，有知道情况的吗？转需"}
    loud = {"id": "u_storm", "name": "热心网友转发机"}
    for i in range(60):
        when = datetime(2026, 11, 12, 21, 0, tzinfo=CST) + timedelta(minutes=2 * i)
        row = dict(storm, content=("转发微博 //@热心网友转发机: " * (i % 3)) + storm["content"])
        posts.append(make_post(rng, n, row, when, loud))
        n += 1
    posts.sort(key=lambda p: p["published_at"])
    return posts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus")
    ap.add_argument("--org", type=Path, default=ROOT / "config" / "org.yaml")
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "sample" / "posts.jsonl")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--writers", default="A,B", help="corpus writers to draw from (comma-separated)")
    args = ap.parse_args()
    corpus = load_corpus(args.corpus, set(args.writers.split(",")))
    if not corpus:
        raise SystemExit(f"no corpus files in {args.corpus}")
    places, enterprises = load_places(args.org)
    posts = build(corpus, places, enterprises, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        for post in posts:
            fh.write(json.dumps(post, ensure_ascii=False) + "\n")
    print(f"wrote {len(posts)} posts to {args.out} ({len(places)} places, {len(enterprises)} enterprises)")


if __name__ == "__main__":
    main()
