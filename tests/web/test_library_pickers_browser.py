"""The library's pickers in a real browser: a collection's "Add" and a resource's session are
chosen by name, by keyboard, on a phone and on a wide screen."""

from __future__ import annotations

import pytest

from knowflow.library import services
from knowflow.library.models import Resource
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.factories import make_person, make_session

pytestmark = BROWSER_TESTS

WIDTHS = {"phone": (390, 844), "wide": (1280, 800)}


def _page_width(page: object) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _pick(page: object, field_id: str, typed: str, listbox: str) -> None:
    """Type into a picker, wait for its suggestions, choose the first with the keyboard."""
    page.locator(f"#{field_id}").focus()
    page.keyboard.type(typed)
    page.get_by_role("listbox", name=listbox).get_by_role("option").first.wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", WIDTHS)
def test_a_collection_gets_a_resource_and_a_session_picked_by_name(
    live_server,
    browser_page,
    tmp_path,
    width: str,
) -> None:
    owner = make_person(name="Olga Owner", username="olga")
    collection = services.collection_create(actor=owner, title="Start here")
    services.resource_create(actor=owner, kind="article", title="Consensus in practice",
                             url="https://example.org/c")  # fmt: skip
    make_session(title="Raft explained")
    page = browser_page
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    sign_in_with_keyboard(page, live_server.url, "olga")

    page.goto(f"{live_server.url}/library/collections/{collection.slug}/")
    assert page.locator("#id_resource").get_attribute("role") == "combobox"
    _pick(page, "id_resource", "consens", "Resource")
    page.get_by_label("Note").fill("Read first")
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_load_state()
    _pick(page, "id_session", "raft", "Session")
    page.screenshot(path=tmp_path / f"collection-picking-{width}.png", full_page=True)
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_load_state()
    page.screenshot(path=tmp_path / f"collection-{width}.png", full_page=True)

    assert page.locator("ol.rows li.row > a").all_inner_texts() == [
        "Consensus in practice",
        "Raft explained",
    ]
    assert page.locator(".messages li").inner_text() == "Added."
    assert _page_width(page) <= WIDTHS[width][0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", WIDTHS)
def test_a_resource_moves_to_another_session_from_its_edit_page(
    live_server,
    browser_page,
    tmp_path,
    width: str,
) -> None:
    owner = make_person(name="Olga Owner", username="olga")
    first = make_session(title="Kubernetes at scale")
    second = make_session(title="Kubernetes in production, part two")
    video = services.resource_create(actor=owner, kind="recording", title="Video",
                                     url="https://v.example.org/k", session=first)  # fmt: skip
    page = browser_page
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    sign_in_with_keyboard(page, live_server.url, "olga")

    page.goto(f"{live_server.url}/library/{video.slug}/edit/")
    session_chips = page.locator(".picker:has(#id_session) .picker-chip > span")
    assert session_chips.all_inner_texts() == ["Kubernetes at scale"]
    _pick(page, "id_session", "in produc", "Session")
    assert session_chips.all_inner_texts() == ["Kubernetes in production, part two"]
    page.screenshot(path=tmp_path / f"resource-edit-{width}.png", full_page=True)
    assert _page_width(page) <= WIDTHS[width][0]
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    page.screenshot(path=tmp_path / f"resource-{width}.png", full_page=True)

    assert page.get_by_role("link", name="Kubernetes in production, part two").count() == 1
    assert Resource.objects.get(pk=video.pk).session == second
