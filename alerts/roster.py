"""Who hears a notice, and its outbox rows: one message per (channel, address) for the on-duty
officers of a unit (all of them when nobody is on duty), skipping addresses already reached by
the same change. Incidents (:mod:`yuqing.alerts.state`) and grassroots reports
(:mod:`yuqing.alerts.reports`) queue through here."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from yuqing.alerts.models import OutboxMessage
from yuqing.pipeline.core.org import Officer, Unit


def duty_officers(unit: Unit, now: datetime, tz) -> list[Officer]:
    """The unit's officers on duty at ``now``; all of them when nobody is."""
    return [o for o in unit.roster if o.on_duty(now, tz)] or list(unit.roster)


def contact_groups(officers: list[Officer], skip: set[tuple[str, str]] = frozenset()
                   ) -> dict[tuple[str, str], tuple[list[str], str | None]]:
    """(channel, address) → (names of the officers it reaches, DingTalk signing secret)."""
    groups: dict[tuple[str, str], tuple[list[str], str | None]] = {}
    for officer in officers:
        for channel, address in officer.contacts().items():
            key = (channel, address)
            if key in skip:
                continue
            names, secret = groups.get(key, ([], None))
            groups[key] = ([*names, officer.name], secret or (officer.dingtalk_secret if channel == "dingtalk" else None))
    return groups


def queue(s: Session, *, key: str, unit: Unit, officers: list[Officer], subject: str, body: str,
          payload: dict[str, Any], now: datetime, incident_id: int | None = None,
          sent_to: set[tuple[str, str]] | None = None) -> list[str]:
    """Add one outbox row per (channel, address) of ``officers`` (not in ``sent_to``, which grows).
    ``key`` prefixes the idempotency keys: the same change queued twice is one message. Returns
    the channels used."""
    sent_to = set() if sent_to is None else sent_to
    groups = contact_groups(officers, sent_to)
    for (channel, address), (names, secret) in groups.items():
        sent_to.add((channel, address))
        digest = hashlib.sha1(address.encode()).hexdigest()[:12]
        s.add(OutboxMessage(
            idempotency_key=f"{key}-{channel}-{digest}", incident_id=incident_id, channel=channel,
            address=address, recipient=f"{unit.name}：{'、'.join(names)}", subject=subject, body=body,
            payload={**payload, "recipient_unit": unit.id, "officers": names}, secret_ref=secret,
            status="pending", attempts=0, next_attempt_at=now, created_at=now))
    return sorted({c for c, _ in groups})
