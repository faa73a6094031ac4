"""Generic JSON webhook: POST the structured payload plus ``idempotency_key``, ``subject`` and
``text``; any 2xx answer is success."""

from __future__ import annotations

from typing import TYPE_CHECKING

from yuqing.alerts.channels.base import HttpChannel

if TYPE_CHECKING:
    from yuqing.alerts.models import OutboxMessage


class WebhookChannel(HttpChannel):
    name = "webhook"

    def send(self, message: OutboxMessage) -> None:
        body = {**(message.payload or {}), "idempotency_key": message.idempotency_key,
                "subject": message.subject, "text": message.body, "recipient": message.recipient}
        self.post_json(message.address, body, message)
