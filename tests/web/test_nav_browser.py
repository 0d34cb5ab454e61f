"""The main navigation in a real browser: a bar on a laptop, a menu that opens without
JavaScript on a 390 px phone, with the same links."""

from __future__ import annotations

import pytest

from knowflow.accounts.models import Person
from tests.factories import make_person
from tests.web.test_browser import CHROMIUM, _sign_in_with_keyboard, browser_page  # noqa: F401

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


@pytest.mark.django_db(transaction=True)
def test_the_menu_collapses_on_a_phone_and_opens_without_javascript(
    live_server,
    browser_page,  # noqa: F811
) -> None:
    make_person(name="Eve Enabler", username="eve", role=Person.Role.ENABLER)
    page = browser_page
    _sign_in_with_keyboard(page, live_server.url, "eve")
    bar, menu = page.locator("nav.nav-bar"), page.locator("details.nav-menu")
    assert (bar.is_visible(), menu.is_visible()) == (True, False)

    page.set_viewport_size({"width": 390, "height": 844})
    assert (bar.is_visible(), menu.is_visible()) == (False, True)
    open_actions = menu.get_by_role("link", name="Open actions")
    assert open_actions.is_visible() is False  # closed until asked
    page.get_by_text("Menu", exact=True).click()
    assert open_actions.is_visible() is True
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    open_actions.click()
    page.wait_for_url(f"{live_server.url}/feedback/actions/")
    assert page.locator("h1").inner_text() == "Open actions"
