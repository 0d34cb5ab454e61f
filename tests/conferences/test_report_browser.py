"""The follow-up report in a real browser, as an organiser reads it after the conference: from
the programme's link, at 1280 px and on a 390 px phone (never wider than the screen), the
recordings put in a collection, and axe finding nothing."""

from __future__ import annotations

import os

import pytest
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.conferences.services import release_publish
from knowflow.events.models import Attendance
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.conferences.test_report import past_conference, recording, register
from tests.factories import make_person
from tests.feedback.helpers import GOOD, answer_all, attend, people
from tests.web.test_accessibility_browser import axe_violations

pytestmark = BROWSER_TESTS

SHOTS = os.environ.get("KNOWFLOW_SCREENSHOTS", "")


@pytest.fixture(autouse=True)
def shipped_templates() -> None:
    """A transactional test empties every table when it ends, the shipped survey templates
    too: load them again (a no-op when they are there)."""
    from knowflow.feedback.defaults import seed_default_templates
    from knowflow.feedback.models import Question, SurveyTemplate

    seed_default_templates(
        template_model=SurveyTemplate, question_model=Question, now=timezone.now()
    )


@pytest.mark.django_db(transaction=True)
def test_an_organiser_reads_the_report_on_a_desktop_and_a_phone(live_server, browser_page) -> None:
    enabler = make_person(role=Person.Role.ENABLER, name="Erin Enabler", username="erin")
    past = past_conference(talks=4, enabler=enabler)
    release_publish(actor=enabler, conference=past.conference)
    first, second, *_ = past.occurrences
    who = people(6)
    register(first, who)
    attend(first, who[:4], Attendance.Mode.ROOM)
    attend(first, who[4:], Attendance.Mode.ONLINE)
    attend(first, people(1), Attendance.Mode.RECORDING)
    attend(second, people(3), Attendance.Mode.ONLINE)
    answer_all(first, GOOD)
    answer_all(second, GOOD)
    recording(past.talks[0].session, "Talk 01 video")
    page = browser_page
    sign_in_with_keyboard(page, live_server.url, "erin")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/conferences/devdays/")
    page.get_by_role("link", name="Follow-up report").click()
    page.wait_for_url(f"{live_server.url}/conferences/devdays/report/")
    assert page.locator("#attendance-total").inner_text().split() == [
        "All", "talks", "6", "6", "4", "5", "1", "10",
    ]  # fmt: skip
    assert page.locator(f"#feedback-{past.talks[1].guid} td").inner_text() == (
        "Too few responses to show: fewer than 5 people answered."
    )
    assert axe_violations(page) == []
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/conference-report-1280.png", full_page=True)

    page.get_by_role("button", name="Put the recordings in a library collection").click()
    page.wait_for_url(f"{live_server.url}/conferences/devdays/report/")
    assert page.locator(".messages").inner_text() == (
        "“DevDays recordings” is in the library with 1 recording."
    )
    assert page.get_by_role("link", name="DevDays recordings").is_visible()
    assert axe_violations(page) == []

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/conferences/devdays/report/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.get_by_role(
        "button", name="Put the recordings in a library collection"
    ).is_visible()
    assert axe_violations(page) == []
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/conference-report-390.png", full_page=True)
