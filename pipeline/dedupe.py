"""Near-duplicate detection: a repost storm or a copied article counts as one story.

Method
    1. The *signature text* of a post drops what varies between copies: URLs, @mentions and
       Weibo repost chains (``//@某人:``), ``转发微博``, emoji codes like ``[哭]``, punctuation and
       whitespace.
    2. Texts of at least ``dedupe.min_chars`` characters are compared by the **Jaccard
       similarity of their character 3-shingle sets**, estimated by a 64-value **MinHash**:
       each shingle's three code points are packed exactly into 63 bits and mixed by the
       splitmix64 finaliser (high 32 bits kept); the 64 "permutations" are ``a·x + b mod 2³²``
       (random ``a`` odd, so each is a bijection of the 32-bit hashes) and a post's signature is
       the minimum per permutation (64 × uint32, 256 bytes a post). Two signatures agree in a
       position with probability ≈ J, so the share of equal positions estimates J (standard
       error √(J(1−J)/64) ≈ 0.05 at J = 0.8).
       A whole batch is hashed in one vectorised numpy pass (``minimum.reduceat`` over the
       concatenated shingles).
    3. Candidates are found by **LSH banding**: the first 60 values are cut into 12 bands of 5
       rows; each band is hashed (with its band index) into a 64-bit key in the index. Two
       posts with Jaccard J share at least one band key with probability 1 − (1 − J⁵)¹²:

       ==============  =====  =====  =====  =====  =====  =====
       J               0.3    0.5    0.6    0.7    0.8    0.9
       12 × 5 (used)   0.03   0.32   0.62   0.89   0.99   1.00
       16 × 4          0.12   0.64   0.89   0.99   1.00   1.00
       8 × 8           0.00   0.03   0.13   0.38   0.77   0.99
       ==============  =====  =====  =====  =====  =====  =====

       12 × 5 puts the S-curve's midpoint at (1/12)^(1/5) ≈ 0.61, below the verification
       threshold, so the typical small edit (J ≥ 0.8) is a candidate 99% of the time; 8 × 8 would
       miss a quarter of one-character edits of short posts (J ≈ 0.8); 16 × 4 finds slightly more
       near the threshold but fetches ~9× more false candidates on templated text (every
       candidate is checked) and holds a third more index entries.
    4. A candidate is a near-duplicate when its estimated Jaccard is ≥ ``dedupe.min_jaccard``
       (default 0.7) and it was published within ``dedupe.window_days``. What that means in
       edits: one changed character in a 30-character text gives J ≈ 0.81, a 2-character
       prefix on 40 characters ≈ 0.95, three edits in 100 characters ≈ 0.83 (but three edits in
       30 characters ≈ 0.5: not a copy any more); random pairs of ``data/corpus`` posts stay
       below 0.1.
    5. Shorter texts are matched only exactly (same signature text): a handful of characters
       has too few shingles for a similarity to mean anything.
    6. A near-duplicate gets ``dup_of`` = the root of the earliest-published matching post's
       cluster (the first post of the story seen), so clusters never chain. Within a batch,
       posts are taken in publication order, so an original and its reposts arriving together
       make the original the root.

Why MinHash and not SimHash: a 64-bit SimHash over the same shingles flips several bits for a
one-character edit (with ≤ 3 bits allowed it found ~17% of one-character edits of 40-character
texts), and its pigeonhole banding needs exact per-post SQL work; MinHash estimates the
similarity we actually mean (shared shingles), its error shrinks predictably with the number of
permutations, and banding gives a tunable recall curve.

Storage and cost: the index lives in ``dedupe.db`` in the data dir, independent of the post store,
so both stores see the same decisions, and re-ingesting a post returns the decision made the
first time. On disk are only the ``posts`` rows (id, publication, root and the 256-byte
signature — none for short texts and for exact reposts of their match, which add nothing the
index does not already find) and the ``exact`` table of short texts; an index from before
kept 12 band rows a post in an ``lsh`` table, which opening it folds into the signatures and
drops. The LSH band index lives in memory (:class:`_Window`), built on first use from the
stored signatures of the posts published within a window of the batch's time range (a partial
index on ``published`` for signed rows makes that a range scan), extended when a batch falls
outside the range held, and trimmed once it holds more than a window beyond it; at the start
of each batch the rows another process added since (``rid`` above the last seen) are read in.
A batch costs a handful of SQL statements: one ``SELECT … WHERE id IN`` per 900 ids for known
posts, one exact-text query per 900 short texts, one root query for the matched candidates,
and multi-row inserts of the new rows (180 a statement: one SQLite step, so one release of
the GIL — which a busy store-writer thread takes each time — instead of one a row); candidate
pairs are joined and verified in numpy, for held candidates and for matches within the batch
alike (a hot band key inside one batch — a repost storm — pairs each post with its group's 3
earliest posts and the one just before it, so the work stays linear).

Memory: a post held costs its signature (256 B), rid and publication (16 B) and 12 band entries
(key and row, 144 B) ≈ 0.42 KB (≈ 0.5 KB measured with the arrays' growth room, up to twice
that while a large run merges); with in-order ingestion one to two windows of posts are held,
so 10⁶ posts in the window ≈ 0.4–1 GB.

Cost (dedupe alone, ``DedupeIndex.assign`` over 10⁵ synthetic, templated posts from
``yuqing.pipeline.synthetic`` in batches of 1000): ≈ 40 µs a post (≈ 140 µs when the band rows were
in SQLite), about a quarter of it the MinHash; a cold start reads 10⁵ held signatures in
≈ 0.4 s. Not done yet: signatures of posts older than the window stay on disk (never read
again; only their decisions are).
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from yuqing.pipeline.core.record import Post

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context

_STRIP = re.compile(
    r"https?://\S+|//@[^:：\s]{1,30}[:：]|@[\w\u4e00-\u9fff-]{1,30}|转发微博|\[[^\[\]]{1,8}\]|[^\w]|_",
)
SHINGLE = 3
PERMUTATIONS = 64
BANDS, ROWS = 12, 5
SCHEME = f"minhash{PERMUTATIONS}-k{SHINGLE}-b{BANDS}r{ROWS}-v1"
SQL_CHUNK = 900  # bound parameters per statement (SQLite's historical limit is 999)
_CHUNK_ROWS = 4096  # shingles per vectorised step (4096 × 64 × 4 B = 1 MB of scratch)

_U64 = np.uint64
_M1, _M2 = _U64(0xBF58476D1CE4E5B9), _U64(0x94D049BB133111EB)
_rng = np.random.default_rng(0x59755169)  # fixed: signatures must be stable across runs
_A = _rng.integers(0, 2**32, PERMUTATIONS, dtype=np.uint32, endpoint=False) | np.uint32(1)
_B = _rng.integers(0, 2**32, PERMUTATIONS, dtype=np.uint32, endpoint=False)
_BAND_SEED = _rng.integers(0, 2**64, BANDS, dtype=np.uint64, endpoint=False)
_MAX32 = np.iinfo(np.uint32).max


def signature_text(text: str) -> str:
    return _STRIP.sub("", text).lower()


def _splitmix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> _U64(30))) * _M1
    z = (z ^ (z >> _U64(27))) * _M2
    return z ^ (z >> _U64(31))


def minhash_batch(texts: Sequence[str]) -> np.ndarray:
    """MinHash signatures (``len(texts)`` × 64, uint32) of the character 3-shingle sets."""
    n = len(texts)
    if n == 0:
        return np.zeros((0, PERMUTATIONS), dtype=np.uint32)
    # a text shorter than one shingle is one (padded) shingle; signature_text never yields \0
    texts = [t if len(t) >= SHINGLE else t.ljust(SHINGLE, "\0") for t in texts]
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    cps = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    # code points are < 2**21, so three of them pack exactly into 63 bits
    packed = (cps[:-2] << _U64(42)) | (cps[1:-1] << _U64(21)) | cps[2:]
    ends = np.cumsum(lens)
    valid = np.ones(len(packed), dtype=bool)
    for back in (1, 2):  # shingles straddling two texts
        cut = ends - back
        valid[cut[cut < len(packed)]] = False
    hashes = (_splitmix(packed[valid]) >> _U64(32)).astype(np.uint32)
    counts = lens - (SHINGLE - 1)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    out = np.full((n, PERMUTATIONS), _MAX32, dtype=np.uint32)
    buf = np.empty((_CHUNK_ROWS, PERMUTATIONS), dtype=np.uint32)
    total = len(hashes)
    for c0 in range(0, total, _CHUNK_ROWS):
        c1 = min(c0 + _CHUNK_ROWS, total)
        first = int(np.searchsorted(starts, c0, side="right")) - 1
        last = int(np.searchsorted(starts, c1, side="left"))  # exclusive
        local = np.maximum(starts[first:last] - c0, 0)
        part = buf[: c1 - c0]
        np.multiply(hashes[c0:c1, None], _A, out=part)
        part += _B
        red = np.minimum.reduceat(part, local, axis=0)
        np.minimum(out[first:last], red, out=out[first:last])
    return out


def band_keys(sigs: np.ndarray) -> np.ndarray:
    """LSH band keys (n × 12, int64): each band's 5 values hashed together with its index."""
    bands = sigs[:, :BANDS * ROWS].reshape(len(sigs), BANDS, ROWS).astype(np.uint64)
    key = np.broadcast_to(_BAND_SEED, (len(sigs), BANDS)).copy()
    for r in range(ROWS):
        key = _splitmix(key ^ bands[:, :, r])
    return key.view(np.int64)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two MinHash signatures."""
    return float(np.count_nonzero(a == b)) / PERMUTATIONS


def _chunks(items: Sequence, size: int = SQL_CHUNK) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _pairs(needles: np.ndarray, owners: np.ndarray, sorted_keys: np.ndarray,
           values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, ``values`` entry) for each of the sorted ``needles`` found in ``sorted_keys``."""
    left = np.searchsorted(sorted_keys, needles, side="left")
    counts = np.searchsorted(sorted_keys, needles, side="right") - left
    total = int(counts.sum())
    at = np.repeat(left - (np.cumsum(counts) - counts), counts) + np.arange(total)
    return np.repeat(owners, counts), values[at]


def _grow(a: np.ndarray, n: int, cap: int) -> np.ndarray:
    out = np.empty((cap, *a.shape[1:]), dtype=a.dtype)
    out[:n] = a[:n]
    return out


class _Window:
    """The indexed posts (those with a stored signature) published in ``[lo, hi]``, in memory:
    rid, publication and signature in growing numpy arrays, and the LSH band index as a few
    sorted (band key, row) runs — a new batch is a small run, merged into the one before it
    while that one is not more than twice as large, so there are O(log n) runs and each entry
    is merged O(log n) times."""

    def __init__(self) -> None:
        self.n = 0
        self.rid = np.zeros(0, dtype=np.int64)
        self.when = np.zeros(0, dtype=np.int64)
        self.sig = np.zeros((0, PERMUTATIONS), dtype=np.uint32)
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []
        self.lo: int | None = None  # published range held (None: nothing loaded yet)
        self.hi: int | None = None
        self.last_rid = 0  # every row up to this rid in [lo, hi] is held

    def load(self, cur: sqlite3.Cursor, lo: int, hi: int, window_ms: int) -> None:
        """Hold ``[lo, hi]``: read rows other writers added since the last batch, and the rows
        of the part of the range not held yet; drop rows more than a window outside it."""
        max_rid = cur.execute("SELECT COALESCE(MAX(rid), 0) FROM posts").fetchone()[0]
        if self.lo is not None and (self.lo < lo - window_ms or self.hi > hi + window_ms):
            self._keep(max(self.lo, lo), min(self.hi, hi))
        found: list[tuple[int, int, bytes]] = []
        select = "SELECT rid, published, sig FROM posts WHERE sig IS NOT NULL AND published BETWEEN ? AND ?"
        if self.lo is None:
            found += cur.execute(select, (lo, hi))
            self.lo, self.hi = lo, hi
        else:
            if max_rid > self.last_rid:
                found += cur.execute(select + " AND rid > ?", (self.lo, self.hi, self.last_rid))
            if lo < self.lo:
                found += cur.execute(select, (lo, self.lo - 1))
            if hi > self.hi:
                found += cur.execute(select, (self.hi + 1, hi))
            self.lo, self.hi = min(self.lo, lo), max(self.hi, hi)
        self.last_rid = max_rid
        if found:
            self.add(np.array([r[0] for r in found], dtype=np.int64), np.array([r[1] for r in found], dtype=np.int64),
                     np.frombuffer(b"".join(r[2] for r in found), dtype=np.uint32).reshape(-1, PERMUTATIONS))

    def add(self, rid: np.ndarray, when: np.ndarray, sig: np.ndarray) -> None:
        m, n = len(rid), self.n
        if n + m > len(self.rid):
            cap = max(2 * len(self.rid), n + m, 1024)
            self.rid, self.when, self.sig = (_grow(a, n, cap) for a in (self.rid, self.when, self.sig))
        self.rid[n:n + m], self.when[n:n + m], self.sig[n:n + m] = rid, when, sig
        self.n += m
        keys = band_keys(sig).ravel()
        order = np.argsort(keys)
        run = keys[order], np.arange(n, n + m, dtype=np.int32).repeat(BANDS)[order]
        while self.runs and len(self.runs[-1][0]) <= 2 * len(run[0]):
            last = self.runs.pop()
            at = np.searchsorted(last[0], run[0])
            run = np.insert(last[0], at, run[0]), np.insert(last[1], at, run[1])
        self.runs.append(run)

    def _keep(self, lo: int, hi: int) -> None:
        """Drop the rows published outside ``[lo, hi]``."""
        if lo > hi:
            self.__init__()
            return
        keep = (self.when[:self.n] >= lo) & (self.when[:self.n] <= hi)
        renumber = (np.cumsum(keep) - 1).astype(np.int32)
        self.rid, self.when, self.sig = self.rid[:self.n][keep], self.when[:self.n][keep], self.sig[:self.n][keep]
        self.n = len(self.rid)
        runs = [(k[keep[r]], renumber[r[keep[r]]]) for k, r in self.runs]
        self.runs = [run for run in runs if len(run[0])]
        self.lo, self.hi = lo, hi

    def candidates(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distinct (row of ``keys``, held row) pairs sharing at least one band key."""
        if not self.n:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        flat = keys.ravel()
        order = np.argsort(flat)  # sorted needles: the binary searches walk the runs in order
        needles, owners = flat[order], order // keys.shape[1]
        found = [_pairs(needles, owners, k, r) for k, r in self.runs]
        code = np.unique(np.concatenate([j for j, _ in found]) * self.n + np.concatenate([c for _, c in found]))
        return code // self.n, code % self.n


def _self_join(keys: np.ndarray, first: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (row, earlier row) pairs sharing a band key. A hot key (a repost storm in one
    batch) would make pairs quadratic, so each row meets only the ``first`` earliest rows and
    the row just before it in each key's group."""
    n = len(keys)
    flat = keys.ravel()
    rows = np.arange(n).repeat(keys.shape[1])
    order = np.lexsort((rows, flat))
    sk, sr = flat[order], rows[order]
    at = np.arange(len(sk))
    group = np.searchsorted(sk, sk, side="left")
    js, qs = [], []
    for partner in [group + c for c in range(first)] + [at - 1]:
        ok = (partner >= group) & (partner < at)
        js.append(sr[ok])
        qs.append(sr[partner[ok]])
    j, q = np.concatenate(js), np.concatenate(qs)
    keep = q < j
    code = np.unique(j[keep] * n + q[keep])
    return code // n, code % n


def _select_in(cur: sqlite3.Cursor, sql: str, values: Sequence) -> Iterator[tuple]:
    """The rows of ``sql`` (ending in ``IN``) over all ``values``, one statement per SQL_CHUNK."""
    for chunk in _chunks(values):
        yield from cur.execute(f"{sql} ({','.join('?' * len(chunk))})", chunk)


def _unseen(posts: list[Post], known: dict[str, str]) -> list[tuple[int, str, str]]:
    """(published ms, id, signature text) of the posts not in ``known``, once each, in
    publication order: an original ingested with its reposts becomes the root."""
    seen: set[str] = set()
    new: list[tuple[int, str, str]] = []
    for p in posts:
        if p.id not in known and p.id not in seen:
            seen.add(p.id)
            new.append((int(p.published_at.timestamp() * 1000), p.id, signature_text(p.text)))
    new.sort()
    return new


@dataclass
class _Batch:
    """The new posts of a batch in publication order and the MinHash data of its long texts
    (those of at least ``min_chars``), row ``k`` of each array being ``new[long_at[k]]``."""

    new: list[tuple[int, str, str]]  # (published ms, id, signature text)
    long_at: list[int]
    sigs: np.ndarray
    keys: np.ndarray
    when: np.ndarray

    @classmethod
    def of(cls, new: list[tuple[int, str, str]], min_chars: int) -> _Batch:
        long_at = [i for i, (_, _, t) in enumerate(new) if len(t) >= min_chars]
        sigs = minhash_batch([new[i][2] for i in long_at])
        when = np.fromiter((new[i][0] for i in long_at), dtype=np.int64, count=len(long_at))
        return cls(new, long_at, sigs, band_keys(sigs), when)

    def short_texts(self, min_chars: int) -> list[str]:
        """The distinct non-empty short texts (matched only exactly)."""
        return list({t for _, _, t in self.new if t and len(t) < min_chars})


@dataclass
class _Rows:
    """What a batch writes: ``posts`` rows, ``exact`` rows, and the long texts stored with a
    signature (rows of the batch's ``sigs`` and their rids)."""

    rows: list[tuple] = field(default_factory=list)
    exact_rows: list[tuple[str, int]] = field(default_factory=list)
    indexed: list[int] = field(default_factory=list)
    indexed_rid: list[int] = field(default_factory=list)

    def unsigned(self, rid: int, pid: str, when: int, root: str) -> None:
        """A post that is no candidate: a short text, or an exact repost of its match."""
        self.rows.append((rid, pid, when, root, None))

    def signed(self, rid: int, pid: str, when: int, root: str, k: int, sig: np.ndarray) -> None:
        """A long text stored with its signature ``sig``, row ``k`` of the batch's ``sigs``."""
        self.rows.append((rid, pid, when, root, sig.tobytes()))
        self.indexed.append(k)
        self.indexed_rid.append(rid)

    def insert(self, cur: sqlite3.Cursor) -> None:
        # multi-row statements: one SQLite step (and one release of the GIL) per 180 rows, not per row
        for chunk in _chunks(self.rows, SQL_CHUNK // 5):
            cur.execute("INSERT INTO posts (rid, id, published, root, sig) VALUES"
                        + ",".join(["(?, ?, ?, ?, ?)"] * len(chunk)), [v for row in chunk for v in row])
        cur.executemany("INSERT OR REPLACE INTO exact (text, rid) VALUES (?, ?)", self.exact_rows)


class DedupeIndex:
    SCHEMA = """
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS posts (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
                                      published INTEGER NOT NULL, root TEXT NOT NULL, sig BLOB);
    CREATE INDEX IF NOT EXISTS posts_signed ON posts (published) WHERE sig IS NOT NULL;
    CREATE TABLE IF NOT EXISTS exact (text TEXT PRIMARY KEY, rid INTEGER NOT NULL);
    """

    def __init__(self, path, *, min_jaccard: float = 0.7, min_chars: int = 16, window_days: float = 14):
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=30000")
        self.db.execute("PRAGMA cache_size=-65536")  # 64 MB: the id index is written at random keys
        self._migrate()
        self.min_jaccard = min_jaccard
        self.min_chars = min_chars
        self.window_ms = int(window_days * 86400 * 1000)
        self._window = _Window()  # loaded on first use

    def _migrate(self) -> None:
        """Create the schema; carry the decisions of a SimHash-era index over (without signatures,
        so those posts keep their clusters on re-ingest but are no longer candidates)."""
        db = self.db
        db.executescript(self.SCHEMA)
        db.execute("BEGIN IMMEDIATE")
        try:
            if "simhash" in [r[1] for r in db.execute("PRAGMA table_info(sigs)")]:
                db.execute("INSERT OR IGNORE INTO posts (id, published, root) SELECT id, published, root FROM sigs")
                db.execute("DROP TABLE IF EXISTS bands")
                db.execute("DROP TABLE sigs")
            if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'lsh'").fetchone():
                # the band rows of an index that kept them on disk: a post without band rows (an
                # exact repost) is no candidate, which a missing signature now says
                db.execute("UPDATE posts SET sig = NULL WHERE sig IS NOT NULL AND rid NOT IN (SELECT rid FROM lsh)")
                db.execute("DROP TABLE lsh")
            row = db.execute("SELECT value FROM meta WHERE key = 'scheme'").fetchone()
            if row is None:
                db.execute("INSERT INTO meta (key, value) VALUES ('scheme', ?)", (SCHEME,))
            elif row[0] != SCHEME:
                raise RuntimeError(f"dedupe index was built with {row[0]}, this version uses {SCHEME}: "
                                   "move dedupe.db aside to start a new index")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def assign(self, posts: list[Post]) -> int:
        """Set ``dup_of`` on each post; return how many are near-duplicates."""
        if not posts:
            return 0
        cur = self.db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            roots, signed = self._assign(cur, posts)
            cur.execute("COMMIT")
        except BaseException:
            self._window = _Window()  # may hold rows that were rolled back: reload on next use
            cur.execute("ROLLBACK")
            raise
        if signed is not None:
            self._window.add(*signed)
            self._window.last_rid = max(self._window.last_rid, int(signed[0].max(initial=0)))
        dups = 0
        for post in posts:
            root = roots[post.id]
            post.dup_of = None if root == post.id else root
            dups += post.dup_of is not None
        return dups

    def _assign(self, cur: sqlite3.Cursor, posts: list[Post]) -> tuple[dict[str, str], tuple | None]:
        """The root of each post, and the (rids, publications, signatures) of the new indexed
        posts to add to the window once committed."""
        roots: dict[str, str] = dict(_select_in(cur, "SELECT id, root FROM posts WHERE id IN",
                                                list(dict.fromkeys(p.id for p in posts))))
        new = _unseen(posts, roots)
        if not new:
            return roots, None
        batch = _Batch.of(new, self.min_chars)
        exact = {text: (when, root, rid) for text, when, root, rid in _select_in(
            cur, "SELECT e.text, p.published, p.root, p.rid FROM exact e JOIN posts p ON p.rid = e.rid"
                 " WHERE e.text IN", batch.short_texts(self.min_chars))}
        self._window.load(cur, new[0][0] - self.window_ms, new[-1][0] + self.window_ms, self.window_ms)
        held, identical = self._held_matches(cur, batch)
        earlier = self._batch_matches(batch)
        next_rid = cur.execute("SELECT COALESCE(MAX(rid), 0) FROM posts").fetchone()[0] + 1
        out = _Rows()
        long_root: list[str] = []  # root of each long text of the batch, in order
        k = 0
        for i, (when, pid, text) in enumerate(new):
            rid = next_rid + i
            if k < len(batch.long_at) and batch.long_at[k] == i:
                root, same = self._earliest_match(held.get(k), k in identical, earlier.get(k, ()), when,
                                                  batch.when, long_root)
                root = root or pid
                long_root.append(root)
                if same:  # an exact repost adds nothing the index does not already find
                    out.unsigned(rid, pid, when, root)
                else:
                    out.signed(rid, pid, when, root, k, batch.sigs[k])
                k += 1
            else:
                root = self._short_root(rid, pid, when, text, exact, out)
                out.unsigned(rid, pid, when, root)
            roots[pid] = root
        out.insert(cur)
        return roots, (np.array(out.indexed_rid, dtype=np.int64), batch.when[out.indexed], batch.sigs[out.indexed])

    def _held_matches(self, cur: sqlite3.Cursor, batch: _Batch) -> tuple[dict[int, tuple[int, str]], set[int]]:
        """For each long text with a match among the held posts: (published, root) of the
        earliest; and the long texts whose signature equals that match's within half a window."""
        win = self._window
        j, c = win.candidates(batch.keys)
        j, c, same = self._verify(j, c, batch.when, win.when, batch.sigs, win.sig)
        first = np.unique(j, return_index=True)[1]  # pairs come earliest candidate first
        j, c, same = j[first], c[first], same[first]
        match_rids = win.rid[c].tolist()
        root_of = dict(_select_in(cur, "SELECT rid, root FROM posts WHERE rid IN", match_rids))
        best: dict[int, tuple[int, str]] = {}
        identical: set[int] = set()
        for jj, cc, rid, eq in zip(j.tolist(), c.tolist(), match_rids, same.tolist(), strict=True):
            best[jj] = (int(win.when[cc]), root_of[rid])
            if eq and abs(best[jj][0] - batch.when[jj]) <= self.window_ms // 2:
                identical.add(jj)
        return best, identical

    def _batch_matches(self, batch: _Batch) -> dict[int, list[tuple[int, bool]]]:
        """For each long text, the earlier long texts of the same batch it matches, earliest
        first, each with whether the signatures are identical."""
        j, q = _self_join(batch.keys)
        j, q, same = self._verify(j, q, batch.when, batch.when, batch.sigs, batch.sigs)
        earlier: dict[int, list[tuple[int, bool]]] = defaultdict(list)
        for jj, qq, eq in zip(j.tolist(), q.tolist(), same.tolist(), strict=True):
            earlier[jj].append((qq, eq))
        return earlier

    def _earliest_match(self, match: tuple[int, str] | None, same: bool, earlier: Iterable[tuple[int, bool]],
                        when: int, when_long: np.ndarray, long_root: list[str]) -> tuple[str | None, bool]:
        """The root of the earliest match of a long text — held (``match``, ``same``) or earlier in
        the batch — or None; and whether it is an exact repost (identical within half a window)."""
        for qq, eq in earlier:
            qwhen = int(when_long[qq])
            if match is None or qwhen < match[0]:
                match = (qwhen, long_root[qq])
                same = eq and when - qwhen <= self.window_ms // 2
        return (None if match is None else match[1]), same

    def _short_root(self, rid: int, pid: str, when: int, text: str,
                    exact: dict[str, tuple[int, str, int]], out: _Rows) -> str:
        """The root of a short text: the owner of the same text within a window, else itself
        (and it owns the text from now on)."""
        if not text:
            return pid
        hit = exact.get(text)
        if hit and abs(hit[0] - when) <= self.window_ms:
            return hit[1]
        exact[text] = (when, pid, rid)  # the newest story owns the text from now on
        out.exact_rows.append((text, rid))
        return pid

    def _verify(self, j, c, when_j, when_c, sig_j, sig_c):
        """Keep pairs within the window whose estimated Jaccard reaches the threshold, sorted by
        post then candidate publication; also say which signatures are identical."""
        ok = np.abs(when_j[j] - when_c[c]) <= self.window_ms
        j, c = j[ok], c[ok]
        equal = np.count_nonzero(sig_j[j] == sig_c[c], axis=1)
        ok = equal >= self.min_jaccard * PERMUTATIONS
        j, c, equal = j[ok], c[ok], equal[ok]
        order = np.lexsort((when_c[c], j))
        return j[order], c[order], equal[order] == PERMUTATIONS

    def close(self) -> None:
        self.db.close()


class DedupeStage:
    name = "dedupe"

    def __init__(self, ctx: Context):
        cfg = ctx.settings.dedupe
        self.index = DedupeIndex(ctx.path("dedupe.db"), min_jaccard=cfg.min_jaccard,
                                 min_chars=cfg.min_chars, window_days=cfg.window_days)
        self.duplicates = 0

    def process(self, posts: list[Post]) -> None:
        self.duplicates += self.index.assign(posts)
