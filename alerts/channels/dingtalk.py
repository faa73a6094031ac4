"""钉钉自定义机器人 (DingTalk custom robot) with 加签 signing: the URL gets ``timestamp`` (ms) and
``sign`` = URL-encoded base64 of HMAC-SHA256(secret, ``"{timestamp}\\n{secret}"``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import TYPE_CHECKING
from urllib.parse import quote_plus

from yuqing.alerts.channels.base import HttpChannel, resolve_secret
from yuqing.alerts.channels.wecom import check_errcode, cut_utf8

if TYPE_CHECKING:
    from yuqing.alerts.models import OutboxMessage

LIMIT_BYTES = 20000


def sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def signed_url(url: str, secret: str | None, timestamp_ms: int | None = None) -> str:
    if not secret:
        return url
    ts = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    return f"{url}{'&' if '?' in url else '?'}timestamp={ts}&sign={sign(secret, ts)}"


class DingTalkChannel(HttpChannel):
    name = "dingtalk"

    def send(self, message: OutboxMessage) -> None:
        url = signed_url(message.address, resolve_secret(message.secret_ref))
        body = {"msgtype": "text", "text": {"content": cut_utf8(message.body, LIMIT_BYTES)}}
        check_errcode(self.name, self.post_json(url, body, message))
