"""The SCIM page in a real browser: an admin on a phone creates a token by keyboard alone and
sees it once, the tokens table reads as cards without sideways scrolling."""

from __future__ import annotations

import os

import pytest

from knowflow.accounts.models import Person
from knowflow.scim.models import ScimToken
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.factories import make_person

pytestmark = BROWSER_TESTS

SHOTS = os.environ.get("KNOWFLOW_SCREENSHOTS", "")


@pytest.mark.django_db(transaction=True)
def test_admin_creates_a_token_on_a_phone_with_the_keyboard(live_server, browser_page) -> None:
    make_person(role=Person.Role.ADMIN, name="Ada Admin", username="ada")
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_with_keyboard(page, live_server.url, "ada")
    page.goto(f"{live_server.url}/")
    page.locator("details.nav-menu summary").click()
    page.get_by_role("link", name="People provisioning").last.click()
    assert page.locator("h1").inner_text() == "People provisioning (SCIM)"

    page.locator("#id_name").focus()
    page.keyboard.type("Entra ID")
    page.keyboard.press("Enter")
    page.wait_for_selector("#new-token")
    secret = page.locator("#new-token code").inner_text()
    assert secret.startswith("kfscim_")
    assert ScimToken.objects.get().name == "Entra ID"
    assert page.locator("td[data-label='Name']").inner_text() == "Entra ID"
    assert page.locator("td[data-label='Last used']").inner_text() == "Never"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/scim-settings-390.png", full_page=True)
    page.reload()
    assert page.locator("#new-token").count() == 0
