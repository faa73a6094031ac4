"""Incidents in Elasticsearch (``{prefix}-alerts``) so analysts see them in Kibana beside the posts.

The state database stays the source of truth; after each evaluation (and each manual change made
through the CLI) the incidents it touched are re-indexed whole (document id = incident id); ``yuqing alerts
reindex`` rebuilds the index from the database after a missed sync. Only when Elasticsearch is the configured store.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from elasticsearch import helpers
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from yuqing.alerts.models import Incident, utc
from yuqing.pipeline.core import es

if TYPE_CHECKING:
    from yuqing.alerts.state import StateStore
    from yuqing.pipeline.core.context import Context

log = logging.getLogger("yuqing.alerts.index")


def alerts_index_name(prefix: str) -> str:
    return f"{prefix}-alerts"


def alerts_index_template(prefix: str) -> dict:
    """Index template body for ``{prefix}-alerts`` (Kibana objects can be checked against it)."""
    kw = {"type": "keyword"}
    when = {"type": "date"}
    return {
        "index_patterns": [alerts_index_name(prefix)],
        "template": {
            "settings": {"number_of_shards": 1, "number_of_replicas": 0},
            "mappings": {
                "dynamic": False,
                "properties": {
                    "id": {"type": "long"}, "unit_id": kw, "unit_name": kw, "level": kw, "topic": kw,
                    "topic_name": kw, "kind": kw, "status": kw, "severity": kw, "escalation_level": kw,
                    "escalated_to": kw, "escalated_to_name": kw, "unit_path": kw,
                    "title": {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 512}}},
                    "score": {"type": "float"},
                    "counts": {"properties": {"window": kw, "posts": {"type": "integer"},
                                              "authors": {"type": "integer"}, "clusters": {"type": "integer"},
                                              "engagement": {"type": "float"}, "volume": {"type": "float"},
                                              "expected": {"type": "float"}, "ratio": {"type": "float"},
                                              "p_value": {"type": "double"}, "units": {"type": "integer"}}},
                    "evidence_ids": kw,
                    "created_at": when, "updated_at": when, "acknowledged_at": when, "resolved_at": when,
                    "acknowledged_by": kw, "resolved_by": kw, "resolution_note": {"type": "text"},
                    "minutes_to_ack": {"type": "float"},
                    "timeline": {"type": "nested", "properties": {"at": when, "kind": kw, "by": kw,
                                                                   "note": {"type": "text"}}},
                },
            },
        },
    }


def es_client(ctx: Context):
    """The Elasticsearch client of the settings — the same factory, credentials, TLS options and
    retries as the post store (:mod:`yuqing.pipeline.core.es`)."""
    return es.make_client(ctx.settings.store.elasticsearch)


_templates_put: set[tuple[str, str]] = set()


def incident_doc(inc: Incident, unit_path: list[str]) -> dict:
    doc = inc.to_dict()
    doc["unit_path"] = unit_path
    doc["evidence_ids"] = [e.get("id") for e in doc.pop("evidence", []) if e.get("id")]
    counts = doc.get("counts") or {}
    doc["counts"] = {k: counts[k] for k in ("window", "posts", "authors", "clusters", "engagement", "volume",
                                            "expected", "ratio", "p_value", "units") if k in counts}
    doc["timeline"] = [{k: e[k] for k in ("at", "kind", "by", "note")} for e in doc.get("timeline", [])]
    if inc.acknowledged_at:
        doc["minutes_to_ack"] = round((utc(inc.acknowledged_at) - utc(inc.created_at)).total_seconds() / 60, 1)
    return doc


def sync_incidents(ctx: Context, state: StateStore, ids: Iterable[int] | None = None, *, client=None) -> int:
    """Index the incidents ``ids`` (all when ``None``). Returns how many were indexed."""
    cfg = ctx.settings.store.elasticsearch
    prefix = cfg.index_prefix
    index = alerts_index_name(prefix)
    client_ = client or es_client(ctx)
    try:
        if (cfg.url, prefix) not in _templates_put:
            es.call(cfg, f"creating the index template {index}", lambda: client_.indices.put_index_template(
                name=index, **alerts_index_template(prefix)), indices=index)
            _templates_put.add((cfg.url, prefix))
        q = select(Incident).options(selectinload(Incident.events))
        if ids is not None:
            ids = sorted(set(ids))
            if not ids:
                return 0
            q = q.where(Incident.id.in_(ids))
        with state.Session() as s:
            incidents = list(s.scalars(q))
        actions = [{"_index": index, "_id": str(inc.id),
                    "_source": incident_doc(inc, state.org.path(inc.unit_id) if inc.unit_id in state.org else [inc.unit_id])}
                   for inc in incidents]
        if not actions:
            return 0
        # searchable after the index's refresh interval (1 s); a whole-request failure is retried
        # like the post store's, a refused incident raises (bulk's default) naming the id
        ok, _ = es.call(cfg, f"indexing {len(actions)} incidents into {index}",
                        lambda: helpers.bulk(client_, actions), indices=index)
        return ok
    finally:
        if client is None:
            client_.close()
