"""Outbox delivery: send the notifications the state changes queued (:mod:`yuqing.alerts.state`).

Guarantees
    * **Nothing lost**: a message is written in the same transaction as the incident change that
      caused it; it stays ``pending`` until a channel accepted it.
    * **Nothing repeated**: each message is *claimed* with a compare-and-set update
      (``claimed_until``) before sending, so two deliverers never send the same row; it is marked
      ``sent`` in its own transaction right after the channel accepted it. The idempotency key goes
      with the message (``Idempotency-Key`` header, JSON field, e-mail ``Message-ID``) so a receiver
      can drop the one duplicate a crash between "accepted" and "marked sent" could cause.
    * **Retries with backoff**: a retryable failure schedules the next attempt after
      ``delivery.backoff_seconds[attempt]``; a permanent failure, or ``max_attempts`` reached,
      marks the message ``dead``, adds a timeline event to its incident and tells the admins.
    * **Logged**: every attempt is logged (logger ``yuqing.alerts.outbox``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select, update

from yuqing.alerts.channels import DeliveryError, channel_for
from yuqing.alerts.channels.base import Channel
from yuqing.alerts.models import IncidentEvent, OutboxMessage, utc
from yuqing.alerts.rules import load_alerts_config
from yuqing.alerts.state import StateStore

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context

log = logging.getLogger("yuqing.alerts.outbox")


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0          # attempts that failed and will be retried
    dead: int = 0            # given up (permanent error or too many attempts)
    pending: int = 0         # still waiting after this run (not yet due, or retrying)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"sent": self.sent, "failed": self.failed, "dead": self.dead, "pending": self.pending,
                "errors": self.errors}


def deliver_due(ctx: Context, now: datetime | None = None, *, channels: dict[str, Channel] | None = None) -> DeliveryReport:
    now = utc(now or datetime.now(UTC))
    cfg = load_alerts_config(ctx).delivery
    state = StateStore(ctx)
    report = DeliveryReport()
    opened: dict[str, Channel] = dict(channels or {})
    try:
        while True:
            batch = _claim(state, now, cfg.batch, cfg.claim_seconds)
            if not batch:
                break
            for msg in batch:
                _deliver_one(ctx, state, msg, now, cfg, opened, report)
            if len(batch) < cfg.batch:
                break
    finally:
        if channels is None:
            for ch in opened.values():
                ch.close()
    with state.Session() as s:
        report.pending = len(list(s.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "pending"))))
    return report


def _claim(state: StateStore, now: datetime, limit: int, claim_seconds: float) -> list[OutboxMessage]:
    until = now + timedelta(seconds=claim_seconds)
    claimed: list[OutboxMessage] = []
    with state.Session.begin() as s:
        due = list(s.scalars(select(OutboxMessage).where(
            OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)))
        for msg in due:
            res = s.execute(update(OutboxMessage).where(
                OutboxMessage.id == msg.id, OutboxMessage.status == "pending",
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
                .values(claimed_until=until).execution_options(synchronize_session=False))
            if res.rowcount == 1:
                claimed.append(msg)
    return claimed


def _deliver_one(ctx: Context, state: StateStore, msg: OutboxMessage, now: datetime, cfg, opened: dict,
                 report: DeliveryReport) -> None:
    attempt = msg.attempts + 1
    try:
        channel = opened.get(msg.channel)
        if channel is None:
            channel = opened[msg.channel] = channel_for(msg.channel, ctx.settings, cfg.timeout_seconds)
        channel.send(msg)
    except DeliveryError as exc:
        dead = not exc.retryable or attempt >= cfg.max_attempts
        with state.Session.begin() as s:
            row = s.get(OutboxMessage, msg.id)
            row.attempts, row.last_error, row.claimed_until = attempt, str(exc)[:2000], None
            if dead:
                row.status = "dead"
                if row.incident_id is not None:
                    s.add(IncidentEvent(incident_id=row.incident_id, at=now, kind="delivery_failed", by=None,
                                        note=f"{row.recipient} 的{_CHANNEL_NAMES.get(row.channel, row.channel)}通知发送失败：{exc}",
                                        data={"outbox_id": row.id, "channel": row.channel, "attempts": attempt}))
            else:
                row.next_attempt_at = now + timedelta(seconds=cfg.delay(attempt))
        report.errors.append(f"#{msg.id} {msg.channel} {msg.address}: {exc}")
        if dead:
            report.dead += 1
            log.error("outbox #%s %s → %s: gave up after %d attempt(s): %s", msg.id, msg.channel, msg.address, attempt, exc)
            if msg.incident_id is not None:  # tell the admins, but never about their own messages
                state.notify_admins(f"预警通知发送失败（事件 #{msg.incident_id}）",
                                    f"{msg.recipient} 的 {msg.channel} 通知（{msg.address}）在 {attempt} 次尝试后放弃：{exc}", now)
        else:
            report.failed += 1
            log.warning("outbox #%s %s → %s: attempt %d failed, retry at %s: %s", msg.id, msg.channel, msg.address,
                        attempt, (now + timedelta(seconds=cfg.delay(attempt))).isoformat(), exc)
        return
    with state.Session.begin() as s:
        row = s.get(OutboxMessage, msg.id)
        row.status, row.sent_at, row.attempts, row.claimed_until, row.last_error = "sent", now, attempt, None, None
    report.sent += 1
    log.info("outbox #%s %s → %s sent (attempt %d, key %s)", msg.id, msg.channel, msg.address, attempt, msg.idempotency_key)


def list_outbox(ctx: Context, status: str | None = None, incident_id: int | None = None, limit: int = 200) -> list[OutboxMessage]:
    state = StateStore(ctx)
    q = select(OutboxMessage)
    if status:
        q = q.where(OutboxMessage.status == status)
    if incident_id is not None:
        q = q.where(OutboxMessage.incident_id == incident_id)
    with state.Session() as s:
        return list(s.scalars(q.order_by(OutboxMessage.id.desc()).limit(limit)))


_CHANNEL_NAMES = {"email": "邮件", "wecom": "企业微信", "dingtalk": "钉钉", "webhook": "Webhook"}

__all__ = ["DeliveryReport", "deliver_due", "list_outbox", "utc"]
