"""The main navigation in a real browser: a bar on a laptop, a menu that opens without
JavaScript on a 390 px phone, with the same links."""

from __future__ import annotations

import pytest

from knowflow.accounts.models import Person
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.factories import make_person

pytestmark = BROWSER_TESTS


@pytest.mark.django_db(transaction=True)
def test_the_menu_collapses_on_a_phone_and_opens_without_javascript(
    live_server,
    browser_page,
) -> None:
    make_person(name="Eve Enabler", username="eve", role=Person.Role.ENABLER)
    page = browser_page
    sign_in_with_keyboard(page, live_server.url, "eve")
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


@pytest.mark.django_db(transaction=True)
def test_the_bar_is_one_line_at_1280_px_and_more_opens_with_the_keyboard(
    live_server,
    browser_page,
) -> None:
    make_person(name="Eve Enabler", username="eve", role=Person.Role.ENABLER)
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in_with_keyboard(page, live_server.url, "eve")
    bar = page.locator("nav.nav-bar")
    # Its entries are 44 px high: a second line would make it at least 88.
    assert bar.bounding_box()["height"] < 60

    insights = bar.get_by_role("link", name="Insights")
    assert insights.is_visible() is False  # under "More" until asked
    for _ in range(20):  # Tab through the header until "More" has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "More":
            break
    else:
        pytest.fail("'More' cannot be reached with Tab")
    page.keyboard.press("Enter")
    assert insights.is_visible() is True
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Insights":
            break
    else:
        pytest.fail("'Insights' cannot be reached with Tab once 'More' is open")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/insights/")
    assert page.locator("h1").inner_text() == "Programme dashboard"
