"""Embedded post store: one SQLite file in the data dir (WAL, FTS5). Zero setup.

Schema
    ``posts``        one row a post: scalar columns used for filtering and grouping, and ``doc``,
                     the full record as JSON (the source of truth when reading back).
    ``post_labels``  multi-valued fields, one row per value: ``kind`` is ``topic``, ``unit``
                     (``org_units``) or ``path`` (``org_path``).
    ``posts_fts``    FTS5 over the segmented text (:func:`yuqing.pipeline.core.textindex.index_text`); its
                     rowid is the post's rowid.

Query semantics are those documented in :mod:`yuqing.pipeline.store.base`. A file another
process holds locked (past ``busy_timeout`` seconds) or a damaged file gives a :class:`StoreError`
naming the file and what to do, not a bare ``sqlite3`` error.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from yuqing.pipeline.core.record import Post
from yuqing.pipeline.core.textindex import index_text, query_tokens
from yuqing.pipeline.store.base import (
    AggRow,
    Dimension,
    PostFilter,
    PostStore,
    SearchPage,
    StoreError,
    UpsertResult,
    parse_interval,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    rowid      INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    platform   TEXT NOT NULL,
    source     TEXT NOT NULL,
    published  INTEGER NOT NULL,          -- epoch milliseconds
    author     TEXT NOT NULL,
    sentiment  TEXT,
    dup_of     TEXT,
    cluster    TEXT NOT NULL,
    engagement REAL NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS posts_published ON posts(published, id);
CREATE INDEX IF NOT EXISTS posts_platform ON posts(platform, published);
CREATE TABLE IF NOT EXISTS post_labels (
    kind  TEXT NOT NULL,
    value TEXT NOT NULL,
    post  INTEGER NOT NULL,
    PRIMARY KEY (kind, value, post)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS post_labels_post ON post_labels(post);
CREATE VIRTUAL TABLE IF NOT EXISTS posts_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 0');
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""
SCHEMA_VERSION = "1"

_LABEL_KIND = {"topic": "topic", "unit": "unit", "unit_tree": "path"}
_COLUMN_DIM = {"sentiment": "p.sentiment", "platform": "p.platform", "source": "p.source"}


def _ms(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise StoreError(f"naive datetime {dt.isoformat()} in a filter: give a time zone")
    return int(dt.timestamp() * 1000)


def _fts_query(tokens: list[str]) -> str:
    return " ".join('"' + t.replace('"', '""') + '"' for t in tokens)


class SqliteStore(PostStore):
    name = "sqlite"

    def __init__(self, path: str | Path, tz: str | ZoneInfo = "Asia/Shanghai", *, busy_timeout: float = 30.0):
        """``busy_timeout``: seconds to wait for another process's write lock before giving up."""
        self.path = Path(path)
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        self.busy_timeout = busy_timeout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._errors("opening"):
            # the timeout is SQLite's busy timeout, in force from the first statement on
            self.db = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None,
                                      check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Turn a database-level SQLite error while ``doing`` into a StoreError naming the file."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF  # primary result code
            if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise StoreError(f"SQLite store {self.path} is locked by another process (waited "
                                 f"{self.busy_timeout:g} s) while {doing}: {exc}; try again when it is done") from exc
            if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
                raise StoreError(f"SQLite store {self.path} is damaged ({exc}) while {doing}: restore it from a "
                                 "backup, or move it aside and ingest again") from exc
            if code:
                raise StoreError(f"SQLite store {self.path}: {doing} failed: {exc}") from exc
            raise

    # -- writing ---------------------------------------------------------------------------

    def upsert_many(self, posts: Sequence[Post]) -> UpsertResult:
        result = UpsertResult()
        if not posts:
            return result
        with self._errors("writing"):
            self._upsert(self.db.cursor(), posts, result)
        return result

    def _upsert(self, cur: sqlite3.Cursor, posts: Sequence[Post], result: UpsertResult) -> None:
        cur.execute("BEGIN IMMEDIATE")
        try:
            for post in posts:
                row = (
                    post.id, post.platform, post.source, _ms(post.published_at), post.author.id,
                    post.sentiment.label if post.sentiment else None, post.dup_of, post.cluster,
                    float(post.metrics.engagement()), post.to_json(),
                )
                existing = cur.execute("SELECT rowid FROM posts WHERE id = ?", (post.id,)).fetchone()
                if existing:
                    rowid = existing[0]
                    cur.execute(
                        "UPDATE posts SET id=?, platform=?, source=?, published=?, author=?, sentiment=?,"
                        " dup_of=?, cluster=?, engagement=?, doc=? WHERE rowid=?", (*row, rowid))
                    cur.execute("DELETE FROM post_labels WHERE post = ?", (rowid,))
                    cur.execute("DELETE FROM posts_fts WHERE rowid = ?", (rowid,))
                    result.updated += 1
                else:
                    cur.execute(
                        "INSERT INTO posts (id, platform, source, published, author, sentiment, dup_of,"
                        " cluster, engagement, doc) VALUES (?,?,?,?,?,?,?,?,?,?)", row)
                    rowid = cur.lastrowid
                    result.created += 1
                labels = [("topic", t, rowid) for t in set(post.topics)]
                labels += [("unit", u, rowid) for u in set(post.org_units)]
                labels += [("path", u, rowid) for u in set(post.org_path)]
                if labels:
                    cur.executemany("INSERT OR IGNORE INTO post_labels (kind, value, post) VALUES (?,?,?)",
                                    labels)
                cur.execute("INSERT INTO posts_fts (rowid, body) VALUES (?, ?)",
                            (rowid, index_text(post.title, post.content)))
            cur.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                cur.execute("ROLLBACK")
            raise

    # -- reading ---------------------------------------------------------------------------

    def _rows(self, doing: str, sql: str, params: Sequence = ()) -> list[tuple]:
        """All rows of a read, its errors named as those of ``doing``."""
        with self._errors(doing):
            return self.db.execute(sql, params).fetchall()

    def get(self, post_id: str) -> Post | None:
        rows = self._rows("reading a post", "SELECT doc FROM posts WHERE id = ?", (post_id,))
        return Post.model_validate_json(rows[0][0]) if rows else None

    def get_many(self, post_ids: Sequence[str]) -> dict[str, Post]:
        out: dict[str, Post] = {}
        ids = list(post_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            marks = ",".join("?" * len(chunk))
            for (doc,) in self._rows("reading posts", f"SELECT doc FROM posts WHERE id IN ({marks})", chunk):
                post = Post.model_validate_json(doc)
                out[post.id] = post
        return out

    def _where(self, flt: PostFilter) -> tuple[str, list]:
        clauses: list[str] = []
        params: list = []
        if flt.since is not None:
            clauses.append("p.published >= ?")
            params.append(_ms(flt.since))
        if flt.until is not None:
            clauses.append("p.published < ?")
            params.append(_ms(flt.until))
        for column, values in (("p.platform", flt.platforms), ("p.sentiment", flt.sentiments),
                               ("p.source", flt.sources), ("p.author", flt.authors)):
            if values:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                params.extend(values)
        for kind, values in (("topic", flt.topics), ("path", flt.units)):
            if values:
                clauses.append(
                    "EXISTS (SELECT 1 FROM post_labels l WHERE l.post = p.rowid AND l.kind = ?"
                    f" AND l.value IN ({','.join('?' * len(values))}))")
                params.extend([kind, *values])
        if flt.exclude_duplicates:
            clauses.append("p.dup_of IS NULL")
        if flt.text is not None:
            tokens = query_tokens(flt.text)
            if not tokens:
                clauses.append("0")
            else:
                clauses.append("p.rowid IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?)")
                params.append(_fts_query(tokens))
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def search(self, flt: PostFilter, *, limit: int = 20, offset: int = 0,
               sort: Literal["time", "relevance"] = "time") -> SearchPage:
        where, params = self._where(flt)
        total = self._rows("counting", f"SELECT COUNT(*) FROM posts p{where}", params)[0][0]
        if sort == "relevance" and flt.text and query_tokens(flt.text):
            sql = (f"SELECT p.doc FROM posts p JOIN posts_fts f ON f.rowid = p.rowid{where}"
                   f"{' AND' if where else ' WHERE'} posts_fts MATCH ? ORDER BY bm25(posts_fts), p.id"
                   " LIMIT ? OFFSET ?")
            rows = self._rows("searching", sql, [*params, _fts_query(query_tokens(flt.text)), limit, offset])
        else:
            rows = self._rows(
                "searching",
                f"SELECT p.doc FROM posts p{where} ORDER BY p.published DESC, p.id DESC LIMIT ? OFFSET ?",
                [*params, limit, offset])
        return SearchPage(total=total, posts=[Post.model_validate_json(r[0]) for r in rows])

    def count(self, flt: PostFilter = PostFilter()) -> int:
        where, params = self._where(flt)
        return self._rows("counting", f"SELECT COUNT(*) FROM posts p{where}", params)[0][0]

    def aggregate(self, flt: PostFilter = PostFilter(), *, by: Sequence[Dimension] = (),
                  interval: str | None = None) -> list[AggRow]:
        where, params = self._where(flt)
        select: list[str] = []
        joins: list[str] = []
        join_params: list = []
        extra_where: list[str] = []
        if interval:
            step = parse_interval(interval) * 1000
            offset = int(datetime.now(self.tz).utcoffset().total_seconds() * 1000)
            select.append(f"((p.published + {offset}) / {step}) * {step} - {offset} AS bucket")
        for i, dim in enumerate(by):
            if dim in _LABEL_KIND:
                joins.append(f" JOIN post_labels d{i} ON d{i}.post = p.rowid AND d{i}.kind = ?")
                join_params.append(_LABEL_KIND[dim])
                select.append(f"d{i}.value AS k{i}")
            elif dim in _COLUMN_DIM:
                select.append(f"{_COLUMN_DIM[dim]} AS k{i}")
                extra_where.append(f"{_COLUMN_DIM[dim]} IS NOT NULL")
            else:
                raise StoreError(f"unknown dimension {dim!r}: use one of unit, unit_tree, topic, "
                                 "sentiment, platform, source")
        group = [c.split(" AS ")[1] for c in select]
        if extra_where:
            where = (where + " AND " if where else " WHERE ") + " AND ".join(extra_where)
        sql = (f"SELECT {', '.join(select + ['COUNT(*)', 'COUNT(DISTINCT p.author)', 'COUNT(DISTINCT p.cluster)', 'TOTAL(p.engagement)'])}"
               f" FROM posts p{''.join(joins)}{where}"
               + (f" GROUP BY {', '.join(group)} ORDER BY {', '.join(group)}" if group else ""))
        rows: list[AggRow] = []
        for rec in self._rows("aggregating", sql, [*join_params, *params]):
            pos = 0
            bucket = None
            if interval:
                bucket = datetime.fromtimestamp(rec[0] / 1000, tz=timezone.utc).astimezone(self.tz)
                pos = 1
            keys = {dim: rec[pos + i] for i, dim in enumerate(by)}
            n, authors, clusters, engagement = rec[pos + len(by):]
            if n == 0:
                continue
            rows.append(AggRow(bucket, keys, n, authors, clusters, float(engagement)))
        return rows

    def iter_range(self, flt: PostFilter = PostFilter(), *, batch_size: int = 1000) -> Iterator[Post]:
        where, params = self._where(flt)
        last: tuple[int, str] | None = None
        while True:
            page_where = where
            page_params = list(params)
            if last is not None:
                page_where = (where + " AND " if where else " WHERE ") + "(p.published, p.id) > (?, ?)"
                page_params += list(last)
            rows = self._rows(
                "reading posts",
                f"SELECT p.published, p.id, p.doc FROM posts p{page_where} ORDER BY p.published, p.id LIMIT ?",
                [*page_params, batch_size])
            if not rows:
                return
            for _, _, doc in rows:
                yield Post.model_validate_json(doc)
            last = (rows[-1][0], rows[-1][1])

    def health(self) -> dict:
        n = self._rows("counting", "SELECT COUNT(*) FROM posts")[0][0]
        return {"backend": self.name, "status": "ok", "path": str(self.path), "posts": n}

    def refresh(self) -> None:
        """Refresh the query planner's statistics (sampled, so cheap even at 10^6 posts).

        Without them SQLite may scan every label row for a grouped count; ingest calls this at
        the end of a run.
        """
        with self._errors("refreshing statistics"):
            self.db.execute("PRAGMA analysis_limit=1000")
            self.db.execute("ANALYZE")

    def close(self) -> None:
        try:
            self.db.close()
        except sqlite3.Error:
            pass


def bucket_start(dt: datetime, interval: str, tz: ZoneInfo) -> datetime:
    """The start of the time bucket ``dt`` falls in (same rule as the stores)."""
    step = parse_interval(interval)
    local = dt.astimezone(tz)
    offset = local.utcoffset().total_seconds()
    epoch = dt.timestamp()
    start = ((epoch + offset) // step) * step - offset
    return datetime.fromtimestamp(start, tz=timezone.utc).astimezone(tz)
