"""Near-duplicate detection: a repost storm or a copied article counts as one story.

Method
    1. The *signature text* of a post drops what varies between copies: URLs, @mentions and
       Weibo repost chains (``//@某人:``), ``转发微博``, emoji codes like ``[哭]``, punctuation and
       whitespace.
    2. Texts of at least ``dedupe.min_chars`` characters get a 64-bit **SimHash** over character
       3-shingles (xxHash64). Two posts are near-duplicates when their SimHashes differ in at most
       ``dedupe.max_hamming`` bits (default 3) and they were published within
       ``dedupe.window_days`` of each other.
    3. Candidates are found by **banding**: the 64 bits are cut into ``max_hamming + 1`` bands; by
       the pigeonhole principle two hashes within the distance share at least one band exactly, so
       an indexed lookup per band finds every candidate (no false negatives).
    4. Shorter texts are matched only exactly (same signature text), since SimHash is noisy on a
       handful of characters.
    5. A post that near-duplicates an earlier one gets ``dup_of`` = the root of that post's cluster
       (the first post of the story seen), so clusters never chain.

The index lives in ``dedupe.db`` in the data dir, independent of the post store, so both stores
see the same decisions, and re-ingesting a post returns the decision made the first time.
"""

from __future__ import annotations

import re
import sqlite3
from typing import TYPE_CHECKING

import numpy as np
import xxhash

from pipeline.record import Post

if TYPE_CHECKING:
    from pipeline.context import Context

_STRIP = re.compile(
    r"https?://\S+|//@[^:：\s]{1,30}[:：]|@[\w\u4e00-\u9fff-]{1,30}|转发微博|\[[^\[\]]{1,8}\]|[^\w]|_",
)
SHINGLE = 3
_MASK64 = (1 << 64) - 1


def signature_text(text: str) -> str:
    return _STRIP.sub("", text).lower()


def simhash(text: str) -> int:
    """64-bit SimHash of ``text``'s character shingles (unsigned)."""
    if len(text) <= SHINGLE:
        shingles = [text]
    else:
        shingles = [text[i:i + SHINGLE] for i in range(len(text) - SHINGLE + 1)]
    hashes = np.fromiter((xxhash.xxh64_intdigest(s.encode()) for s in shingles), dtype=np.uint64, count=len(shingles))
    bits = np.unpackbits(hashes.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    votes = bits.sum(axis=0, dtype=np.int64) * 2 > len(shingles)
    return int(np.packbits(votes, bitorder="little").view(np.uint64)[0])


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _unsigned(v: int) -> int:
    return v & _MASK64


class DedupeIndex:
    SCHEMA = """
    CREATE TABLE IF NOT EXISTS sigs (id TEXT PRIMARY KEY, simhash INTEGER, published INTEGER NOT NULL,
                                     root TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS bands (key INTEGER NOT NULL, id TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS bands_key ON bands(key);
    CREATE TABLE IF NOT EXISTS exact (hash INTEGER PRIMARY KEY, id TEXT NOT NULL);
    """

    def __init__(self, path, *, max_hamming: int = 3, min_chars: int = 16, window_days: float = 14):
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=30000")
        self.db.executescript(self.SCHEMA)
        self.max_hamming = max_hamming
        self.min_chars = min_chars
        self.window_ms = int(window_days * 86400 * 1000)
        self.bands = max_hamming + 1
        self.band_bits = -(-64 // self.bands)

    def _band_keys(self, h: int) -> list[int]:
        mask = (1 << self.band_bits) - 1
        return [_signed((i << 56) ^ ((h >> (i * self.band_bits)) & mask)) for i in range(self.bands)]

    def assign(self, posts: list[Post]) -> int:
        """Set ``dup_of`` on each post; return how many are near-duplicates."""
        dups = 0
        cur = self.db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            for post in posts:
                root = self._assign_one(cur, post)
                post.dup_of = None if root == post.id else root
                dups += post.dup_of is not None
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return dups

    def _assign_one(self, cur: sqlite3.Cursor, post: Post) -> str:
        known = cur.execute("SELECT root FROM sigs WHERE id = ?", (post.id,)).fetchone()
        if known:
            return known[0]
        published = int(post.published_at.timestamp() * 1000)
        text = signature_text(post.text)
        root = post.id
        if len(text) < self.min_chars:
            key = _signed(xxhash.xxh64_intdigest(text.encode())) if text else None
            if key is not None:
                hit = cur.execute(
                    "SELECT s.root, s.published FROM exact e JOIN sigs s ON s.id = e.id WHERE e.hash = ?",
                    (key,)).fetchone()
                if hit and abs(hit[1] - published) <= self.window_ms:
                    root = hit[0]
                elif not hit:
                    cur.execute("INSERT INTO exact (hash, id) VALUES (?, ?)", (key, post.id))
            cur.execute("INSERT INTO sigs (id, simhash, published, root) VALUES (?, NULL, ?, ?)",
                        (post.id, published, root))
            return root
        h = simhash(text)
        keys = self._band_keys(h)
        marks = ",".join("?" * len(keys))
        best: tuple[int, str] | None = None
        for sim, when, cand_root in cur.execute(
                f"SELECT DISTINCT s.simhash, s.published, s.root FROM bands b JOIN sigs s ON s.id = b.id"
                f" WHERE b.key IN ({marks})", keys):
            if abs(when - published) > self.window_ms or hamming(_unsigned(sim), h) > self.max_hamming:
                continue
            if best is None or when < best[0]:
                best = (when, cand_root)
        if best is not None:
            root = best[1]
        cur.execute("INSERT INTO sigs (id, simhash, published, root) VALUES (?, ?, ?, ?)",
                    (post.id, _signed(h), published, root))
        cur.executemany("INSERT INTO bands (key, id) VALUES (?, ?)", [(k, post.id) for k in keys])
        return root

    def close(self) -> None:
        self.db.close()


class DedupeStage:
    name = "dedupe"

    def __init__(self, ctx: Context):
        cfg = ctx.settings.dedupe
        self.index = DedupeIndex(ctx.path("dedupe.db"), max_hamming=cfg.max_hamming,
                                 min_chars=cfg.min_chars, window_days=cfg.window_days)
        self.duplicates = 0

    def process(self, posts: list[Post]) -> None:
        self.duplicates += self.index.assign(posts)
