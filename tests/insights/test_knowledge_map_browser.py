"""The knowledge map in a real browser: on a 390 px phone the picture shrinks to the screen and
the tables read as cards, never wider than the screen; by keyboard alone, the circles in the
picture are links that take the focus."""

from __future__ import annotations

import os

import pytest

from knowflow.accounts.models import Person
from knowflow.circles.models import Membership
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.factories import make_circle, make_person, make_topic, org_unit

pytestmark = BROWSER_TESTS

SHOTS = os.environ.get("KNOWFLOW_SCREENSHOTS", "")


def _organisation() -> None:
    make_person(role=Person.Role.ENABLER, name="Erin Enabler", username="erin")
    units = [org_unit(f"Team {name}") for name in ("Platform", "Data", "Design", "Sales")]
    topics = [make_topic(name) for name in ("Python", "SQL", "Kubernetes", "Accessibility")]
    people = [make_person(name=f"Person {n}", org_unit=units[n % 4]) for n in range(24)]
    for c in range(8):
        circle = make_circle(name=f"Community of practice number {c}")
        circle.topics.set([topics[c % 4], topics[(c + 1) % 4]])
        for person in people[c * 3 : c * 3 + 6]:
            Membership.objects.create(circle=circle, person=person)


@pytest.mark.django_db(transaction=True)
def test_map_fits_a_phone_and_its_circles_are_reached_by_keyboard(
    live_server, browser_page
) -> None:
    _organisation()
    page = browser_page
    sign_in_with_keyboard(page, live_server.url, "erin")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/insights/map/")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/knowledge-map-390.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    picture = page.locator("svg.knowledge-map").bounding_box()
    assert picture["x"] >= 0 and picture["x"] + picture["width"] <= 390
    first_card = page.locator("#circles + table tbody tr").first
    box = first_card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert first_card.locator("td").first.inner_text() == "6"

    # Tab from the top of the page until the focus lands on a circle inside the picture.
    reached = None
    for _ in range(60):
        page.keyboard.press("Tab")
        reached = page.evaluate(
            "document.activeElement.closest('svg') ? "
            "document.activeElement.getAttribute('href') : null"
        )
        if reached:
            break
    assert reached is not None and reached.startswith("/circles/circle-")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}{reached}")

    if SHOTS:
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{live_server.url}/insights/map/")
        page.screenshot(path=f"{SHOTS}/knowledge-map-1280.png", full_page=True)
        page.locator("svg.knowledge-map").screenshot(path=f"{SHOTS}/knowledge-map-svg.png")
