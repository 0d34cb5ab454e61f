"""A topic request in a real browser, on a 390 px phone and by keyboard alone: from a search
that found nothing, to the request, to a vote with a reason — and no axe violation."""

from __future__ import annotations

import pytest

from knowflow.demand.models import TopicRequest, Vote
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.factories import make_person, make_topic_request
from tests.web.test_accessibility_browser import axe_violations

pytestmark = BROWSER_TESTS


def fits_the_phone(page: object) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.django_db(transaction=True)
def test_from_an_empty_search_to_a_request_and_a_vote_on_a_phone(live_server, browser_page) -> None:
    make_person(name="Ada Asker", username="ada")
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_with_keyboard(page, live_server.url, "ada")

    page.goto(f"{live_server.url}/search/?q=terraform+for+data+engineers")
    page.get_by_role("link", name="Suggest a topic request").click()
    page.wait_for_url(f"{live_server.url}/requests/ask/?title=terraform%20for%20data%20engineers")
    assert page.get_by_label("What do you need?").input_value() == "terraform for data engineers"
    assert fits_the_phone(page)
    assert axe_violations(page) == []
    page.get_by_role("button", name="Ask").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", level=1, name="terraform for data engineers").wait_for()
    request = TopicRequest.objects.get()
    assert page.url == f"{live_server.url}/requests/{request.pk}/"
    assert fits_the_phone(page)

    # Someone else finds it in the list and votes with a reason, by keyboard.
    page.context.clear_cookies()
    make_person(name="Vic Voter", username="vic")
    sign_in_with_keyboard(page, live_server.url, "vic")
    page.goto(f"{live_server.url}/requests/")
    page.get_by_role("link", name="terraform for data engineers").click()
    page.get_by_label("Why you need it (optional)").fill("Our pipelines move to IaC")
    page.get_by_role("button", name="I need this too").focus()
    page.keyboard.press("Enter")
    page.get_by_text("Your vote is counted.").wait_for()
    assert list(Vote.objects.values_list("person__display_name", "reason")) == [
        ("Vic Voter", "Our pipelines move to IaC")
    ]
    assert fits_the_phone(page)
    assert axe_violations(page) == []


@pytest.mark.django_db(transaction=True)
def test_the_demand_list_fits_a_phone_for_an_enabler(live_server, browser_page) -> None:
    make_person(name="Eve Enabler", username="eve", role="enabler")
    make_topic_request(title="A rather long request title about observability for everyone")
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_with_keyboard(page, live_server.url, "eve")

    page.goto(f"{live_server.url}/requests/demand/")

    assert page.get_by_role("heading", level=1).inner_text() == "Demand"
    assert fits_the_phone(page)
    assert axe_violations(page) == []
