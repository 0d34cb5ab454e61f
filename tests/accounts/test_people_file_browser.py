"""The people file's pages in a real browser on a 390 px phone: upload, preview, apply; no
page wider than the screen, no axe violation, keyboard-reachable controls."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from knowflow.accounts.models import Person
from knowflow.accounts.services import person_create
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.factories import PASSWORD, make_office

pytestmark = BROWSER_TESTS

SHOTS = os.environ.get("KNOWFLOW_SCREENSHOTS", "")


def axe_violations(page: object) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']][:5]}"
        for v in results.response["violations"]
    ]


@pytest.mark.django_db(transaction=True)
def test_an_admin_imports_a_people_file_on_a_phone(
    live_server, browser_page, tmp_path: Path
) -> None:
    make_office("Berlin", tz="Europe/Berlin")
    person_create(
        display_name="Root Admin",
        username="root",
        password=PASSWORD,
        email="root@example.com",
        role="admin",
    )
    person_create(display_name="Ada", username="ada", password=PASSWORD, email="ada@example.com")
    person_create(
        display_name="Gone Person", username="gone", password=PASSWORD, email="gone@example.com"
    )
    csv_file = tmp_path / "staff.csv"
    csv_file.write_text(
        "email;name;department;office;time zone\n"
        "ada@example.com;Ada Lovelace;Analytical Engines;Berlin;Europe/Berlin\n"
        "grace.hopper.with.a.long.address@example.com;Grace Hopper;Compilers;;America/New_York\n"
        "broken-address;Nobody;;;\n"
        "root@example.com;Root Admin;;;\n",
        encoding="utf-8-sig",
    )
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_with_keyboard(page, live_server.url, "root")

    page.goto(f"{live_server.url}/accounts/people/")
    page.get_by_role("link", name="Import people from a file").click()
    page.wait_for_url(f"{live_server.url}/accounts/people/import/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/people-import-390.png", full_page=True)
    page.get_by_label("People file (CSV)").set_input_files(str(csv_file))
    page.get_by_label("Deactivate the people who are not in the file").check()
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_url("**/accounts/people/import/*/")

    assert page.locator("#people-summary").inner_text() == (
        "1 new · 1 changed · 1 deactivated · 0 reactivated · 1 unchanged · 1 broken line"
    )
    assert page.locator("#broken-lines tbody tr").inner_text().split() == [
        "4", "'broken-address'", "is", "not", "an", "email", "address",
    ]  # fmt: skip
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/people-import-preview-390.png", full_page=True)
    assert Person.objects.get(email="ada@example.com").display_name == "Ada"

    page.get_by_role("button", name="Apply 3 changes").click()
    page.wait_for_load_state()

    assert page.locator(".messages li").inner_text() == (
        "People file applied: 1 new, 1 changed, 1 deactivated, 0 reactivated;"
        " 1 broken line was left out."
    )
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/people-import-applied-390.png", full_page=True)
    assert Person.objects.get(email="ada@example.com").display_name == "Ada Lovelace"
    assert Person.objects.get(email="gone@example.com").deactivated_at is not None
    assert Person.objects.get(email="root@example.com").deactivated_at is None
