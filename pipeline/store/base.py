"""The post store interface. Two backends implement it and must give the same answers on the
same data: :mod:`yuqing.pipeline.store.sqlite` (embedded default) and :mod:`yuqing.pipeline.store.elastic`.

Semantics both backends follow (the parity tests in ``tests/store/`` hold them to it):

* **Time** filters are on ``published_at``: ``since <= t < until``.
* **Unit** filters match ``org_path``, i.e. a unit and everything below it (its subtree).
* **Text** queries are segmented with :func:`yuqing.pipeline.core.textindex.query_tokens`; a post matches
  when every token occurs in its indexed text (title + content segmented for search).
* **Multi-valued** dimensions (``topic``, ``unit``, ``unit_tree``) put a post in every bucket of
  its values; a post without a value is in no bucket of that dimension.
* **Time buckets** (``interval`` like ``15m``, ``1h``, ``6h``, ``1d``) are aligned in the settings'
  time zone (a day starts at local midnight) and labelled by their start.
* **Metrics** of a bucket: ``posts`` (count), ``authors`` (distinct ``author.id``), ``clusters``
  (distinct near-duplicate clusters: ``dup_of`` or the post's own id), ``engagement`` (sum of
  reposts + comments + likes). Elasticsearch's distinct counts are exact below 40,000 per bucket.
* **Ordering** of search hits is ``published_at`` descending, then ``id`` — unless
  ``sort="relevance"`` (then backends rank by their own BM25 and may differ).
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from yuqing.pipeline.core.errors import StoreError, StoreUnavailable  # noqa: F401 (re-exported)
from yuqing.pipeline.core.record import Post

#: dimension name → what it groups by
DIMENSIONS = {
    "unit": "org_units (the most specific linked units)",
    "unit_tree": "org_path (every unit a post rolls up to)",
    "topic": "topics",
    "sentiment": "sentiment.label",
    "platform": "platform",
    "source": "source",
}
Dimension = Literal["unit", "unit_tree", "topic", "sentiment", "platform", "source"]
METRICS = ("posts", "authors", "clusters", "engagement")


@dataclass(frozen=True)
class PostFilter:
    since: datetime | None = None
    until: datetime | None = None
    platforms: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    sentiments: tuple[str, ...] = ()
    units: tuple[str, ...] = ()  # matches org_path: the unit's whole subtree
    sources: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    text: str | None = None
    exclude_duplicates: bool = False

    def with_(self, **changes) -> PostFilter:
        return replace(self, **changes)


@dataclass
class SearchPage:
    total: int
    posts: list[Post]


@dataclass
class AggRow:
    """One bucket of :meth:`PostStore.aggregate`."""

    bucket: datetime | None
    keys: dict[str, str]
    posts: int = 0
    authors: int = 0
    clusters: int = 0
    engagement: float = 0.0

    def as_dict(self) -> dict:
        out: dict = {"bucket": self.bucket.isoformat() if self.bucket else None}
        out.update(self.keys)
        out.update(posts=self.posts, authors=self.authors, clusters=self.clusters,
                   engagement=self.engagement)
        return out


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (post id, reason)

    def __iadd__(self, other: UpsertResult) -> UpsertResult:
        self.created += other.created
        self.updated += other.updated
        self.failed.extend(other.failed)
        return self


def parse_interval(interval: str) -> int:
    """``"15m"``/``"1h"``/``"1d"`` → seconds. Raises ``ValueError`` naming the bad value."""
    units = {"m": 60, "h": 3600, "d": 86400}
    if len(interval) < 2 or interval[-1] not in units or not interval[:-1].isdigit() or int(interval[:-1]) < 1:
        raise ValueError(f"interval {interval!r}: use a whole number and m, h or d, e.g. 1h or 1d")
    return int(interval[:-1]) * units[interval[-1]]


class PostStore(abc.ABC):
    """Where posts live. All methods are synchronous and thread-compatible (one user at a time)."""

    name: str = "store"

    @abc.abstractmethod
    def upsert_many(self, posts: Sequence[Post]) -> UpsertResult:
        """Insert or replace posts by ``id``; re-sending the same post changes no count."""

    @abc.abstractmethod
    def get(self, post_id: str) -> Post | None: ...

    def get_many(self, post_ids: Sequence[str]) -> dict[str, Post]:
        return {pid: p for pid in post_ids if (p := self.get(pid)) is not None}

    @abc.abstractmethod
    def search(self, flt: PostFilter, *, limit: int = 20, offset: int = 0,
               sort: Literal["time", "relevance"] = "time") -> SearchPage: ...

    @abc.abstractmethod
    def count(self, flt: PostFilter = PostFilter()) -> int: ...

    @abc.abstractmethod
    def aggregate(self, flt: PostFilter = PostFilter(), *, by: Sequence[Dimension] = (),
                  interval: str | None = None) -> list[AggRow]:
        """Counts grouped by ``by`` dimensions and, with ``interval``, by time bucket.

        Rows are sorted by bucket, then by keys. Every metric in :data:`METRICS` is filled.
        """

    @abc.abstractmethod
    def iter_range(self, flt: PostFilter = PostFilter(), *, batch_size: int = 1000) -> Iterator[Post]:
        """Every matching post, oldest ``published_at`` first (ties by id), streamed in batches."""

    def refresh(self) -> None:  # noqa: B027 - optional hook
        """Make all writes visible to reads (Elasticsearch is near-real-time)."""

    def health(self) -> dict:
        return {"backend": self.name, "status": "ok"}

    def close(self) -> None:  # noqa: B027 - optional hook
        pass

    def __enter__(self) -> PostStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
