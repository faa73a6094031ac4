"""企业微信群机器人 (WeCom group robot): POST ``{"msgtype": "text", ...}`` to the robot's webhook
URL; the answer's ``errcode`` must be 0. Texts are cut to the robot's 2048-byte limit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from yuqing.alerts.channels.base import DeliveryError, HttpChannel

if TYPE_CHECKING:
    from yuqing.alerts.models import OutboxMessage

LIMIT_BYTES = 2048
RETRYABLE_ERRCODES = {-1, 45009, 45033}  # system busy, rate limited, too many concurrent calls


def cut_utf8(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", errors="ignore") + "…"


def check_errcode(name: str, resp) -> None:
    try:
        data = resp.json()
    except ValueError as exc:
        raise DeliveryError(f"{name}: answer is not JSON: {resp.text[:200]!r}") from exc
    code = data.get("errcode", 0)
    if code != 0:
        raise DeliveryError(f"{name}: errcode {code} {data.get('errmsg', '')!r}", retryable=code in RETRYABLE_ERRCODES)


class WeComChannel(HttpChannel):
    name = "wecom"

    def send(self, message: OutboxMessage) -> None:
        body = {"msgtype": "text", "text": {"content": cut_utf8(message.body, LIMIT_BYTES)}}
        check_errcode(self.name, self.post_json(message.address, body, message))
