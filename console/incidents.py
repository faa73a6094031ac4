"""Incidents as the console shows them: :mod:`yuqing.alerts.api` queried within the caller's subtree.

The alerts area owns incidents (``list_incidents``, ``get_incident``, ``acknowledge``, ``resolve``,
``reopen``; ``incident.to_dict()``). This module adds what the console needs on top: the subtree
check on every read and action (an incident outside it is reported as missing), the queue's filters
and order, and the detail page's derived views (escalation path, trend, representative posts).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from yuqing.alerts import api
from yuqing.alerts.models import Incident
from yuqing.console.access import AccessDenied, Principal
from yuqing.pipeline.core.context import Context
from yuqing.pipeline.core.names import STATUS_NAMES
from yuqing.pipeline.core.record import to_aware
from yuqing.pipeline.core.statedb import engine_for, session_factory
from yuqing.pipeline.store.base import PostFilter

STATUSES = ("open", "acknowledged", "resolved")
SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1}
COUNT_LABELS = {"posts": "帖文", "authors": "发帖人", "clusters": "独立事件", "engagement": "互动",
                "expected": "预期基线"}
ACTIONS = ("acknowledge", "resolve", "reopen")
ACTION_LABELS = {"acknowledge": "确认接手", "resolve": "处置完毕", "reopen": "重新打开"}
#: which actions each status allows
ALLOWED = {"open": ("acknowledge", "resolve"), "acknowledged": ("resolve",), "resolved": ("reopen",)}
_STATUS_RANK = {"open": 0, "acknowledged": 1, "resolved": 2}


class NotFound(Exception):
    """No such incident for this caller (missing, or outside the caller's subtree)."""


class Conflict(Exception):
    """The action does not apply to the incident's current status."""


def _api():

    return api


def _as_dict(incident) -> dict:
    data = incident.to_dict()
    for key in ("created_at", "acknowledged_at", "resolved_at", "updated_at", "last_seen_at"):
        if isinstance(data.get(key), str) and data[key]:
            data[key] = to_aware(data[key])
    for event in data.get("timeline") or []:
        if isinstance(event.get("at"), str):
            event["at"] = to_aware(event["at"])
    return data


def sort_key(inc: dict) -> tuple:
    """Unfinished first, then most severe, then newest."""
    created = inc.get("created_at")
    ts = created.timestamp() if isinstance(created, datetime) else 0
    return (_STATUS_RANK.get(inc.get("status"), 3), -SEVERITY_RANK.get(inc.get("severity"), 0), -ts)


def list_for(ctx: Context, who: Principal, *, status: str | None = None, topic: str | None = None,
             level: str | None = None, severity: str | None = None, unit: str | None = None,
             limit: int = 100) -> list[dict]:
    """Incidents in the caller's subtree (or ``unit``'s, which must be inside it), filtered and sorted.

    ``status`` is one of :data:`STATUSES`, ``"active"`` (open or acknowledged) or None (all);
    ``level`` is the incident unit's level (district … enterprise); ``severity`` low … critical.
    """
    units = set(who.subtree)
    if unit:
        who.require_unit(unit)
        units = set(who.org.subtree(unit))
    api = _api()
    wanted = None if status in (None, "", "all") else status
    rows = [_as_dict(i) for i in api.list_incidents(ctx, units=units, status=wanted, topic=topic or None,
                                                    limit=limit * 3 if level or severity else limit)]
    out = []
    for inc in rows:
        if inc.get("unit_id") not in units:  # never trust a filter we did not check
            continue
        if status == "active" and inc.get("status") == "resolved":
            continue
        if topic and inc.get("topic") != topic:
            continue
        if level and inc.get("level") != level:
            continue
        if severity and inc.get("severity") != severity:
            continue
        out.append(inc)
    out.sort(key=sort_key)
    return out[:limit]


def summary_for(ctx: Context, who: Principal) -> tuple[dict[str, int], list[tuple[str, str]], list[str]]:
    """Counts by status, (topic, name) pairs and unit levels over the caller's whole subtree — by
    SQL aggregates on the alerts tables, so the queue's refresh does not load every old incident."""
    from sqlalchemy import func, select


    units = sorted(who.subtree)
    with session_factory(engine_for(ctx))() as s:
        counts = dict(s.execute(select(Incident.status, func.count()).where(Incident.unit_id.in_(units))
                                .group_by(Incident.status)).all())
        topics = s.execute(select(Incident.topic, func.max(Incident.topic_name)).where(Incident.unit_id.in_(units))
                           .group_by(Incident.topic).order_by(Incident.topic)).all()
        levels = set(s.scalars(select(Incident.unit_level).where(Incident.unit_id.in_(units)).distinct()))
    return ({st: int(counts.get(st, 0)) for st in STATUSES}, [(t, n or t) for t, n in topics],
            sorted(levels))


def get_for(ctx: Context, who: Principal, incident_id: str) -> dict:
    if not incident_id.isdigit() or len(incident_id) > 18:
        raise NotFound(incident_id)
    try:
        incident = _api().get_incident(ctx, int(incident_id))
    except LookupError:
        incident = None
    if incident is None:
        raise NotFound(incident_id)
    data = _as_dict(incident)
    if not who.sees_unit(data.get("unit_id")):
        raise AccessDenied("incident outside subtree", f"incident:{incident_id}")
    return data


def act(ctx: Context, who: Principal, incident_id: str, action: str, note: str | None) -> dict:
    """Acknowledge, resolve or reopen an incident of the caller's subtree."""
    if action not in ACTIONS:
        raise NotFound(action)
    current = get_for(ctx, who, incident_id)
    who.require_act(f"incident-action:{incident_id}")
    if action not in ALLOWED.get(current["status"], ()):
        raise Conflict(f"事件当前为「{STATUS_NAMES.get(current['status'], current['status'])}」，"
                       f"不能{ACTION_LABELS[action]}")
    note = (note or "").strip() or None
    if action == "resolve" and not note:
        raise Conflict("办结需要填写处置说明")
    api = _api()
    by = f"{who.account.display_name}（{who.username}）" if who.account.display_name != who.username else who.username
    native = int(incident_id)
    try:
        if action == "acknowledge":
            api.acknowledge(ctx, native, by, note=note)
        elif action == "resolve":
            api.resolve(ctx, native, by, note)
        else:
            api.reopen(ctx, native, by, note=note)
    except ValueError as exc:  # alerts' InvalidTransition: someone else acted first
        raise Conflict(str(exc)) from exc
    return get_for(ctx, who, incident_id)


def escalation_path(who: Principal, inc: dict) -> list[dict]:
    """The unit and its ancestors, each with its officers and whether escalation has reached it."""
    org = who.org
    if org.get(inc["unit_id"]) is None:
        return []
    chain = [inc["unit_id"], *org.ancestors(inc["unit_id"])]
    top = inc.get("escalated_to") or inc["unit_id"]
    reached = chain.index(top) if top in chain else 0
    out = []
    for step, uid in enumerate(chain):
        unit = org.get(uid)
        if unit is None:
            continue
        officers = [f"{o.name}（{o.role}）" if o.role else o.name for o in unit.roster]
        out.append({"step": step, "unit_id": uid, "unit_name": unit.name, "level": unit.level,
                    "officers": officers, "reached": step <= reached, "current": step == reached})
    return out


def post_filter(inc: dict) -> PostFilter:
    topics = (inc["topic"],) if inc.get("topic") else ()
    return PostFilter(units=(inc["unit_id"],), topics=topics)


def trend_window(inc: dict, now: datetime) -> tuple[datetime, datetime]:
    created = inc.get("created_at") or now
    end = inc.get("resolved_at") or now
    end = max(end, created + timedelta(hours=6))
    return created - timedelta(hours=48), min(end + timedelta(hours=1), now + timedelta(hours=1))


def representative_posts(ctx: Context, inc: dict, store_call, now: datetime, limit: int = 8) -> list:
    """The incident's own posts when alerts records them, else the most engaging matching posts."""
    ids = [e if isinstance(e, str) else (e or {}).get("id") for e in inc.get("evidence") or []]
    ids = [i for i in ids if i]
    if ids:
        found = store_call(lambda s: s.get_many(ids[:50]))
        # only posts that roll up to the incident's unit (which the caller's subtree contains)
        posts = [found[i] for i in ids if i in found and inc["unit_id"] in (found[i].org_path or [])]
    else:
        since, until = trend_window(inc, now)
        flt = post_filter(inc).with_(since=since, until=until, exclude_duplicates=True)
        posts = store_call(lambda s: s.search(flt, limit=100)).posts
    posts.sort(key=lambda p: (p.sentiment is not None and p.sentiment.label == "negative",
                              p.metrics.engagement()), reverse=True)
    return posts[:limit]
