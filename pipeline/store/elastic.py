"""Elasticsearch post store (the production backend), same answers as :mod:`yuqing.pipeline.store.sqlite`.

Layout
    * Index template ``{prefix}-posts`` (:func:`posts_index_template`) over ``{prefix}-posts-*``:
      explicit mappings (``dynamic: false`` — an unknown field is kept in ``_source`` but not
      indexed, so a newer record never fails a bulk), keyword ids and labels, dates, integer
      metrics, a precomputed ``engagement`` and ``cluster``, the text both as-is (``title``,
      ``content``: ``text``, standard analyser) and jieba-segmented into ``text_seg`` (built by
      :func:`yuqing.pipeline.core.textindex.index_text`, analysed by the built-in ``whitespace`` analyser; the
      segmenter already folds case and width), so Chinese search needs no analysis plugin.
    * Monthly indices ``{prefix}-posts-YYYY.MM`` by ``published_at`` in the store's time zone,
      all behind the alias ``{prefix}-posts`` (the template adds the alias to each new index).
      Reads go through the alias.

Writes
    Bulk ``index`` actions keyed by ``_id = post.id`` through :func:`elasticsearch.helpers.streaming_bulk`
    (bodies serialised once by pydantic, item-level 429s retried with backoff by the helper).
    Created vs updated comes from the bulk item results. A post whose ``published_at`` moved to
    another month would land in another index: before each bulk the batch's ids are looked up
    through the alias (plus the ids this process wrote since its last refresh, which a search
    cannot see yet) and the old copy is deleted in the same bulk request — a post is never doubled.

Errors
    Transient failures (connection refused/reset, timeouts, 429/502/503/504) are retried with
    exponential backoff ``max_retries`` times, then raise :class:`StoreUnavailable` naming the URL
    (ingest spools the batch). 401 → :class:`StoreError` pointing at ``YUQING_ES_API_KEY`` or
    ``YUQING_ES_USERNAME``/``YUQING_ES_PASSWORD``; 403 names the missing privilege; TLS failures
    name ``YUQING_ES_CA_CERTS``.

Reads
    ``search``: ``bool`` filters + a ``match`` on ``text_seg`` with ``operator: and`` over
    :func:`yuqing.pipeline.core.textindex.query_tokens`; sorted ``published_at`` desc, ``id`` desc.
    ``aggregate``: a paginated ``composite`` aggregation (``date_histogram`` with ``time_zone`` +
    ``terms`` sources) with ``cardinality`` of ``author.id`` and ``cluster`` (precision threshold
    40,000) and the ``sum`` of ``engagement``. ``iter_range``: point-in-time + ``search_after``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

import elastic_transport
from elasticsearch import ApiError, BadRequestError, NotFoundError, helpers

from yuqing.pipeline.core import es
from yuqing.pipeline.core.config import ElasticsearchSettings
from yuqing.pipeline.core.record import Post
from yuqing.pipeline.core.textindex import index_text, query_tokens
from yuqing.pipeline.store.base import (
    AggRow,
    Dimension,
    PostFilter,
    PostStore,
    SearchPage,
    StoreError,
    StoreUnavailable,
    UpsertResult,
    parse_interval,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

#: bump when the mapping or settings below change; ``yuqing es setup`` upgrades older templates
TEMPLATE_VERSION = 2
#: fields derived at index time; not part of the record, stripped when reading back
DERIVED_FIELDS = ("engagement", "cluster", "text_seg")
#: dimension → field
DIM_FIELDS = {
    "unit": "org_units",
    "unit_tree": "org_path",
    "topic": "topics",
    "sentiment": "sentiment.label",
    "platform": "platform",
    "source": "source",
}
MAX_WINDOW = 10_000  # index.max_result_window: deeper pages go by search_after
_KEYWORD = {"type": "keyword"}


def posts_alias(prefix: str) -> str:
    return f"{prefix}-posts"


def month_index(prefix: str, published_at: datetime, tz: ZoneInfo) -> str:
    """The monthly index a post belongs to: ``{prefix}-posts-YYYY.MM`` in the store's time zone."""
    return f"{prefix}-posts-{published_at.astimezone(tz):%Y.%m}"


def posts_index_template(prefix: str, *, shards: int = 1, replicas: int = 0, refresh_interval: str = "5s") -> dict:
    """The composable index template body for ``{prefix}-posts-*`` (name: ``{prefix}-posts``)."""
    score = {"type": "float"}
    mappings = {
        "dynamic": False,
        "_source": {"excludes": ["text_seg"]},
        "properties": {
            "id": _KEYWORD,
            "platform": _KEYWORD,
            "source": _KEYWORD,
            "url": {"type": "keyword", "index": False, "doc_values": False},
            "title": {"type": "text", "analyzer": "standard"},
            "content": {"type": "text", "analyzer": "standard"},
            # searched with match/AND only (phrases go to content): no positions to write
            "text_seg": {"type": "text", "analyzer": "whitespace", "index_options": "freqs"},
            "author": {"properties": {
                "id": _KEYWORD,
                "name": {"type": "keyword", "fields": {"text": {"type": "text", "analyzer": "standard"}}},
            }},
            "published_at": {"type": "date"},
            "crawled_at": {"type": "date"},
            "metrics": {"properties": {k: {"type": "integer"} for k in ("reposts", "comments", "likes", "reads")}},
            "engagement": {"type": "long"},
            "thread_id": _KEYWORD,
            "reply_to": _KEYWORD,
            "location": _KEYWORD,
            "topics": _KEYWORD,
            "sentiment": {"properties": {
                "label": _KEYWORD,
                "scores": {"properties": {k: score for k in ("negative", "neutral", "positive")}},
            }},
            "org_units": _KEYWORD,
            "org_path": _KEYWORD,
            "link_confidence": {"type": "float"},
            "dup_of": _KEYWORD,
            "cluster": _KEYWORD,
        },
    }
    return {
        "index_patterns": [f"{prefix}-posts-*"],
        # above the built-in logs-*-*/metrics-*-* templates (priority 100), whatever the prefix
        "priority": 500,
        "template": {
            "settings": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                # bulk ingest costs much less with fewer, larger segments; alerts, briefings
                # and tests call refresh() before they read
                "refresh_interval": refresh_interval,
                "max_result_window": MAX_WINDOW,
            },
            "mappings": mappings,
            "aliases": {posts_alias(prefix): {}},
        },
        "_meta": {"managed_by": "yuqing", "version": TEMPLATE_VERSION},
    }


def _jstr(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def document_bytes(post: Post) -> bytes:
    """The ``_source`` sent for a post: the record plus the derived fields, serialised once."""
    body = post.model_dump_json(exclude_none=True)
    extra = (f',"engagement":{post.metrics.engagement()},"cluster":{_jstr(post.cluster)},'
             f'"text_seg":{_jstr(index_text(post.title, post.content))}}}')
    return (body[:-1] + extra).encode("utf-8")


def post_from_source(source: dict) -> Post:
    for key in DERIVED_FIELDS:
        source.pop(key, None)
    return Post.model_validate(source)


class ElasticStore(PostStore):
    name = "elasticsearch"

    def __init__(self, settings: ElasticsearchSettings, tz: str | ZoneInfo = "Asia/Shanghai", *,
                 client: Any | None = None):
        self.settings = settings
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        self.prefix = settings.index_prefix
        self.alias = posts_alias(self.prefix)
        self.url = settings.url
        self.es = client or es.make_client(settings)
        self._known_indices: set[str] = set()
        self._template_ok = False
        self._unrefreshed: dict[str, str] = {}  # id → index, written since our last refresh
        self._executor = None
        self.backoff = 0.5

    # -- error handling (yuqing.pipeline.core.es: the same for every Elasticsearch caller) ----

    def _translate(self, exc: Exception, what: str) -> StoreError:
        return es.translate(exc, what, self.settings, f"{self.prefix}-*")

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one request, retrying transient failures with exponential backoff."""
        return es.call(self.settings, what, fn, indices=f"{self.prefix}-*", backoff=self.backoff)

    # -- setup -----------------------------------------------------------------------------

    def template_body(self) -> dict:
        return posts_index_template(self.prefix, shards=self.settings.shards, replicas=self.settings.replicas,
                                    refresh_interval=self.settings.refresh_interval)

    def ensure_template(self, *, force: bool = False) -> str:
        """Create or upgrade the index template; returns ``created``, ``upgraded`` or ``current``."""

        name = self.alias
        current = None
        try:
            found = self._call("reading the index template", lambda: self.es.indices.get_index_template(name=name))
            for item in found.get("index_templates", []):
                current = item["index_template"].get("_meta", {}).get("version")
        except StoreError as exc:
            if not isinstance(exc.__cause__, NotFoundError):
                raise
        if current is not None and current >= TEMPLATE_VERSION and not force:
            self._template_ok = True
            return "current"
        body = self.template_body()
        self._call("putting the index template",
                   lambda: self.es.indices.put_index_template(name=name, **body))
        self._template_ok = True
        return "created" if current is None else "upgraded"

    def ensure_index(self, index: str) -> None:
        """Create a monthly index (with the alias) if it does not exist yet."""

        if index in self._known_indices:
            return
        if not self._template_ok:
            self.ensure_template()
        try:
            self._call(f"creating index {index}", lambda: self.es.indices.create(index=index))
        except StoreError as exc:
            cause = exc.__cause__
            if not (isinstance(cause, BadRequestError) and _error_type(cause) == "resource_already_exists_exception"):
                raise
        self._known_indices.add(index)

    def setup(self) -> dict:
        """Template + the current month's index + alias (``yuqing es setup``)."""
        template = self.ensure_template(force=False)
        index = month_index(self.prefix, datetime.now(UTC), self.tz)
        self.ensure_index(index)
        # dynamic settings of the existing monthly indices follow the configuration too
        self._call("updating index settings", lambda: self.es.indices.put_settings(
            index=self.alias, settings={"index": {"refresh_interval": self.settings.refresh_interval,
                                                  "number_of_replicas": self.settings.replicas}}))
        return {"template": self.alias, "template_status": template, "index": index, "alias": self.alias}

    # -- writing ---------------------------------------------------------------------------

    def _existing_locations(self, ids: list[str], targets: set[str]) -> dict[str, set[str]]:
        """id → indices holding it now (searchable copies + our own unrefreshed writes).

        With one target month (the usual batch) that index is left out of the search: a copy
        there is overwritten by the bulk itself, and the (biggest, current) index costs nothing.
        """
        found: dict[str, set[str]] = {}
        for pid in ids:
            if pid in self._unrefreshed:
                found.setdefault(pid, set()).add(self._unrefreshed[pid])
        query: dict[str, Any] = {"ids": {"values": ids}}
        if len(targets) == 1:
            query = {"bool": {"filter": [query], "must_not": [{"term": {"_index": next(iter(targets))}}]}}
        resp = self._call("looking up existing posts", lambda: self.es.search(
            index=self.alias, query=query, source=False, size=len(ids) * 2,
            ignore_unavailable=True, allow_no_indices=True, track_total_hits=False))
        for hit in resp["hits"]["hits"]:
            found.setdefault(hit["_id"], set()).add(hit["_index"])
        return found

    def upsert_many(self, posts: Sequence[Post]) -> UpsertResult:
        result = UpsertResult()
        if not posts:
            return result
        if len(self._unrefreshed) > 200_000:
            self.refresh()
        latest = {p.id: p for p in posts}
        if len(latest) < len(posts):
            # the same id twice: the last one wins (as in SQLite), the others count as updates;
            # sent together they could race in concurrent bulk requests
            result.updated += len(posts) - len(latest)
            posts = list(latest.values())
        size = self.settings.bulk_chunk_size
        for start in range(0, len(posts), size):
            result += self._upsert_chunk(posts[start:start + size])
        return result

    def _upsert_chunk(self, posts: Sequence[Post]) -> UpsertResult:
        targets = [month_index(self.prefix, p.published_at, self.tz) for p in posts]
        for index in set(targets):
            self.ensure_index(index)
        existing = self._existing_locations([p.id for p in posts], set(targets))
        moved = {p.id for p, index in zip(posts, targets, strict=True)
                 if any(old != index for old in existing.get(p.id, ()))}
        outcomes = self._index_concurrently(posts, targets)
        # only once a post is safely in its new month is the copy in the old month removed
        stale = [({"delete": {"_index": old, "_id": info["_id"]}}, None)
                 for items in outcomes for ok, _, info in items
                 if ok and info["_id"] in moved for old in existing[info["_id"]] if old != info["_index"]]
        if stale:
            outcomes.append(self._bulk_slice(stale, len(stale)))
        return self._tally(outcomes, moved)

    def _index_concurrently(self, posts: Sequence[Post], targets: list[str]) -> list[list[tuple[bool, str, dict]]]:
        """Index ``posts`` into their ``targets`` in a few slices sent concurrently: while
        Elasticsearch indexes one, the next is serialised and segmented here, and a single-shard
        index takes concurrent bulks on several write threads. One outcome list a slice."""
        n = max(1, min(self.settings.bulk_threads, len(posts) // 200 or 1))
        step = -(-len(posts) // n)
        slices = [(posts[i:i + step], targets[i:i + step]) for i in range(0, len(posts), step)]
        if n == 1:
            return [self._bulk_slice(self._index_actions(*slices[0]), len(posts))]
        futures = [self._pool().submit(lambda ps, ts: self._bulk_slice(self._index_actions(ps, ts), len(ps)),
                                       ps, ts) for ps, ts in slices]
        return [f.result() for f in futures]

    def _tally(self, outcomes: list[list[tuple[bool, str, dict]]], moved: set[str]) -> UpsertResult:
        """Count the bulk items: created (a moved post counts as updated), updated, failed; items
        refused as overloaded after every retry make the store unavailable (to spool the batch)."""
        result = UpsertResult()
        retry_exhausted = 0
        for items in outcomes:
            for ok, op, info in items:
                pid = info.get("_id")
                if op == "delete":
                    if not ok and info.get("status") != 404:
                        result.failed.append((pid, f"could not remove the copy in {info.get('_index')}: "
                                                   f"{_item_reason(info)}"))
                elif ok:
                    self._unrefreshed[pid] = info["_index"]
                    if info.get("result") == "created" and pid not in moved:
                        result.created += 1
                    else:
                        result.updated += 1
                elif info.get("status") in es.TRANSIENT_STATUS:
                    retry_exhausted += 1
                else:
                    result.failed.append((pid, f"{info.get('_index')}: {_item_reason(info)}"))
        if retry_exhausted:
            raise StoreUnavailable(f"Elasticsearch at {self.url} kept rejecting {retry_exhausted} posts as "
                                   f"overloaded (429) after {self.settings.max_retries} retries")
        return result

    def _pool(self):
        if self._executor is None:
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(self.settings.bulk_threads, thread_name_prefix="es-bulk")
        return self._executor

    def _index_actions(self, posts: Sequence[Post], targets: Sequence[str]) -> list[tuple[dict, bytes]]:
        return [({"index": {"_index": index, "_id": post.id}}, document_bytes(post))
                for post, index in zip(posts, targets, strict=True)]

    def _bulk_slice(self, actions: list[tuple[dict, bytes | None]], n_posts: int) -> list[tuple[bool, str, dict]]:
        """Send one list of bulk actions; (ok, op, item) for each."""

        attempt = 0
        while True:
            try:
                out = []
                for ok, item in helpers.streaming_bulk(
                        self.es, actions, expand_action_callback=lambda a: a, chunk_size=len(actions),
                        max_retries=self.settings.max_retries, initial_backoff=self.backoff, max_backoff=10,
                        raise_on_error=False, raise_on_exception=True):
                    op, info = next(iter(item.items()))
                    out.append((ok, op, info))
                return out
            except (ApiError, elastic_transport.TransportError) as exc:
                # the whole request failed; its items are idempotent, so sending them again is safe
                if attempt < self.settings.max_retries and es.is_transient(exc):
                    time.sleep(es.backoff_delay(attempt, self.backoff))
                    attempt += 1
                    continue
                raise self._translate(exc, f"bulk-indexing {n_posts} posts") from exc

    # -- reading ---------------------------------------------------------------------------

    def _query(self, flt: PostFilter) -> dict:
        filters: list[dict] = []
        must: list[dict] = []
        must_not: list[dict] = []
        if flt.since is not None or flt.until is not None:
            rng: dict[str, Any] = {}
            if flt.since is not None:
                rng["gte"] = _epoch_ms(flt.since)
            if flt.until is not None:
                rng["lt"] = _epoch_ms(flt.until)
            filters.append({"range": {"published_at": {**rng, "format": "epoch_millis"}}})
        for field, values in (("platform", flt.platforms), ("sentiment.label", flt.sentiments),
                              ("source", flt.sources), ("author.id", flt.authors),
                              ("topics", flt.topics), ("org_path", flt.units)):
            if values:
                filters.append({"terms": {field: list(values)}})
        if flt.exclude_duplicates:
            must_not.append({"exists": {"field": "dup_of"}})
        if flt.text is not None:
            tokens = query_tokens(flt.text)
            if not tokens:
                return {"match_none": {}}
            must.append({"match": {"text_seg": {"query": " ".join(tokens), "operator": "and"}}})
        if not (filters or must or must_not):
            return {"match_all": {}}
        return {"bool": {"filter": filters, "must": must, "must_not": must_not}}

    def _search(self, what: str, **body) -> dict:
        return self._call(what, lambda: self.es.search(
            index=self.alias, ignore_unavailable=True, allow_no_indices=True, **body))

    def get(self, post_id: str) -> Post | None:
        return self.get_many([post_id]).get(post_id)

    def get_many(self, post_ids: Sequence[str]) -> dict[str, Post]:
        out: dict[str, Post] = {}
        ids = list(dict.fromkeys(post_ids))
        for i in range(0, len(ids), 1000):
            chunk = ids[i:i + 1000]
            # GET by id is not possible through an alias over several indices; an ids query is
            resp = self._search("reading posts by id", query={"ids": {"values": chunk}}, size=len(chunk) * 2,
                                track_total_hits=False)
            for hit in resp["hits"]["hits"]:
                out[hit["_id"]] = post_from_source(hit["_source"])
        return out

    def search(self, flt: PostFilter, *, limit: int = 20, offset: int = 0,
               sort: Literal["time", "relevance"] = "time") -> SearchPage:
        query = self._query(flt)
        if sort == "relevance" and flt.text and query_tokens(flt.text):
            order: list = ["_score", {"id": "asc"}]
        else:
            order = [{"published_at": "desc"}, {"id": "desc"}]
        if offset + limit <= MAX_WINDOW:
            resp = self._search("searching posts", query=query, sort=order, size=limit, from_=offset,
                                track_total_hits=True)
            return SearchPage(total=resp["hits"]["total"]["value"],
                              posts=[post_from_source(h["_source"]) for h in resp["hits"]["hits"]])
        # deep page: walk with search_after to the offset
        total = self.count(flt)
        posts: list[Post] = []
        after = None
        skipped = 0
        while len(posts) < limit:
            step = min(MAX_WINDOW, offset - skipped) if skipped < offset else min(MAX_WINDOW, limit - len(posts))
            body: dict[str, Any] = {"query": query, "sort": order, "size": step, "track_total_hits": False}
            if after is not None:
                body["search_after"] = after
            if skipped < offset:
                body["source"] = False
            hits = self._search("paging through posts", **body)["hits"]["hits"]
            if not hits:
                break
            after = hits[-1]["sort"]
            if skipped < offset:
                skipped += len(hits)
            else:
                posts.extend(post_from_source(h["_source"]) for h in hits)
        return SearchPage(total=total, posts=posts[:limit])

    def count(self, flt: PostFilter = PostFilter()) -> int:
        resp = self._call("counting posts", lambda: self.es.count(
            index=self.alias, query=self._query(flt), ignore_unavailable=True, allow_no_indices=True))
        return int(resp["count"])

    def _metrics_aggs(self) -> dict:
        return {
            "authors": {"cardinality": {"field": "author.id", "precision_threshold": 40000}},
            "clusters": {"cardinality": {"field": "cluster", "precision_threshold": 40000}},
            "engagement": {"sum": {"field": "engagement"}},
        }

    def aggregate(self, flt: PostFilter = PostFilter(), *, by: Sequence[Dimension] = (),
                  interval: str | None = None) -> list[AggRow]:
        sources: list[dict] = []
        if interval:
            parse_interval(interval)  # ValueError naming a bad interval, as in SQLite
            sources.append({"bucket": {"date_histogram": {
                "field": "published_at", "fixed_interval": interval, "time_zone": str(self.tz.key)}}})
        for i, dim in enumerate(by):
            if dim not in DIM_FIELDS:
                raise StoreError(f"unknown dimension {dim!r}: use one of unit, unit_tree, topic, "
                                 "sentiment, platform, source")
            sources.append({f"k{i}": {"terms": {"field": DIM_FIELDS[dim]}}})
        query = self._query(flt)
        if not sources:
            resp = self._search("aggregating posts", query=query, size=0, track_total_hits=True,
                                aggs=self._metrics_aggs())
            n = resp["hits"]["total"]["value"]
            if not n:
                return []
            aggs = resp["aggregations"]
            return [AggRow(None, {}, n, int(aggs["authors"]["value"]), int(aggs["clusters"]["value"]),
                           float(aggs["engagement"]["value"]))]
        rows: list[AggRow] = []
        after = None
        while True:
            composite: dict[str, Any] = {"size": 1000, "sources": sources}
            if after is not None:
                composite["after"] = after
            resp = self._search("aggregating posts", query=query, size=0, track_total_hits=False,
                                aggs={"groups": {"composite": composite, "aggs": self._metrics_aggs()}})
            agg = resp.get("aggregations", {}).get("groups")
            if not agg or not agg["buckets"]:
                break
            for b in agg["buckets"]:
                key = b["key"]
                bucket = None
                if interval:
                    bucket = datetime.fromtimestamp(key["bucket"] / 1000, tz=UTC).astimezone(self.tz)
                keys = {dim: key[f"k{i}"] for i, dim in enumerate(by)}
                rows.append(AggRow(bucket, keys, b["doc_count"], int(b["authors"]["value"]),
                                   int(b["clusters"]["value"]), float(b["engagement"]["value"])))
            after = agg.get("after_key")
            if after is None:
                break
        rows.sort(key=lambda r: (r.bucket.timestamp() if r.bucket else 0, *(r.keys[d] for d in by)))
        return rows

    def iter_range(self, flt: PostFilter = PostFilter(), *, batch_size: int = 1000) -> Iterator[Post]:

        try:
            pit = self._call("opening a point in time", lambda: self.es.open_point_in_time(
                index=self.alias, keep_alive="5m", ignore_unavailable=True))["id"]
        except StoreError as exc:
            if isinstance(exc.__cause__, NotFoundError):
                return
            raise
        query = self._query(flt)
        after = None
        try:
            while True:
                body: dict[str, Any] = {
                    "query": query, "size": batch_size, "track_total_hits": False,
                    "sort": [{"published_at": "asc"}, {"id": "asc"}],
                    "pit": {"id": pit, "keep_alive": "5m"},
                }
                if after is not None:
                    body["search_after"] = after
                resp = self._call("reading a time range", lambda b=body: self.es.search(**b))
                pit = resp.get("pit_id", pit)
                hits = resp["hits"]["hits"]
                if not hits:
                    return
                for hit in hits:
                    yield post_from_source(hit["_source"])
                after = hits[-1]["sort"]
        finally:
            try:
                self.es.close_point_in_time(id=pit)
            except Exception:  # noqa: BLE001 - best effort; it expires by itself
                pass

    def monthly_indices(self) -> list[dict]:
        """The monthly indices behind the alias, oldest first: name, month, docs, size in bytes."""
        rows = self._call("listing indices", lambda: self.es.cat.indices(
            index=f"{self.prefix}-posts-*", format="json", bytes="b", h="index,docs.count,store.size",
            expand_wildcards="open"))
        out = []
        for row in rows:
            month = row["index"].removeprefix(f"{self.prefix}-posts-")
            if len(month) == 7 and month[4] == "." and month.replace(".", "").isdigit():
                out.append({"index": row["index"], "month": month, "docs": int(row.get("docs.count") or 0),
                            "bytes": int(row.get("store.size") or 0)})
        return sorted(out, key=lambda r: r["month"])

    def prune(self, keep_months: int, *, now: datetime | None = None, dry_run: bool = False) -> list[str]:
        """Delete monthly indices older than the last ``keep_months`` months (this one included)."""
        if keep_months < 1:
            raise StoreError("keep at least one month")
        local = (now or datetime.now(UTC)).astimezone(self.tz)
        first_kept = local.year * 12 + local.month - 1 - (keep_months - 1)
        cutoff = f"{first_kept // 12:04d}.{first_kept % 12 + 1:02d}"
        doomed = [r["index"] for r in self.monthly_indices() if r["month"] < cutoff]
        if doomed and not dry_run:
            self._call("deleting old indices", lambda: self.es.indices.delete(index=",".join(doomed)))
        return doomed

    def refresh(self) -> None:
        self._call("refreshing", lambda: self.es.indices.refresh(
            index=self.alias, ignore_unavailable=True, allow_no_indices=True))
        self._unrefreshed.clear()

    def health(self) -> dict:

        cluster = self._call("reading cluster health", lambda: self.es.cluster.health())
        info: dict[str, Any] = {
            "backend": self.name, "url": self.url, "cluster": cluster.get("cluster_name"),
            "cluster_status": cluster.get("status"), "nodes": cluster.get("number_of_nodes"),
            "alias": self.alias,
        }
        try:
            aliases = self._call("reading the alias", lambda: self.es.indices.get_alias(name=self.alias))
            indices = sorted(aliases)
        except StoreError as exc:
            if not isinstance(exc.__cause__, NotFoundError):
                raise
            indices = []
        info["indices"] = indices
        info["posts"] = self.count() if indices else 0
        try:
            tpl = self._call("reading the index template",
                             lambda: self.es.indices.get_index_template(name=self.alias))
            version = tpl["index_templates"][0]["index_template"].get("_meta", {}).get("version")
        except StoreError as exc:
            if not isinstance(exc.__cause__, NotFoundError):
                raise
            version = None
        info["template_version"] = version
        problems = []
        if cluster.get("status") == "red":
            problems.append("cluster status red")
        if version is None:
            problems.append("index template missing: run `yuqing es setup`")
        elif version < TEMPLATE_VERSION:
            problems.append(f"index template version {version} < {TEMPLATE_VERSION}: run `yuqing es setup`")
        info["status"] = "ok" if not problems else "degraded"
        if problems:
            info["problems"] = problems
        return info

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        try:
            self.es.close()
        except Exception:  # noqa: BLE001
            pass


def _epoch_ms(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise StoreError(f"naive datetime {dt.isoformat()} in a filter: give a time zone")
    return int(dt.timestamp() * 1000)


def _error_type(exc: Any) -> str | None:
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"].get("type")
    return None


def _item_reason(info: dict) -> str:
    err = info.get("error")
    if isinstance(err, dict):
        reason = f"{err.get('type')}: {err.get('reason')}"
        cause = err.get("caused_by")
        if isinstance(cause, dict):
            reason += f" ({cause.get('type')}: {cause.get('reason')})"
        return reason
    return str(err or info.get("status"))
