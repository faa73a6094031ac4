"""The brute-force reference both stores are checked against: every answer of the store interface
(:mod:`pipeline.store.base`) computed in plain Python from the posts the store was given.

It shares nothing with the stores but the text segmentation (:mod:`pipeline.core.textindex`, which
defines what a post's searchable words are): filters are Python predicates, groups are built by
enumerating each post's values, time buckets are counted from local midnight, and orders are
Python sorts.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import datetime, time, timedelta

from yuqing.pipeline.core.record import Post
from yuqing.pipeline.core.textindex import index_text, query_tokens
from yuqing.pipeline.store.base import DIMENSIONS, AggRow, PostFilter, parse_interval

DIMS = sorted(DIMENSIONS)
VALUES = {
    "unit": lambda p: set(p.org_units),
    "unit_tree": lambda p: set(p.org_path),
    "topic": lambda p: set(p.topics),
    "sentiment": lambda p: {p.sentiment.label} if p.sentiment else set(),
    "platform": lambda p: {p.platform},
    "source": lambda p: {p.source},
}
QUERIES = ["拖欠工资", "加班费", "外卖骑手", "酒仙桥 裁员", "工会", "社保断缴 朝阳", "望京SOHO", "不存在的词语组合"]

_WORDS: dict[tuple[str, str], set[str]] = {}


def words(p: Post) -> set[str]:
    """The searchable words of a post (cached by text: a post may come back with other text)."""
    key = (p.title, p.content)
    if key not in _WORDS:
        _WORDS[key] = set(index_text(p.title, p.content).split())
    return _WORDS[key]


def matches(p: Post, flt: PostFilter) -> bool:
    """Whether ``p`` passes every part of ``flt``."""
    if flt.text is not None:
        tokens = set(query_tokens(flt.text))
        if not tokens or not tokens <= words(p):
            return False
    return ((not flt.platforms or p.platform in flt.platforms)
            and (not flt.sources or p.source in flt.sources)
            and (not flt.authors or p.author.id in flt.authors)
            and (not flt.topics or bool(set(p.topics) & set(flt.topics)))
            and (not flt.units or bool(set(p.org_path) & set(flt.units)))
            and (not flt.sentiments or (p.sentiment is not None and p.sentiment.label in flt.sentiments))
            and (flt.since is None or p.published_at >= flt.since)
            and (flt.until is None or p.published_at < flt.until)
            and (not flt.exclude_duplicates or p.dup_of is None))


def bucket(when: datetime, interval: str, tz) -> datetime:
    """The start of ``when``'s time bucket, counted from local midnight (steps that divide a day)."""
    step = parse_interval(interval)
    assert 86400 % step == 0, f"the reference only knows steps that divide a day, not {interval}"
    local = when.astimezone(tz)
    midnight = datetime.combine(local.date(), time(), tzinfo=tz)
    into = (local - midnight).total_seconds()
    return midnight + timedelta(seconds=into // step * step)


def aggregate(posts: list[Post], by: list[str], interval: str | None, tz,
              flt: PostFilter = PostFilter()) -> list[AggRow]:
    """The rows of ``store.aggregate(flt, by=by, interval=interval)``."""
    groups: dict[tuple, list[Post]] = defaultdict(list)
    for p in posts:
        if not matches(p, flt):
            continue
        start = bucket(p.published_at, interval, tz) if interval else None
        for combo in itertools.product(*(sorted(VALUES[d](p)) for d in by)):
            groups[(start, combo)].append(p)
    rows = [AggRow(b, dict(zip(by, combo, strict=True)), len(ps), len({p.author.id for p in ps}),
                   len({p.dup_of or p.id for p in ps}), float(sum(p.metrics.engagement() for p in ps)))
            for (b, combo), ps in groups.items()]
    rows.sort(key=lambda r: (r.bucket.timestamp() if r.bucket else 0, *r.keys.values()))
    return rows


def search(posts: list[Post], flt: PostFilter) -> list[str]:
    """Ids of every hit of ``store.search(flt)``: newest first, ties by id descending."""
    hits = [p for p in posts if matches(p, flt)]
    hits.sort(key=lambda p: (p.published_at.timestamp(), p.id), reverse=True)
    return [p.id for p in hits]


def in_range(posts: list[Post], flt: PostFilter = PostFilter()) -> list[Post]:
    """``store.iter_range(flt)``: oldest first, ties by id."""
    return sorted((p for p in posts if matches(p, flt)), key=lambda p: (p.published_at.timestamp(), p.id))


def latest(posts: list[Post]) -> list[Post]:
    """The posts a store holds after upserting ``posts`` in order: the last copy of each id."""
    return list({p.id: p for p in posts}.values())


class Recorder:
    """An ingest stage placed last: keeps a copy of each post exactly as it goes to the store."""

    name = "record"

    def __init__(self) -> None:
        self.posts: list[Post] = []

    def process(self, posts: list[Post]) -> None:
        self.posts.extend(p.model_copy(deep=True) for p in posts)
