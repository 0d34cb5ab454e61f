"""Accessibility in a real browser: axe (axe-core, bundled by axe-playwright-python) reports no
violation of any impact on the API docs and on every page of the main flows, and those flows
work with the keyboard alone, the focused control always visibly marked.

Each flow starts from home and moves by Tab and Enter (or Space, arrow keys and typing) only;
every control the focus lands on is checked for a visible outline or shadow on the way.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.events.models import Session
from knowflow.feedback.defaults import seed_default_templates
from knowflow.feedback.models import Question, Response, SurveyTemplate
from knowflow.feedback.services.requests import feedback_dispatch_due, feedback_requests_create_due
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.factories import make_person, make_session
from tests.feedback.helpers import attend, ended_occurrence

pytestmark = BROWSER_TESTS

# What the browser says about the focused element: its name and whether it is visibly marked.
FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow !== "none";
  const label = element.labels && element.labels.length ? element.labels[0].textContent : "";
  const name = (element.getAttribute("aria-label") || label || element.textContent
                || element.name || element.id || "").trim().replace(/\\s+/g, " ");
  return {tag: element.tagName.toLowerCase(), name: name.replace(/:$/, "").slice(0, 80),
          visible: outline || shadow, outline: style.outline};
}"""


def axe_violations(page: object) -> list[str]:
    """Every axe violation on the page as it is now, of any impact: "rule (impact): targets"."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']][:5]}"
        for v in results.response["violations"]
    ]


def press_tab(page: object) -> dict:
    """Tab once; what has the focus now."""
    page.keyboard.press("Tab")
    return page.evaluate(FOCUSED)


def tab_to(page: object, name: str, *, limit: int = 80) -> None:
    """Press Tab until the control called ``name`` has the focus; every control passed on the
    way must show where the focus is."""
    unmarked, passed = [], []
    for _ in range(limit):
        focused = press_tab(page)
        passed.append(focused["name"])
        if not focused["visible"]:
            unmarked.append(f"{focused['tag']} {focused['name']!r} {focused['outline']}")
        if focused["name"] == name:
            assert unmarked == [], f"focus is invisible on {unmarked} on {page.url}"
            return
    pytest.fail(f"{name!r} cannot be reached with Tab on {page.url}; reached {passed}")


def tab_into(page: object, part: object, *, limit: int = 40) -> None:
    """Press Tab until the focus is inside ``part`` of the page (a question, a form), every
    control on the way visibly focused."""
    for _ in range(limit):
        focused = press_tab(page)
        assert focused["visible"], f"focus is invisible on {focused} on {page.url}"
        if part.evaluate("(element) => element.contains(document.activeElement)"):
            return
    pytest.fail(f"Tab never reaches {part} on {page.url}")


def press_enter_and_wait(page: object) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()


@pytest.mark.django_db(transaction=True)
def test_api_docs_show_no_axe_violation_collapsed_or_expanded(live_server, browser_page) -> None:
    make_person(role=Person.Role.ADMIN, name="Ada Admin", username="ada")
    page = browser_page
    sign_in_with_keyboard(page, live_server.url, "ada")

    page.goto(f"{live_server.url}/api/v1/docs")
    page.locator(".opblock").first.wait_for()
    collapsed = axe_violations(page)
    # A GET expanded with "Try it out", and a POST whose request body becomes editable.
    for method in ("get", "post"):
        page.locator(f".opblock-{method} .opblock-summary-control").first.click()
        page.locator(f".opblock-{method} .try-out__btn").first.click()
        page.locator(f".opblock-{method} .execute").first.wait_for()
    expanded = axe_violations(page)

    assert collapsed == []
    assert expanded == []
    assert page.locator(".opblock-post textarea").first.get_attribute("aria-label") == (
        "Request body (JSON)"
    )


@pytest.mark.django_db(transaction=True)
def test_api_docs_expand_an_operation_with_the_keyboard(live_server, browser_page) -> None:
    make_person(name="Kim Keyboard", username="kim")
    page = browser_page
    sign_in_with_keyboard(page, live_server.url, "kim")
    page.goto(f"{live_server.url}/api/v1/docs")
    page.locator(".opblock").first.wait_for()

    tab_to(page, "GET/api/v1/topics/Topic List")  # Swagger runs the words together
    page.keyboard.press("Enter")
    page.locator(".opblock-get .opblock-body").first.wait_for()

    assert page.locator(".opblock-summary-control").first.get_attribute("aria-expanded") == "true"
    assert page.locator(".opblock-get .opblock-body .try-out__btn").first.is_visible()


@pytest.mark.django_db(transaction=True)
def test_member_answers_a_survey_from_home_with_the_keyboard_alone(
    live_server,
    browser_page,
) -> None:
    # An earlier transactional test may have emptied the tables, the shipped survey templates
    # with them: load them again (a no-op when they are there).
    seed_default_templates(
        template_model=SurveyTemplate, question_model=Question, now=timezone.now()
    )
    member = make_person(name="Kim Keyboard", username="kim")
    occurrence = ended_occurrence(session=make_session(title="Accessible forms"), days_ago=1)
    attend(occurrence, [member])
    now = timezone.now()
    feedback_requests_create_due(now=now)
    feedback_dispatch_due(now=now)
    page = browser_page
    visited = {}

    sign_in_with_keyboard(page, live_server.url, "kim")
    visited["home"] = axe_violations(page)
    tab_to(page, "Rate “Accessible forms”")
    press_enter_and_wait(page)
    visited["survey"] = axe_violations(page)
    # Each question in turn: a scale is a group of radio buttons (Tab reaches the group, the
    # arrow keys choose), a free-text box takes typing.
    answered = []
    for question in page.locator("main form fieldset, main form .free-text").all():
        radios = question.locator("input[type=radio]")
        tab_into(page, question)
        if radios.count():
            page.keyboard.press("ArrowDown")  # the second option; a radio group starts unchosen
            page.keyboard.press("ArrowUp")  # back to the first, now chosen
            answered.append(("scale", question.locator("input:checked").get_attribute("value")))
        elif question.locator("textarea, input[type=text]").count():
            page.keyboard.type("Pairing on a real form helped")
            answered.append(("text", page.evaluate("document.activeElement.value")))
        else:  # checkboxes: Space ticks the first
            page.keyboard.press("Space")
            answered.append(("check", question.locator("input:checked").get_attribute("value")))
    tab_to(page, "Send my answers")
    press_enter_and_wait(page)
    visited["thanks"] = axe_violations(page)

    assert visited == {"home": [], "survey": [], "thanks": []}
    assert ("text", "Pairing on a real form helped") in answered
    assert page.locator("h1").inner_text() != ""
    assert Response.objects.filter(occurrence=occurrence).count() == 1


@pytest.mark.django_db(transaction=True)
def test_member_proposes_a_session_with_the_keyboard_alone(live_server, browser_page) -> None:
    member = make_person(name="Kim Keyboard", username="kim")
    page = browser_page
    visited = {}

    sign_in_with_keyboard(page, live_server.url, "kim")
    tab_to(page, "Propose")
    press_enter_and_wait(page)
    visited["propose"] = axe_violations(page)
    tab_to(page, "Title")
    page.keyboard.type("Screen readers for developers")
    page.keyboard.press("Tab")
    page.keyboard.type("What a **screen reader** announces, and how to test it.")
    tab_to(page, "Save")
    press_enter_and_wait(page)
    visited["session"] = axe_violations(page)

    assert visited == {"propose": [], "session": []}
    assert page.locator("h1").inner_text() == "Screen readers for developers"
    session = Session.objects.get(title="Screen readers for developers")
    assert session.status == Session.Status.PROPOSED
    assert list(session.speakers.all()) == [member]


@pytest.mark.django_db(transaction=True)
def test_speaker_finds_a_time_with_the_keyboard_alone(live_server, browser_page) -> None:
    speaker = make_person(name="Sol Speaker", username="sol", tz="Europe/Berlin")
    for n in range(4):
        make_person(tz=["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Europe/London"][n])
    session = make_session(title="Incident reviews", speakers=[speaker], status="proposed")
    page = browser_page
    visited = {}

    sign_in_with_keyboard(page, live_server.url, "sol")
    page.goto(f"{live_server.url}/sessions/{session.slug}/")
    visited["session"] = axe_violations(page)
    tab_to(page, "Skip to content")  # past the menu, which has a "Find a time" for any audience
    page.keyboard.press("Enter")
    tab_to(page, "Find a time")
    press_enter_and_wait(page)
    visited["find a time"] = axe_violations(page)
    tab_to(page, "Find times")
    press_enter_and_wait(page)
    visited["proposals"] = axe_violations(page)

    assert visited == {"session": [], "find a time": [], "proposals": []}
    assert page.get_by_role("heading", name="Best single times").count() == 1
    assert page.get_by_role("button", name="Create this date").count() >= 1
    tab_to(page, "Create this date")  # the first proposal can be taken by keyboard too
