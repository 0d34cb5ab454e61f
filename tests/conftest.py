from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from tests.factories import PASSWORD
from tests.smtp import Inbox, free_port, smtp_settings

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache: ids are reused after a rollback, so a value
    cached by one test (related content, rollups) must not answer for another."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not next to this checkout (a user's clone has no shared data)")
    return SHARED


def signed_in(person: object) -> Client:
    client = Client()
    assert client.login(username=person.user.username, password=PASSWORD)
    return client


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    """A real SMTP server on loopback that Django's email settings point at for the test."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with smtp_settings(port):
            yield inbox
    finally:
        controller.stop()


@pytest.fixture
def browser_page() -> Iterator[object]:
    """A page of headless Chromium, 1024×800. Its module starts with ``pytestmark =
    BROWSER_TESTS`` (tests/browser.py), which also lets the test body use the ORM next to
    Playwright's event loop."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1024, "height": 800})
        yield context.new_page()
        browser.close()


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
