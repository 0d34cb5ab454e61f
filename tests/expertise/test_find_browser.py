"""Find an expert in a real browser: by keyboard on a 390 px phone, no sideways scrolling,
no axe violation, and a colleague confirms a skill from the expert's page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from knowflow.expertise.models import SkillConfirmation
from knowflow.search.engine import invalidate
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.factories import make_occurrence, make_person, make_session, make_topic
from tests.web.test_accessibility_browser import axe_violations

pytestmark = BROWSER_TESTS


@pytest.mark.django_db(transaction=True)
def test_find_an_expert_by_keyboard_on_a_phone_and_confirm_a_skill(live_server, browser_page):
    sql = make_topic("SQL")
    expert = make_person(name="Tess Teacher", tz="Europe/Berlin")
    session = make_session(speakers=[expert], title="Window functions in SQL")
    session.topics.add(sql)
    make_occurrence(session=session, start=timezone.now() - timedelta(days=20))
    make_person(name="Vi Viewer", username="vi")
    invalidate()
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_with_keyboard(page, live_server.url, "vi")

    page.goto(f"{live_server.url}/experts/")
    page.get_by_label("Topic or question").focus()
    page.keyboard.type("sql")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/experts/?q=sql&topic=")

    row = page.locator("ol.experts li").first
    assert row.locator("strong").inner_text() == "Tess Teacher"
    assert "Europe/Berlin" in row.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []

    row.get_by_role("link", name="Tess Teacher").click()
    page.get_by_role("button", name="Confirm Tess Teacher knows SQL").click()
    assert page.locator("ul.messages").inner_text() == "You confirmed that Tess Teacher knows SQL."
    assert SkillConfirmation.objects.filter(person=expert, topic=sql).count() == 1
    assert "1 colleague confirmed SQL" in page.locator("main").inner_text()
