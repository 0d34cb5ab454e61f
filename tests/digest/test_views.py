"""The digest as a person meets it: the email received over SMTP with its RFC 8058 headers, the
one-click unsubscribe, the confirmation page a link scanner sees, and the profile setting."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.signing import b64_encode
from django.test import Client

from knowflow.accounts.models import Person
from knowflow.digest.models import DigestSubscription
from knowflow.digest.services import digest_enqueue_due
from knowflow.mail.services import outbox_deliver_due
from tests.conftest import signed_in
from tests.digest.helpers import MONDAY, THURSDAY_BEFORE, at, circle_with_new_date, wednesday_at
from tests.factories import make_person
from tests.smtp import Inbox, text_part

pytestmark = pytest.mark.django_db


def weekly_reader() -> Person:
    with at(THURSDAY_BEFORE):
        ada = make_person(name="Ada", tz="UTC")
        digest_enqueue_due()
    circle_with_new_date(ada, start=wednesday_at(10), title="Tracing in practice")
    return ada


def unsubscribe_path(person: Person) -> str:
    """The path of the List-Unsubscribe link of the person's queued digest."""
    with at(MONDAY + timedelta(hours=8)):
        digest_enqueue_due()
    from knowflow.mail.models import OutboxMessage

    header = OutboxMessage.objects.get(recipient=person.email).headers["List-Unsubscribe"]
    return urlsplit(header.strip("<>")).path


def subscription_of(person: Person) -> tuple[str, object]:
    row = DigestSubscription.objects.get(person=person)
    return row.frequency, row.next_due_at


def test_received_digest_carries_one_click_unsubscribe_headers(smtp: Inbox) -> None:
    ada = weekly_reader()
    with at(MONDAY + timedelta(hours=8)):
        digest_enqueue_due()
        outbox_deliver_due()
    [message] = smtp.messages
    assert message["To"] == ada.email
    assert message["Subject"] == "Your Knowflow week: 1 new session date"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = str(message["List-Unsubscribe"]).strip()  # a long header is folded onto a new line
    assert link.startswith("<https://learn.example.org/digest/unsubscribe/") and link.endswith("/>")
    assert "Tracing in practice, Wednesday 09 December, 10:00–11:00 (UTC)" in text_part(message)
    html = message.get_body(preferencelist=("html",)).get_content()
    assert link.strip("<>") in html


def test_one_click_post_turns_the_digest_off_and_nothing_else() -> None:
    ada = weekly_reader()
    path = unsubscribe_path(ada)
    before = Person.objects.values().get(pk=ada.pk)
    # What a mail client sends (RFC 8058 §3.2): no session, no CSRF token.
    response = Client(enforce_csrf_checks=True).post(
        path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert subscription_of(ada) == ("off", None)
    assert Person.objects.values().get(pk=ada.pk) == before

    # Next week, with news, nothing comes.
    circle_with_new_date(ada, start=wednesday_at(24 * 7 + 10), title="More news")
    with at(MONDAY + timedelta(days=7, hours=8)):
        digest_enqueue_due()
    from knowflow.mail.models import OutboxMessage

    assert OutboxMessage.objects.filter(recipient=ada.email).count() == 1


def test_a_tampered_token_is_refused_and_changes_nothing() -> None:
    ada = weekly_reader()
    path = unsubscribe_path(ada)
    token = path.rstrip("/").rsplit("/", 1)[1]
    before = subscription_of(ada)
    other = make_person()
    # Another person's id in the payload, with Ada's signature.
    _, stamp, signature = token.split(":")
    forged = f"{b64_encode(str(other.pk).encode()).decode()}:{stamp}:{signature}"
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), forged, "nonsense"):
        response = Client().post(f"/digest/unsubscribe/{bad}/")
        assert response.status_code == 400
        assert "This unsubscribe link is not valid" in response.content.decode()
    assert subscription_of(ada) == before
    assert not DigestSubscription.objects.filter(person=other).exists()


def test_a_get_shows_a_button_and_does_not_unsubscribe() -> None:
    ada = weekly_reader()
    path = unsubscribe_path(ada)
    before = subscription_of(ada)
    response = Client().get(path)
    page = response.content.decode()
    assert response.status_code == 200
    assert f'<form method="post" action="{path}"><button>Unsubscribe</button></form>' in page
    assert subscription_of(ada) == before
    assert before[0] == "weekly"


def test_profile_setting_turns_the_digest_off_and_on() -> None:
    ada = make_person(tz="UTC")
    client = signed_in(ada)
    profile = client.get("/accounts/profile/").content.decode()
    assert "Weekly, on my first working day, at 08:00 your time" in profile

    response = client.post("/digest/", {"frequency": "off"}, follow=True)
    assert "Digest: off." in response.content.decode()
    assert subscription_of(ada) == ("off", None)
    assert "Off: you get no digest." in client.get("/accounts/profile/").content.decode()

    response = client.post("/digest/", {"frequency": "hourly"})
    assert response.status_code == 200
    assert "Choose weekly, every working day or off." in response.content.decode()
    assert subscription_of(ada) == ("off", None)

    client.post("/digest/", {"frequency": "daily"})
    frequency, next_due_at = subscription_of(ada)
    assert frequency == "daily" and next_due_at is not None


def test_digest_settings_need_sign_in() -> None:
    response = Client().post("/digest/", {"frequency": "off"})
    assert response.status_code == 302
    assert not DigestSubscription.objects.exists()
