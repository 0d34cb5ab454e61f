"""The conference pages in a real browser, as a member and an organiser use them: the programme
at 1280 px and on a 390 px phone (never wider than the screen), filtered by keyboard alone, the
publish page, and axe finding nothing on any of them."""

from __future__ import annotations

import os

import pytest

from knowflow.accounts.models import Person
from knowflow.conferences.services import release_publish
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.conferences.conftest import build_conference
from tests.factories import make_person
from tests.web.test_accessibility_browser import axe_violations, tab_into, tab_to

pytestmark = BROWSER_TESTS

SHOTS = os.environ.get("KNOWFLOW_SCREENSHOTS", "")


def _published(talks: int = 6) -> str:
    enabler = make_person(role=Person.Role.ENABLER, name="Erin Enabler", username="erin")
    built = build_conference(talks=talks, enabler=enabler)
    release_publish(actor=enabler, conference=built.conference)
    return built.conference.slug


@pytest.mark.django_db(transaction=True)
def test_a_member_reads_and_filters_the_programme_on_a_desktop_and_a_phone(
    live_server, browser_page
) -> None:
    slug = _published()
    make_person(name="Max Member", username="max", tz="America/New_York")
    page = browser_page
    sign_in_with_keyboard(page, live_server.url, "max")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/conferences/")
    page.get_by_role("link", name="DevDays").click()
    page.wait_for_url(f"{live_server.url}/conferences/{slug}/")
    assert page.locator("#talk-count").inner_text() == "6 talks"
    # The viewer's zone: 10:00 in Berlin is 04:00 in New York.
    assert "04:00" in page.locator("time").first.inner_text()
    assert axe_violations(page) == []
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/conference-1280.png", full_page=True)

    # Filter by track with the keyboard alone.
    tab_into(page, page.get_by_label("Track"))
    page.keyboard.press("ArrowDown")  # the first track after "Every track"
    tab_to(page, "Filter")
    page.keyboard.press("Enter")
    page.wait_for_url("**track=**")
    assert page.locator("#talk-count").inner_text() == "3 of 6 talks"
    assert axe_violations(page) == []

    # Add a talk to the agenda with the keyboard: back on the same filtered page, at the talk.
    tab_to(page, "Add “Talk number 4” to my agenda")
    page.keyboard.press("Enter")
    page.wait_for_url("**track=**#talk-*")
    assert page.locator("#agenda-size").inner_text() == "1 in your agenda"
    assert page.locator("#talk-count").inner_text() == "3 of 6 talks"
    assert page.get_by_role("button", name="Remove “Talk number 4” from my agenda").is_visible()
    assert axe_violations(page) == []
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/conference-starred-1280.png")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/conferences/{slug}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.get_by_role("link", name="Calendar file (.ics)").is_visible()
    assert axe_violations(page) == []
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/conference-390.png", full_page=True)


@pytest.mark.django_db(transaction=True)
def test_an_organiser_checks_the_changes_and_publishes_from_a_phone(
    live_server, browser_page
) -> None:
    enabler = make_person(role=Person.Role.ENABLER, name="Erin Enabler", username="erin")
    built = build_conference(talks=4, enabler=enabler)
    page = browser_page
    sign_in_with_keyboard(page, live_server.url, "erin")
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"{live_server.url}/conferences/{built.conference.slug}/")
    assert page.locator("#not-published").is_visible()
    page.get_by_role("link", name="Check and publish the first release").click()
    assert "First release: 4 talks" in page.locator("#changes").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/conference-publish-390.png", full_page=True)
    page.get_by_role("button", name="Publish release 1").click()
    page.wait_for_url(f"{live_server.url}/conferences/{built.conference.slug}/")
    assert "Release 1 of DevDays is published" in page.locator(".messages").inner_text()
    assert page.locator("#talk-count").inner_text() == "4 talks"


@pytest.mark.django_db(transaction=True)
def test_an_organiser_builds_moves_and_applies_a_programme_on_a_phone_and_a_desktop(
    live_server, browser_page, settings
) -> None:
    from knowflow.conferences import planning
    from knowflow.conferences.services import star_set

    settings.KNOWFLOW_PROGRAMME_TIME_LIMIT_SECONDS = 5
    enabler = make_person(role=Person.Role.ENABLER, name="Erin Enabler", username="erin")
    built = build_conference(talks=4, enabler=enabler)
    Person.objects.filter(sessions_given__conference_talk__conference=built.conference).update(
        timezone="Europe/Berlin"
    )
    for _ in range(7):
        fan = make_person()
        for talk in built.talks[:2]:
            star_set(actor=fan, talk=talk, starred=True)
    planning.programme_settings_update(
        actor=enabler,
        conference=built.conference,
        slot_times="10:00, 11:00",
        slot_minutes=45,
        rooms=built.rooms,
    )
    page = browser_page
    sign_in_with_keyboard(page, live_server.url, "erin")
    for width, height in ((390, 844), (1280, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/conferences/devdays/")
        page.get_by_role("link", name="Build the programme").click()
        assert (
            "6 periods × 2 rooms = 12 places for 4 talks" in page.locator("#capacity").inner_text()
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert axe_violations(page) == []
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/conference-plan-{width}.png", full_page=True)
        page.get_by_role("button", name="Build the programme").click()
        page.wait_for_url("**/plan/drafts/*/")
        assert "Attendee conflicts" in page.locator("#cost").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert axe_violations(page) == []
        page.get_by_role("link", name="Move “Talk number 4”").click()
        page.get_by_label("To").select_option(index=0)
        page.get_by_role("button", name="See the cost").click()
        assert page.locator("#move-preview").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert axe_violations(page) == []
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/conference-draft-{width}.png", full_page=True)
    page.get_by_role("button", name="Apply to the talks' dates").click()
    # The browser keeps the page's #move on the redirect.
    page.wait_for_url(f"{live_server.url}/conferences/devdays/publish/**")
    assert "The programme is in the talks' dates" in page.locator(".messages").inner_text()


@pytest.mark.django_db(transaction=True)
def test_a_member_proposes_a_talk_from_a_phone(live_server, browser_page) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from knowflow.conferences import proposals

    enabler = make_person(role=Person.Role.ENABLER, name="Erin Enabler", username="erin")
    built = build_conference(talks=0, enabler=enabler)
    proposals.call_update(
        actor=enabler,
        conference=built.conference,
        opens_at=timezone.now() - timedelta(days=1),
        closes_at=timezone.now() + timedelta(days=9),
        formats=["talk", "workshop"],
        questions=["Who is it for?"],
    )
    make_person(name="Priya Speaker", username="priya", tz="Asia/Kolkata")
    page = browser_page
    sign_in_with_keyboard(page, live_server.url, "priya")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/conferences/devdays/cfp/")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Propose a talk").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
    page.get_by_label("Title").fill("Query plans for analysts")
    page.get_by_label("Abstract").fill(
        "Read an EXPLAIN and fix the three most common slow queries."
    )
    page.get_by_label("Tue 4 Jun").check()
    page.get_by_label("Who is it for?").fill("Analysts")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/conference-propose-390.png", full_page=True)
    page.get_by_role("button", name="Submit the proposal").click()
    page.wait_for_url(f"{live_server.url}/conferences/devdays/cfp/")
    assert "is submitted" in page.locator(".messages").inner_text()
    assert "Submitted" in page.locator("#proposal-1, .rows").first.inner_text()
    assert axe_violations(page) == []
