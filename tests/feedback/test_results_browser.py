"""The results page in a real browser: the summary is on the first screen, and the page opens
short with the charts one click away."""

from __future__ import annotations

import os

import pytest

from knowflow.feedback.models import Kind
from knowflow.feedback.services.responses import survey_response_submit
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.factories import make_person
from tests.feedback.helpers import GOOD, attend, ended_occurrence, open_requests, people

pytestmark = BROWSER_TESTS
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

APPLIED = {
    "applied": "regularly",
    "how_often": "weekly",
    "result": "clear",
    "result_example": "We now review pipelines in pairs",
    "hours_saved": "2",
    "hours_confidence": "50",
    "hours_attribution": "50",
}


@pytest.mark.django_db(transaction=True)
def test_results_page_opens_with_the_summary_and_the_detail_a_click_away(
    live_server,
    browser_page,
) -> None:
    speaker = make_person(name="Sam Speaker")
    occurrence = ended_occurrence(speakers=[speaker], days_ago=2)
    attend(occurrence, people(8))
    for request, _ in open_requests(occurrence).values():
        survey_response_submit(request=request, answers=GOOD)
    for request, _ in open_requests(occurrence, kind=Kind.FOLLOW_UP_30).values():
        survey_response_submit(request=request, answers=APPLIED)
    page = browser_page
    sign_in_with_keyboard(page, live_server.url, speaker.user.username)

    page.goto(f"{live_server.url}/feedback/sessions/{occurrence.session.slug}/")

    summary = page.locator("#summary")
    assert summary.bounding_box()["y"] + 200 < 800  # on the first screen
    assert (
        page.locator("#summary li").first.inner_text()
        == "After the session: 8 of 8 answered (100%)"
    )
    assert "100% say they have applied it." in summary.inner_text()
    assert page.locator("svg.chart").first.is_visible() is False  # behind a click
    closed = page.evaluate("document.documentElement.scrollHeight")
    if os.environ.get("KNOWFLOW_SCREENSHOT"):
        page.screenshot(path=os.environ["KNOWFLOW_SCREENSHOT"], full_page=True)

    page.get_by_text("Every question, with its chart and table").first.click()
    assert page.locator("svg.chart").first.is_visible() is True
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    everything = page.evaluate("document.documentElement.scrollHeight")

    # The page opens at under a third of the length of everything it holds.
    print(f"results page height at 1024 px: {closed} px closed, {everything} px all open")
    assert closed * 3 < everything, (closed, everything)
