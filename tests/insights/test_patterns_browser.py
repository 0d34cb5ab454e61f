"""The "What works" page on a 390 px phone: no sideways scrolling, the summary on the first
screen, and "Run this again" reached with the keyboard alone."""

from __future__ import annotations

import os

import pytest
from django.utils import timezone

from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.insights.test_patterns import QUERY, build_programme

pytestmark = BROWSER_TESTS
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def templates(transactional_db: None) -> None:
    # A transactional test empties the tables the data migration filled: load them again.
    from knowflow.feedback.defaults import seed_default_templates
    from knowflow.feedback.models import Question, SurveyTemplate

    seed_default_templates(
        template_model=SurveyTemplate, question_model=Question, now=timezone.now()
    )


@pytest.mark.django_db(transaction=True)
def test_what_works_on_a_phone_by_keyboard(templates: None, live_server, browser_page) -> None:  # noqa: ANN001
    data = build_programme()
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_with_keyboard(page, live_server.url, data.enabler.user.username)

    page.goto(f"{live_server.url}/insights/what-works/{QUERY}")

    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("#summary").bounding_box()["y"] < 844
    assert "84.4 % of judged answers (n=16 responses)" in page.locator("#summary").inner_text()
    if os.environ.get("KNOWFLOW_SCREENSHOT"):
        page.screenshot(path=os.environ["KNOWFLOW_SCREENSHOT"], full_page=True)
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Run this again":
            break
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/insights/run-again/{data.a.slug}/")
    assert page.locator("h1").inner_text() == "Run this again"
