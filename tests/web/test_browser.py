"""The pages in a real browser: usable with the keyboard alone, and on a phone-sized screen.

Headless Chromium (Debian's package) driven by Playwright; skipped with a reason when the
browser is not installed (`.ci/run` installs it).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from knowflow.events.models import Registration
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.factories import make_occurrence, make_person, make_session, make_topic

pytestmark = BROWSER_TESTS


@pytest.mark.django_db(transaction=True)
def test_member_registers_for_a_session_with_the_keyboard_alone(live_server, browser_page) -> None:
    member = make_person(name="Kim Keyboard", tz="Asia/Kolkata", username="kim")
    session = make_session(title="Accessible forms")
    occurrence = make_occurrence(
        session=session, start=timezone.now() + timedelta(days=2), capacity=5
    )
    page = browser_page

    sign_in_with_keyboard(page, live_server.url, "kim")
    assert page.locator("h1").inner_text() == "For you, Kim Keyboard"

    page.goto(f"{live_server.url}/sessions/{session.slug}/")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    for _ in range(40):  # Tab through the page until the Register button has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Register":
            break
    else:
        pytest.fail("the Register button cannot be reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_load_state()

    assert page.locator(".messages li").inner_text() == "You are registered."
    registration = Registration.objects.get(occurrence=occurrence, person=member)
    assert registration.status == Registration.Status.GOING


@pytest.mark.django_db(transaction=True)
def test_catalogue_fits_a_phone_screen_without_sideways_scrolling(
    live_server, browser_page
) -> None:
    make_person(name="Pat Phone", username="pat")
    topic = make_topic("Observability")
    for n in range(5):
        session = make_session(title=f"Tracing in practice, part {n + 1} of a long series")
        session.topics.set([topic])
        make_occurrence(session=session, start=timezone.now() + timedelta(days=n + 1))
    page = browser_page
    sign_in_with_keyboard(page, live_server.url, "pat")

    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/sessions/")

    assert page.locator(".rows > li").count() == 5
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


@pytest.mark.django_db(transaction=True)
def test_open_actions_fit_a_phone_and_close_with_the_keyboard(live_server, browser_page) -> None:
    from knowflow.accounts.models import Person
    from knowflow.feedback.models import RetrospectiveAction
    from knowflow.feedback.services.retrospectives import retrospective_action_add

    make_person(name="Eve Enabler", username="eve", role=Person.Role.ENABLER)
    speaker = make_person(name="Sol Speaker")
    owner = make_person(name="Alexandra Montgomery-Fitzgerald")
    occurrence = make_occurrence(
        session=make_session(title="Incident reviews that change something", speakers=[speaker]),
        start=timezone.now() - timedelta(days=3),
    )
    for n, text in enumerate(
        ["Book the larger room with two microphones for the next date", "Share the slides"]
    ):
        retrospective_action_add(
            occurrence=occurrence,
            actor=speaker,
            text=text,
            owner=owner,
            due_on=timezone.localdate() + timedelta(days=n - 1),
        )
    page = browser_page
    sign_in_with_keyboard(page, live_server.url, "eve")
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"{live_server.url}/feedback/actions/")

    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Each button says which action it closes (a screen reader lists buttons by their name).
    book = "Mark done “Book the larger room with two microphones for the next date”"
    assert page.get_by_role("button", name=book, exact=True).count() == 1
    assert page.get_by_role("button", name="Mark done “Share the slides”", exact=True).count() == 1
    for _ in range(60):  # Tab to the first "Mark done" (the late action comes first)
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == book:
            break
    else:
        pytest.fail("no Mark done button can be reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_load_state()

    assert page.locator(".messages li").inner_text() == (
        "“Book the larger room with two microphones for the next date” is done."
    )
    assert page.locator("table.open-actions tbody tr").count() == 1
    assert list(RetrospectiveAction.objects.filter(done=True).values_list("text", flat=True)) == [
        "Book the larger room with two microphones for the next date"
    ]


def test_a_frozen_roi_version_prints_its_figures_without_the_site_around_them(
    live_server, browser_page
) -> None:
    from decimal import Decimal

    from knowflow.accounts.models import Person
    from knowflow.insights import services as insights

    enabler = make_person(role=Person.Role.ENABLER, name="Erin Enabler", username="erin")
    today = timezone.now().date()
    study = insights.roi_study_create(
        actor=enabler,
        title="Guild ROI",
        period_start=today - timedelta(days=30),
        period_end=today,
        isolation_method="participant_estimate",
        isolation_note="Participants estimated the share.",
        default_hourly_cost=Decimal("80"),
        organiser_hours=Decimal("10"),
    )
    insights.roi_cost_add(study=study, actor=enabler, label="Venue", amount=Decimal("500"))
    insights.roi_version_freeze(study=study, actor=enabler, note="For the board")
    page = browser_page
    sign_in_with_keyboard(page, live_server.url, "erin")

    page.goto(f"{live_server.url}/insights/roi/{study.pk}/versions/1/")
    page.emulate_media(media="print")

    assert page.locator("h1").inner_text() == "Guild ROI — version 1"
    assert page.locator("header.top").is_visible() is False
    assert page.locator("footer.foot").is_visible() is False
    assert page.get_by_text("Back to the live study").is_visible() is False
    assert page.locator("table").first.inner_text().split("\n")[0] == (
        "Costs (fully loaded)\t1,300.00"
    )
    page.emulate_media(media="screen")
    assert page.locator("header.top").is_visible() is True
