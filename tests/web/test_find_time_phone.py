"""Find a time's heat map in a real browser: a list of each day's best hours on a 390 px
phone, the 24-column grid at 1280 px, and never a page wider than the screen."""

from __future__ import annotations

import os
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.factories import make_circle, make_person, make_session

pytestmark = BROWSER_TESTS

SHOTS = os.environ.get("KNOWFLOW_SCREENSHOTS", "")


def _find_time_url(base: str) -> str:
    speaker = make_person(name="Sam Speaker", tz="Europe/Berlin", username="sam")
    circle = make_circle(name="Data guild")
    for n, tz in enumerate(["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Europe/London"]):
        circle.memberships.create(person=make_person(name=f"Member {n}", tz=tz))
    session = make_session(speakers=[speaker], circle=circle, title="Query plans")
    # A Monday two weeks or more ahead, whatever day the suite runs on: the first day's
    # best hours are a weekday's.
    later = (timezone.now() + timedelta(days=14)).date()
    monday = later + timedelta(days=-later.weekday() % 7)
    query = {
        "circle": circle.slug,
        "speakers": speaker.slug,
        "duration": "60",
        "first_day": monday.isoformat(),
        "days": "7",
        "step": "60",
        "label_by": "region",
        "tz": "Europe/Berlin",
        "series_step": "7",
    }
    return f"{base}/sessions/{session.slug}/find-a-time/?{urlencode(query)}"


@pytest.mark.django_db(transaction=True)
def test_heat_map_reads_as_a_list_of_best_hours_on_a_phone_and_a_grid_on_a_desktop(
    live_server, browser_page
) -> None:
    url = _find_time_url(live_server.url)
    page = browser_page
    sign_in_with_keyboard(page, live_server.url, "sam")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url)
    days = page.locator(".heat-days > li")
    first_day = days.first
    first_day.scroll_into_view_if_needed(timeout=5000)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/find-time-390.png")

    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("svg.heatmap").is_visible() is False
    assert days.count() == 7
    assert first_day.is_visible()
    # Berlin's working day: the best hours of a weekday reach most of the audience.
    best = first_day.locator(".heat-hours li")
    assert best.count() == 3
    slots = [text.split() for text in best.all_inner_texts()]  # ["09:00", "80%"]
    percents = [int(percent.rstrip("%")) for _, percent in slots]
    assert percents == sorted(percents, reverse=True)
    assert percents[0] > 0
    assert all(hour[2:] == ":00" for hour, _ in slots)
    box = best.first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    font = page.evaluate("getComputedStyle(document.querySelector('.heat-hours li')).fontSize")
    assert float(font.removesuffix("px")) >= 14  # readable without zooming

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(url)
    page.locator("svg.heatmap").scroll_into_view_if_needed(timeout=5000)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/find-time-1280.png")

    assert page.locator("svg.heatmap").is_visible()
    assert page.locator(".heat-days").is_visible() is False
    assert page.locator("svg.heatmap rect").count() == 7 * 24
