"""The Content-Security-Policy in a real browser: the main pages work under it and Chromium
reports no violation (a blocked script, handler or style) on any of them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.events.models import Registration
from knowflow.library.services import resource_create
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.factories import make_occurrence, make_person, make_session

pytestmark = BROWSER_TESTS


@pytest.mark.django_db(transaction=True)
def test_main_pages_show_no_policy_violation_in_the_browser(live_server, browser_page) -> None:
    admin = make_person(role=Person.Role.ADMIN, name="Ada Admin", username="ada")
    session = make_session(title="Pods in practice")
    occurrence = make_occurrence(session=session, start=timezone.now() + timedelta(days=2))
    Registration.objects.create(
        occurrence=occurrence,
        person=admin,
        status=Registration.Status.GOING,
        requested_at=timezone.now(),
    )
    resource = resource_create(
        actor=admin, kind="article", title="Pods explained", url="https://e.org/p"
    )
    page = browser_page
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    base = live_server.url

    sign_in_with_keyboard(page, base, "ada")
    shown = {}
    for path in [
        "/",
        f"/sessions/{session.slug}/",
        f"/sessions/{session.slug}/find-a-time/",
        f"/feedback/sessions/{session.slug}/",
        "/library/",
        f"/library/{resource.slug}/",
        "/insights/",
        "/sessions/propose/",
        "/admin/",
        f"/admin/events/occurrence/{occurrence.pk}/change/",
        "/api/v1/docs",
    ]:
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
        shown[path] = page.title()
    api_docs_heading = page.locator(".swagger-ui .info .title").inner_text()
    # The search page's suggestions come from its script, now a static file: typing fills them.
    page.goto(f"{base}/search/")
    page.locator("input[data-suggest]").type("Pods")
    page.locator("#search-suggestions option").first.wait_for(state="attached")
    suggestions = page.eval_on_selector_all(
        "#search-suggestions option", "o => o.map(x => x.value)"
    )

    assert violations == []
    assert suggestions == ["pods"]
    assert shown == {
        "/": "For you · Knowflow",
        f"/sessions/{session.slug}/": "Pods in practice · Knowflow",
        f"/sessions/{session.slug}/find-a-time/": "Find a time · Knowflow",
        f"/feedback/sessions/{session.slug}/": "Feedback: Pods in practice · Knowflow",
        "/library/": "Library · Knowflow",
        f"/library/{resource.slug}/": "Pods explained · Knowflow",
        "/insights/": "Programme dashboard · Knowflow",
        "/sessions/propose/": "Propose a session · Knowflow",
        "/admin/": "Site administration | Django site admin",
        f"/admin/events/occurrence/{occurrence.pk}/change/": (
            f"{occurrence} | Change occurrence | Django site admin"
        ),
        "/api/v1/docs": "Knowflow API",
    }
    assert api_docs_heading.startswith("Knowflow API")  # Swagger UI drew the page
