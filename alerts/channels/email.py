"""E-mail over SMTP (``settings.notify.smtp``: host, port, ssl/starttls, login, sender)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate
from typing import TYPE_CHECKING

from yuqing.alerts.channels.base import Channel, DeliveryError
from yuqing.pipeline.core.smtp import open_smtp

if TYPE_CHECKING:
    from yuqing.alerts.models import OutboxMessage


class EmailChannel(Channel):
    name = "email"

    def build(self, message: OutboxMessage) -> EmailMessage:
        cfg = self.settings.notify.smtp
        mail = EmailMessage()
        mail["From"] = cfg.sender
        mail["To"] = message.address
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = f"<{message.idempotency_key}@yuqing>"
        mail["X-Idempotency-Key"] = message.idempotency_key
        mail.set_content(message.body + "\n\n—— 朝阳区总工会舆情监测系统（自动发送，请勿直接回复）\n", charset="utf-8")
        return mail

    def send(self, message: OutboxMessage) -> None:
        cfg = self.settings.notify.smtp
        mail = self.build(message)
        try:
            with open_smtp(cfg, self.timeout) as server:
                server.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(f"email: recipient refused {exc.recipients}",
                                retryable=any(400 <= c < 500 for c in codes)) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"email: login refused by {cfg.host}:{cfg.port}: {exc.smtp_code}", retryable=False) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"email: {cfg.host}:{cfg.port} answered {exc.smtp_code} {exc.smtp_error!r}",
                                retryable=exc.smtp_code < 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"email: {cfg.host}:{cfg.port}: {type(exc).__name__}: {exc}") from exc
