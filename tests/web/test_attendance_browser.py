"""Attendance in a real browser: the organiser's checklist and an attendee's check-in by link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from knowflow.events.models import Attendance, Occurrence
from knowflow.events.services import registration_create
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.factories import make_occurrence, make_person, make_room, make_session

pytestmark = BROWSER_TESTS


def attendance() -> list[tuple[str, str, bool]]:
    return sorted(Attendance.objects.values_list("person__display_name", "mode", "self_reported"))


@pytest.mark.django_db(transaction=True)
def test_organiser_ticks_all_present_in_the_room_and_a_walk_in_checks_in_by_the_link(
    live_server,
    browser_page,
    tmp_path,
) -> None:
    speaker = make_person(name="Sam Speaker", username="sam")
    session = make_session(title="Hybrid retro", speakers=[speaker])
    occurrence = make_occurrence(
        session=session, start=timezone.now() + timedelta(days=1), room=make_room(), minutes=120
    )
    for name in ("Ada", "Bo", "Cy"):
        person = make_person(name=name)
        registration_create(occurrence=occurrence, person=person, actor=person)
    # The date is under way (registered a day ago, started ten minutes ago).
    Occurrence.objects.filter(pk=occurrence.pk).update(
        start=timezone.now() - timedelta(minutes=10), end=timezone.now() + timedelta(minutes=110)
    )
    make_person(name="Walt Walkin", username="walt")
    page = browser_page

    sign_in_with_keyboard(page, live_server.url, "sam")
    page.get_by_role("link", name="Record who came: Hybrid retro").click()
    # A radio button's label names a choice: normal weight (the design system's form field),
    # while a field's own label stays bold; at 1280 px and on a 390 px phone alike.
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=tmp_path / f"checklist-{width}.png", full_page=True)
        assert page.locator("form.attendance-checklist label:has(input[type=radio])").evaluate_all(
            "labels => [...new Set(labels.map(l => getComputedStyle(l).fontWeight))]"
        ) == ["400"]
        assert (
            page.locator("label[for=id_others]").evaluate(
                "label => getComputedStyle(label).fontWeight"
            )
            == "600"
        )
    page.set_viewport_size({"width": 1024, "height": 800})
    page.get_by_label("Bo: online").check()
    page.get_by_role("button", name="All others present in the room").click()
    page.wait_for_load_state()
    page.screenshot(path=tmp_path / "checklist.png", full_page=True)

    assert page.locator(".messages li").inner_text() == "Attendance saved: 3 recorded, 0 removed."
    assert attendance() == [("Ada", "room", False), ("Bo", "online", False), ("Cy", "room", False)]

    page.get_by_role("link", name="Show the check-in link and QR code").click()
    page.screenshot(path=tmp_path / "checkin-display.png", full_page=True)
    assert page.locator("figure.checkin-qr svg title").text_content() == (
        "QR code of the check-in link"
    )
    link = page.locator("#checkin-link").get_attribute("href")

    walk_in = page.context.browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    sign_in_with_keyboard(walk_in, live_server.url, "walt")
    walk_in.goto(link)
    walk_in.get_by_label("online").check()
    walk_in.get_by_role("button", name="Check me in").click()
    walk_in.wait_for_load_state()
    walk_in.screenshot(path=tmp_path / "checked-in.png", full_page=True)

    assert walk_in.locator(".messages li").inner_text() == (
        "You are checked in. Thank you for coming!"
    )
    assert attendance() == [
        ("Ada", "room", False),
        ("Bo", "online", False),
        ("Cy", "room", False),
        ("Walt Walkin", "online", True),
    ]
    # Back on the session page, the walk-in is shown as attended, with no Register to press.
    assert walk_in.locator("table.occurrences .badge").all_inner_texts() == ["Attended"]
    assert walk_in.get_by_role("button", name="Register").count() == 0
