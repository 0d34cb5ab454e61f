"""Cancelling a date in a real browser, as a speaker would: the session page's link, the
confirmation page that says who is told, its one button, and the date shown as cancelled."""

from __future__ import annotations

import pytest

from knowflow.events.models import Occurrence
from knowflow.events.services import registration_create
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.factories import make_occurrence, make_person, make_session

pytestmark = BROWSER_TESTS


@pytest.mark.django_db(transaction=True)
def test_speaker_cancels_a_date_through_the_confirmation_page(live_server, browser_page) -> None:
    speaker = make_person(name="Sam Speaker", username="sam")
    session = make_session(speakers=[speaker], title="Chaos engineering")
    occurrence = make_occurrence(session=session, capacity=24)
    for _ in range(3):
        attendee = make_person()
        registration_create(occurrence=occurrence, person=attendee, actor=attendee)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})

    sign_in_with_keyboard(page, live_server.url, "sam")
    page.goto(f"{live_server.url}/sessions/{session.slug}/")
    assert page.locator("table.occurrences td").nth(3).inner_text() == "3 / 24 going"
    page.get_by_role("link", name="Cancel this date").click()

    assert page.locator("h1").inner_text() == "Cancel this date?"
    assert page.locator("#cancel-audience").inner_text() == (
        "3 people going and 1 speaker will get an email that removes it from their calendar."
    )
    assert Occurrence.objects.get(pk=occurrence.pk).cancelled_at is None
    page.get_by_role("button", name="Cancel this date").click()
    page.wait_for_url(f"{live_server.url}/sessions/{session.slug}/")

    cells = page.locator("table.occurrences td")
    assert (cells.nth(3).inner_text(), cells.nth(4).inner_text()) == ("–", "Cancelled")
    assert page.get_by_role("link", name="Add to calendar").count() == 0
    assert page.locator("ul.messages li").all_inner_texts() == [
        "The date is cancelled; everyone going and the speakers are told."
    ]
    assert Occurrence.objects.get(pk=occurrence.pk).cancelled_at is not None
