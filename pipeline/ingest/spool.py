"""Spool: when the store is unreachable, enriched posts wait on disk and are replayed later.

Each failed batch becomes one file ``spool/<time>-<n>.jsonl`` in the data dir, written to a
temporary name and renamed, so a crash never leaves half a file. :meth:`Spool.replay` upserts the
files oldest first and deletes each only after the store accepted it; upserts are keyed by id, so
a replay interrupted half-way and repeated doubles nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from itertools import count
from pathlib import Path

from yuqing.pipeline.core.record import Post, Reject, read_jsonl_path
from yuqing.pipeline.store.base import PostStore, UpsertResult

_seq = count()


class Spool:
    def __init__(self, directory: Path):
        self.dir = Path(directory)

    def files(self) -> list[Path]:
        return sorted(self.dir.glob("*.jsonl")) if self.dir.is_dir() else []

    def pending(self) -> int:
        """Number of spooled posts."""
        total = 0
        for f in self.files():
            with open(f, "rb") as fh:
                total += sum(1 for line in fh if line.strip())
        return total

    def write(self, posts: Sequence[Post]) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{next(_seq):06d}.jsonl"
        tmp = self.dir / (name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            for post in posts:
                fh.write(post.to_json() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        final = self.dir / name
        tmp.rename(final)
        return final

    def replay(self, store: PostStore) -> UpsertResult:
        """Upsert every spooled file into ``store``; raises StoreUnavailable if it is still down."""
        result = UpsertResult()
        for f in self.files():
            posts = [p for p in read_jsonl_path(f) if not isinstance(p, Reject)]
            result += store.upsert_many(posts)
            f.unlink()
        return result
