"""The digest pages in a real browser, on a phone: the setting from the profile, and the
unsubscribe link a person opens from the email."""

from __future__ import annotations

import pytest

from knowflow.digest.models import DigestSubscription
from knowflow.digest.notifications import unsubscribe_token
from tests.browser import BROWSER_TESTS, sign_in_with_keyboard
from tests.factories import make_person

pytestmark = BROWSER_TESTS


def frequency_of(person: object) -> str | None:
    row = DigestSubscription.objects.filter(person=person).first()
    return row.frequency if row else None


def fits_the_phone(page: object) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.django_db(transaction=True)
def test_setting_from_the_profile_and_unsubscribing_from_the_link_on_a_phone(
    live_server, browser_page
) -> None:
    ada = make_person(name="Ada", username="ada")
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})

    sign_in_with_keyboard(page, live_server.url, "ada")
    page.goto(f"{live_server.url}/accounts/profile/")
    page.locator("#digest + p").get_by_role("link", name="Change").click()
    page.wait_for_url(f"{live_server.url}/digest/")
    assert fits_the_phone(page)
    page.get_by_label("Every working day").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live_server.url}/digest/")
    assert page.get_by_role("status").inner_text() == "Digest: every working day."
    assert frequency_of(ada) == "daily"

    # The link from the email, opened in a browser: a page with a button, nothing changed yet.
    page.goto(f"{live_server.url}/digest/unsubscribe/{unsubscribe_token(person_id=ada.pk)}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Unsubscribe from the digest?"
    assert fits_the_phone(page)
    assert frequency_of(ada) == "daily"
    page.get_by_role("button", name="Unsubscribe").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="You are unsubscribed").wait_for()
    assert frequency_of(ada) == "off"
