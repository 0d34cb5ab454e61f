"""Fixtures of the integration tests that run `knowflow worker` processes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from tests.smtp import Inbox, free_port


class PacedInbox(Inbox):
    """A server that takes 15 ms per message, as a real one does: 300 messages then take at
    least 4.5 s, so a signal that needs a moment to reach the sending thread still arrives
    mid-batch (against an instant server the worker sometimes sent all 300 first)."""

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        await asyncio.sleep(0.015)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    server, port = PacedInbox(), free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield server, port
    finally:
        controller.stop()
