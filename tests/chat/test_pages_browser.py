"""The chat channels page in a real browser: on a 390 px phone and at 1280 px, no axe
violation, no sideways scrolling, and a channel connected with the keyboard alone."""

from __future__ import annotations

import pytest

from knowflow.chat.models import ChatChannel
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.chat.helpers import channel_to
from tests.factories import make_circle, make_person

pytestmark = BROWSER_TESTS


def axe_violations(page: object) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']][:5]}"
        for v in results.response["violations"]
    ]


@pytest.mark.django_db(transaction=True)
def test_channels_page_on_a_phone_is_accessible_and_works_by_keyboard(
    live_server, browser_page
) -> None:
    champion = make_person(name="Chen Champion", username="chen")
    circle = make_circle(champions=[champion], name="Data engineering")
    channel_to("https://example.org/hook", circle=circle, name="#existing", created_by=champion)
    page = browser_page
    sign_in_with_keyboard(page, live_server.url, "chen")

    problems = {}
    for width, height in ((390, 844), (1280, 800)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/chat/circles/{circle.slug}/")
        problems[width] = axe_violations(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert problems == {390: [], 1280: []}

    # Keyboard only, on the phone: the name field, then the URL, then the button.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/chat/circles/{circle.slug}/")
    page.focus("#id_name")
    page.keyboard.type("#data-eng")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_webhook_url"
    page.keyboard.type("https://hooks.slack.com/services/T1/B1/abc")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.locator(".messages").inner_text() == (
        "#data-eng is connected. Send a test message to check that it arrives."
    )
    assert ChatChannel.objects.filter(name="#data-eng", circle=circle).count() == 1
    assert "T1/B1/abc" not in page.content()
    assert axe_violations(page) == []
