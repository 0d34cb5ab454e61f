"""The webhook pages in a real browser, as an admin on a 390 px phone: nothing scrolls
sideways, the delivery log becomes cards, and axe finds no violation on any of them."""

from __future__ import annotations

import pytest
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.outbound.services import outbound_deliver_due
from knowflow.webhooks.services import webhook_create, webhook_ping
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.factories import make_person
from tests.webhooks.receiver import Receiver

pytestmark = BROWSER_TESTS


def axe_violations(page: object) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']][:5]}"
        for v in results.response["violations"]
    ]


@pytest.mark.django_db(transaction=True)
def test_webhook_pages_fit_a_phone_and_pass_axe(
    live_server: object, browser_page: object, hook_receiver: Receiver
) -> None:
    admin = make_person(role=Person.Role.ADMIN, name="Ada Admin", username="ada")
    webhook, _ = webhook_create(
        actor=admin, url=hook_receiver.url, description="The LMS", events=["session.scheduled"]
    )
    hook_receiver.statuses = [503]
    webhook_ping(webhook=webhook, actor=admin)
    webhook_ping(webhook=webhook, actor=admin)
    outbound_deliver_due(now=timezone.now())
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_with_keyboard(page, live_server.url, "ada")
    base = f"{live_server.url}/settings/webhooks"

    seen = {}
    for path in ("/", "/new/", f"/{webhook.pk}/", f"/{webhook.pk}/edit/", f"/{webhook.pk}/rotate/"):
        page.goto(base + path)
        seen[path] = {
            "wider than the phone": page.evaluate("document.documentElement.scrollWidth > 390"),
            "axe": axe_violations(page),
        }
    page.goto(f"{base}/{webhook.pk}/")
    # Newest first: the second ping waits (its receiver failed the first in this pass).
    responses = page.locator("table.deliveries td[data-label=Response]").all_inner_texts()
    statuses = page.locator("table.deliveries td[data-label=Status]").all_inner_texts()
    card = page.evaluate(
        "getComputedStyle(document.querySelector('table.deliveries tbody tr')).display"
    )
    # A form sent with errors: the summary and the messages pass axe too.
    page.goto(f"{base}/new/")
    page.fill("#id_url", "ftp://nowhere")
    page.click("button:text('Add webhook')")
    errors = page.locator(".error-summary").inner_text()
    seen["errors"] = {"wider than the phone": False, "axe": axe_violations(page)}

    assert seen == {path: {"wider than the phone": False, "axe": []} for path in seen}
    assert responses == ["—", "503"]
    assert [s.split()[0] for s in statuses] == ["Waiting", "Will"]
    assert card == "block"  # the log's rows are cards on a phone
    assert "Choose at least one event to send." in errors
