"""A picker in a real browser: found, chosen and submitted with the keyboard alone, announced
to a screen reader, and clean under axe."""

from __future__ import annotations

import pytest

from knowflow.events.models import Session
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.factories import make_person

pytestmark = BROWSER_TESTS


def _tab_to(page: object, element_id: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


@pytest.mark.django_db(transaction=True)
def test_speaker_is_picked_by_name_with_the_keyboard_alone(live_server, browser_page) -> None:
    make_person(name="Pia Proposer", username="pia")
    ada = make_person(name="Ada Lovelace", tz="Europe/London")
    make_person(name="Lovisa Berg", tz="Europe/Stockholm")
    from playwright.sync_api import expect

    page = browser_page
    sign_in_with_keyboard(page, live_server.url, "pia")

    page.goto(f"{live_server.url}/sessions/propose/")
    _tab_to(page, "id_title")
    page.keyboard.type("Analytical engines")
    _tab_to(page, "id_speakers")
    combobox = page.locator("#id_speakers")
    assert combobox.get_attribute("role") == "combobox"
    assert combobox.get_attribute("aria-expanded") == "false"
    page.keyboard.type("lov")
    page.locator("[role=listbox] [role=option]").nth(1).wait_for()

    # Names starting with the text come first; each says where the person is.
    # What a screen reader hears: initials are for the eye only.
    options = page.get_by_role("listbox", name="Speakers").get_by_role("option")
    assert options.count() == 2
    expect(options.nth(0)).to_have_accessible_name("Lovisa Berg, Europe/Stockholm")
    expect(options.nth(1)).to_have_accessible_name("Ada Lovelace, Europe/London")
    assert options.nth(0).inner_text().split()[0] == "LB"
    assert combobox.get_attribute("aria-expanded") == "true"
    status = page.locator(".picker:has(#id_speakers) [role=status]")
    expect(status).to_have_text("2 matches. Use the down arrow to choose.")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    active = combobox.get_attribute("aria-activedescendant")
    assert page.locator(f"#{active}").get_attribute("aria-selected") == "true"
    assert "Ada Lovelace" in page.locator(f"#{active}").inner_text()
    page.keyboard.press("Enter")  # chooses; does not submit the form

    assert page.url == f"{live_server.url}/sessions/propose/"
    assert combobox.get_attribute("aria-expanded") == "false"
    assert page.locator(".picker:has(#id_speakers) .picker-chip button").get_attribute(
        "aria-label"
    ) == ("Remove Ada Lovelace")
    expect(status).to_have_text("Ada Lovelace added.")
    assert page.evaluate("document.activeElement.id") == "id_speakers"

    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, context="form.stacked")
    assert [v["id"] for v in found.response["violations"]] == []

    # Escape closes the list without losing what was chosen; then submit from the keyboard.
    page.keyboard.type("berg")
    page.locator("[role=listbox] [role=option]").first.wait_for()
    page.keyboard.press("Escape")
    assert combobox.get_attribute("aria-expanded") == "false"
    page.keyboard.press("Escape")  # a second Escape clears what was typed
    assert combobox.input_value() == ""
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Save":
            break
    else:
        raise AssertionError("Tab never reached Save")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: not url.endswith("/propose/"))

    session = Session.objects.get(title="Analytical engines")
    assert list(session.speakers.all()) == [ada]
    assert page.locator("h1").inner_text() == "Analytical engines"
