"""Headless Chromium for the page tests that need a browser (Debian's package, driven by
Playwright): the `browser_page` fixture is in tests/conftest.py. A module of browser tests
starts with ``pytestmark = BROWSER_TESTS``: they are slow, and skipped with a reason when the
browser is not installed (`.ci/run` installs it)."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.factories import PASSWORD

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_TESTS = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]
# Playwright's sync API keeps an event loop in this thread; the ORM calls in the test body are
# ordinary blocking calls, which Django would otherwise refuse next to a running loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def sign_in_with_keyboard(page: object, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    # The username field has the focus when the page opens.
    assert page.evaluate("document.activeElement.id") == "id_username"
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")
