"""The follow-up's learning-record box in a real browser, on a 390 px phone: unticked, ticked
from the keyboard, no wider than the screen, no axe violation, and what the thank-you page says."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from knowflow.feedback.models import Kind
from knowflow.outbound.models import OutboundPost
from knowflow.xapi.services import xapi_applied_enqueue_due
from tests.browser import BROWSER_TESTS
from tests.factories import make_person
from tests.feedback.helpers import attend, ended_occurrence, open_requests
from tests.xapi.lrs import Lrs

pytestmark = BROWSER_TESTS


@pytest.mark.django_db(transaction=True)
def test_the_box_is_unticked_reachable_by_keyboard_and_fits_a_phone(
    live_server, browser_page, lrs: Lrs
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    occurrence = ended_occurrence()
    attend(occurrence, [make_person()])
    ((_request, token),) = open_requests(occurrence, kind=Kind.FOLLOW_UP_30).values()
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/feedback/r/{token}/")

    box = page.get_by_label(
        "Also record in my company's learning record that I applied this (your name is attached)"
    )
    assert box.is_checked() is False
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    violations = [v["id"] for v in Axe().run(page).response["violations"]]
    assert violations == []

    for name, value in [
        ("applied", "regularly"),
        ("how_often", "weekly"),
        ("result", "clear"),
        ("hours_saved", "2"),
        ("hours_confidence", "50"),
        ("hours_attribution", "50"),
    ]:
        page.check(f"input[name={name}][value='{value}']")
    box.focus()
    page.keyboard.press("Space")
    assert box.is_checked() is True
    page.get_by_role("button", name="Send my answers").click()

    assert page.get_by_role("heading", name="Thank you").is_visible()
    assert page.get_by_text(
        "Your company's learning record will say, with your name, that you applied what you "
        "learned in this session: it is told tomorrow"
    ).is_visible()
    assert OutboundPost.objects.count() == 0  # written tomorrow, with that day's others
    xapi_applied_enqueue_due(now=timezone.now() + timedelta(days=1))
    assert OutboundPost.objects.filter(kind="xapi.statement").count() == 1
