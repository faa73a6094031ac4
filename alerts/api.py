"""The alerts API other areas call (console, scheduler, briefing). Thin: it opens a session on the
state database and calls :mod:`yuqing.alerts.state` (incident lifecycle), :mod:`yuqing.alerts.detect`
(detection), :mod:`yuqing.alerts.outbox` (delivery).

Functions
    ``evaluate(ctx, at)``            detect as of ``at``, open/update incidents, escalate → report
    ``escalate(ctx, now)``           escalate overdue incidents only → number escalated
    ``deliver_outbox(ctx, now)``     send due outbox messages → number sent
    ``notify_admins(ctx, subject, body)``  health alert to the admin roster (via the outbox)
    ``list_incidents(ctx, units, status, ...)``, ``get_incident(ctx, id)``
    ``acknowledge(ctx, id, by, note)``, ``resolve(ctx, id, by, note)``, ``reopen(ctx, id, by, note)``

Incidents are returned detached from the session with their timeline loaded; ``to_dict()`` gives
the agreed JSON (id, unit_id, unit_name, level, topic, status, severity, escalation_level, counts,
created_at, acknowledged_at, resolved_at, timeline[at, kind, by, note], …).

Errors: :class:`IncidentNotFound` (unknown id), :class:`InvalidTransition` (e.g. resolving a
resolved incident, or a missing resolution note).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from yuqing.alerts.detect import run_evaluation
from yuqing.alerts.index import sync_incidents
from yuqing.alerts.models import Incident
from yuqing.alerts.outbox import deliver_due
from yuqing.alerts.state import IncidentNotFound, InvalidTransition, StateStore

if TYPE_CHECKING:
    from yuqing.alerts.detect import EvaluationReport
    from yuqing.pipeline.core.context import Context

log = logging.getLogger("yuqing.alerts")

__all__ = [
    "IncidentNotFound", "InvalidTransition", "evaluate", "escalate", "deliver_outbox", "notify_admins",
    "list_incidents", "get_incident", "acknowledge", "resolve", "reopen",
]


def _now(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    if at.tzinfo is None:
        raise ValueError(f"naive datetime {at.isoformat()}: give a time zone")
    return at.astimezone(UTC)


def evaluate(ctx: Context, at: datetime | None = None) -> EvaluationReport:
    """One evaluation cycle as of ``at``: detect, open/update incidents, escalate overdue ones."""

    return run_evaluation(ctx, _now(at))


def escalate(ctx: Context, now: datetime | None = None) -> int:
    """Escalate every incident whose acknowledgement is overdue. Returns how many escalated."""
    state = StateStore(ctx)
    n = state.escalate_due(_now(now))
    _index(ctx, state.last_escalated)
    return n


def deliver_outbox(ctx: Context, now: datetime | None = None) -> int:
    """Send every due outbox message (with retries/backoff). Returns how many were sent."""

    return deliver_due(ctx, _now(now)).sent


def notify_admins(ctx: Context, subject: str, body: str, *, at: datetime | None = None) -> None:
    """Queue a system-health message to every admin in ``org.yaml`` (deduplicated per hour)."""
    StateStore(ctx).notify_admins(subject, body, _now(at))


def list_incidents(ctx: Context, units: Iterable[str] | None = None, status: str | None = None, *,
                   topic: str | None = None, since: datetime | None = None, limit: int = 200,
                   offset: int = 0) -> list[Incident]:
    """Incidents newest first. ``units``: only incidents of these unit ids (pass ``org.subtree(u)``
    for everything at or below ``u``); ``status``: open | acknowledged | resolved | active (open or
    acknowledged)."""
    return StateStore(ctx).list(units=set(units) if units is not None else None, status=status,
                                topic=topic, since=since, limit=limit, offset=offset)


def get_incident(ctx: Context, incident_id: int) -> Incident | None:
    return StateStore(ctx).get(int(incident_id))


def acknowledge(ctx: Context, incident_id: int, by: str, note: str | None = None, *,
                at: datetime | None = None) -> Incident:
    inc = StateStore(ctx).acknowledge(int(incident_id), by, note, _now(at))
    _index(ctx, [inc.id])
    return inc


def resolve(ctx: Context, incident_id: int, by: str, note: str, *, at: datetime | None = None) -> Incident:
    inc = StateStore(ctx).resolve(int(incident_id), by, note, _now(at))
    _index(ctx, [inc.id])
    return inc


def reopen(ctx: Context, incident_id: int, by: str, note: str | None = None, *,
           at: datetime | None = None) -> Incident:
    inc = StateStore(ctx).reopen(int(incident_id), by, note, _now(at))
    _index(ctx, [inc.id])
    return inc


def _index(ctx: Context, ids: Iterable[int]) -> None:
    """Refresh the Kibana copy of changed incidents (Elasticsearch store only). The database change
    stands if indexing fails; the next evaluation or ``yuqing alerts reindex`` catches up."""
    ids = list(ids)
    if not ids or ctx.settings.store.backend != "elasticsearch":
        return

    try:
        sync_incidents(ctx, StateStore(ctx), ids)
    except Exception as exc:  # noqa: BLE001 - see docstring
        log.warning("incidents %s not indexed into Elasticsearch: %s (run yuqing alerts reindex)", ids, exc)
