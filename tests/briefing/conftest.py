"""Fixtures for briefing tests: a real SMTP server (aiosmtpd) on 127.0.0.1 and a store filled
with two weeks of synthetic enriched posts."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from tests.briefing.factory import make_posts, week_start
from yuqing.pipeline.store import open_store

WEEK = "2026-W47"


class _Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def messages(self):
        return [message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1; yields (host, port, inbox)."""
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "127.0.0.1", port, inbox
    finally:
        controller.stop()


def fill(context, iso_week: str = WEEK) -> list:
    posts = make_posts(week_start(iso_week))
    result = open_store(context).upsert_many(posts)
    assert not result.failed, result.failed
    open_store(context).refresh()
    return posts
