"""The knowledge gaps page in a real browser: no axe violation on a 390 px phone or at 1280
px, no sideways scrolling (the tables read as cards), and a gap's action reached and followed
with the keyboard alone."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.library.models import SearchQueryLog
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.chat.test_pages_browser import axe_violations
from tests.factories import make_occurrence, make_person, make_session, make_topic

pytestmark = BROWSER_TESTS
SHOTS = os.environ.get("KNOWFLOW_SCREENSHOTS", "")


def _organisation() -> None:
    make_person(role=Person.Role.ENABLER, name="Erin Enabler", username="erin")
    cobol = make_topic("COBOL on the mainframe")
    grace = make_person(name="Grace Hopper-Lovelace", tz="America/New_York")
    session = make_session(speakers=[grace], title="COBOL for people who write Python")
    session.topics.add(cobol)
    make_occurrence(session=session, start=timezone.now() - timedelta(days=12))
    make_topic("Terraform")
    for _ in range(3):
        SearchQueryLog.objects.create(
            query="terraform modules", normalized="terraform modules", result_count=0
        )


@pytest.mark.django_db(transaction=True)
def test_gaps_page_is_accessible_on_a_phone_and_its_actions_work_by_keyboard(
    live_server, browser_page
) -> None:
    _organisation()
    page = browser_page
    sign_in_with_keyboard(page, live_server.url, "erin")

    problems = {}
    for width, height in ((390, 844), (1280, 800)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/insights/gaps/")
        problems[width] = axe_violations(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/gaps-{width}.png", full_page=True)
    assert problems == {390: [], 1280: []}

    # On the phone, Tab until "Start a circle" has the focus; Enter opens the charter with the
    # gap's topic in it.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/insights/gaps/")
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Start a circle":
            break
    assert page.evaluate("document.activeElement.textContent") == "Start a circle"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/circles/new/?topic=*")
    assert page.locator("input[name=topics]").input_value() == "Terraform"
