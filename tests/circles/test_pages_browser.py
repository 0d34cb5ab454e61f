"""A circle's page in a real browser: on a 390 px phone and at 1280 px, no axe violation, no
sideways scrolling, its health and leads readable; a circle started with the keyboard alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from knowflow.circles.models import Circle, Membership
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.chat.test_pages_browser import axe_violations
from tests.factories import make_circle, make_occurrence, make_person, make_session

pytestmark = BROWSER_TESTS


@pytest.mark.django_db(transaction=True)
def test_circle_page_on_a_phone_reads_like_a_home_and_a_circle_starts_by_keyboard(
    live_server, browser_page
) -> None:
    champion = make_person(name="Chen Champion", username="chen")
    circle = make_circle(champions=[champion], name="Data engineering")
    Circle.objects.filter(pk=circle.pk).update(
        mission="We share **pipelines** that work.", scope="Batch and streaming.", state="active"
    )
    for n in range(12):
        Membership.objects.create(circle=circle, person=make_person(name=f"Member Number {n}"))
    make_occurrence(
        session=make_session(title="Backfills without tears", circle=circle),
        start=timezone.now() - timedelta(days=3),
    )
    page = browser_page
    sign_in_with_keyboard(page, live_server.url, "chen")

    problems = {}
    for width, height in ((390, 844), (1280, 800)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/circles/{circle.slug}/")
        problems[width] = axe_violations(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert problems == {390: [], 1280: []}
    assert page.locator("#circle-leads").inner_text() == "Champion: Chen Champion"
    assert page.locator("#health-figures dd").nth(0).inner_text() == "0 of 13 (last 90 days)"

    # Keyboard only, on the phone: from the list to a new circle.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/circles/new/")
    page.focus("#id_name")
    page.keyboard.type("Rust curious")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_mission"
    page.keyboard.type("We try Rust on small tools.")
    page.locator("#id_cadence").select_option("fortnightly")
    page.focus("#id_name")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.locator(".messages").inner_text() == (
        "Rust curious is open, and you are its champion."
    )
    assert page.locator("h1").inner_text() == "Rust curious"
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
