"""The channel interface: ``send(message)`` delivers one outbox message or raises
:class:`DeliveryError` saying whether a retry may help.

Every channel carries the message's idempotency key to the receiver (an HTTP header
``Idempotency-Key`` and a field in JSON bodies; the ``Message-ID`` of e-mails), so a receiver can
drop the rare duplicate of an at-least-once delivery.
"""

from __future__ import annotations

import abc
import os
from typing import TYPE_CHECKING, ClassVar

import httpx

if TYPE_CHECKING:
    from yuqing.alerts.models import OutboxMessage
    from yuqing.pipeline.core.config import Settings


class DeliveryError(Exception):
    def __init__(self, reason: str, *, retryable: bool = True):
        super().__init__(reason)
        self.retryable = retryable


class Channel(abc.ABC):
    """One way of reaching people. Subclasses set ``name`` and implement :meth:`send`."""

    name: ClassVar[str]
    registry: ClassVar[dict[str, type[Channel]]] = {}

    def __init__(self, settings: Settings, timeout: float = 10.0):
        self.settings = settings
        self.timeout = timeout

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if getattr(cls, "name", None):
            Channel.registry[cls.name] = cls

    @abc.abstractmethod
    def send(self, message: OutboxMessage) -> None:
        """Deliver ``message`` or raise :class:`DeliveryError`."""

    def close(self) -> None:  # noqa: B027 - optional hook
        pass


class HttpChannel(Channel):
    """Shared POST-JSON plumbing: status codes and transport errors → :class:`DeliveryError`."""

    def __init__(self, settings: Settings, timeout: float = 10.0):
        super().__init__(settings, timeout)
        self.client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)

    def post_json(self, url: str, body: dict, message: OutboxMessage) -> httpx.Response:
        try:
            resp = self.client.post(url, json=body, headers={"Idempotency-Key": message.idempotency_key,
                                                             "User-Agent": "yuqing-alerts/1"})
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"{self.name}: timed out after {self.timeout}s ({url})") from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{self.name}: {type(exc).__name__}: {exc} ({url})") from exc
        if resp.status_code >= 300:
            retryable = resp.status_code >= 500 or resp.status_code in (408, 409, 425, 429)
            raise DeliveryError(f"{self.name}: HTTP {resp.status_code} {resp.text[:200]!r} ({url})", retryable=retryable)
        return resp

    def close(self) -> None:
        self.client.close()


def resolve_secret(ref: str | None) -> str | None:
    """A secret written as ``env:NAME`` is read from the environment at send time."""
    if ref and ref.startswith("env:"):
        value = os.environ.get(ref[4:])
        if not value:
            raise DeliveryError(f"secret {ref}: environment variable not set", retryable=False)
        return value
    return ref


def channel_for(name: str, settings: Settings, timeout: float = 10.0) -> Channel:
    try:
        cls = Channel.registry[name]
    except KeyError:
        raise DeliveryError(f"unknown channel {name!r} (known: {', '.join(sorted(Channel.registry))})",
                            retryable=False) from None
    return cls(settings, timeout)
