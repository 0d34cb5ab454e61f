"""The sign-in page with a company provider, in Chromium: the button is reached and pressed
with the keyboard alone, the page passes axe at phone width, and a first sign-in through the
real provider (tests/oidc_provider) starts in the browser's own time zone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from knowflow.accounts.models import Person
from tests.browser import BROWSER_TESTS
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider

pytestmark = BROWSER_TESTS

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def company(live_server: object, settings: object) -> Iterator[Provider]:
    with running_provider(f"{live_server.url}/accounts/oidc/callback/") as provider:
        settings.KNOWFLOW_OIDC_ISSUER = provider.issuer
        settings.KNOWFLOW_OIDC_CLIENT_ID = CLIENT_ID
        settings.KNOWFLOW_OIDC_CLIENT_SECRET = CLIENT_SECRET
        settings.KNOWFLOW_OIDC_PROVIDER_NAME = "Contoso"
        yield provider


def test_the_company_button_works_by_keyboard_and_the_page_passes_axe(
    company: Provider, live_server: object, browser_page: object
) -> None:
    company.will_sign_in("mei", {"email": "mei@example.org", "name": "Mei Tanaka"})
    browser = browser_page.context.browser
    context = browser.new_context(viewport={"width": 390, "height": 844}, timezone_id="Asia/Tokyo")
    page = context.new_page()
    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    violations = Axe().run(page).response["violations"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "sign-in-company-390.png"), full_page=True)
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "sign-in-provider":
            break
    focused = page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")

    assert [violation["id"] for violation in violations] == []
    assert focused == "Sign in with Contoso"
    person = Person.objects.get(email="mei@example.org")
    assert (person.display_name, person.timezone) == ("Mei Tanaka", "Asia/Tokyo")
    assert page.locator("h1").first.text_content() == "For you, Mei Tanaka"
