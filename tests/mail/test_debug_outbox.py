"""The debug mailbox: in debug mode an enabler reads the worker's emails in the browser; a
member is refused, and with DEBUG off the page does not exist."""

from __future__ import annotations

import pytest
from django.test import override_settings

from knowflow.accounts.models import Person
from knowflow.mail.models import OutboxMessage
from knowflow.mail.services import outbox_enqueue
from tests.conftest import signed_in
from tests.factories import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def email() -> OutboxMessage:
    outbox_enqueue(
        kind="feedback.survey",
        recipient="ada@example.org",
        subject="Your feedback: Kafka basics",
        body="How was the session?\nAnswer here: http://127.0.0.1:8000/feedback/r/abc/",
        dedupe_key="debug-outbox-test",
    )
    return OutboxMessage.objects.get()


@override_settings(DEBUG=True)
def test_an_enabler_reads_the_emails_in_debug_mode(email: OutboxMessage) -> None:
    client = signed_in(make_person(role=Person.Role.ENABLER))
    listing = client.get("/debug/outbox/").content.decode()
    assert f'<a href="/debug/outbox/{email.pk}/">Your feedback: Kafka basics</a>' in listing
    assert "to ada@example.org · Survey request" in listing
    assert '<a href="/debug/outbox/">Debug mailbox</a>' in listing  # in the menu

    page = client.get(f"/debug/outbox/{email.pk}/").content.decode()
    assert (
        '<pre class="email-body">How was the session?\n'
        "Answer here: http://127.0.0.1:8000/feedback/r/abc/</pre>"
    ) in page
    missing = client.get("/debug/outbox/999999/")
    assert (missing.status_code, "There is no such email." in missing.content.decode()) == (
        404,
        True,
    )


@override_settings(DEBUG=True)
def test_a_member_is_refused_the_debug_mailbox(email: OutboxMessage) -> None:
    client = signed_in(make_person())
    for url in ("/debug/outbox/", f"/debug/outbox/{email.pk}/"):
        response = client.get(url)
        body = response.content.decode()
        assert (response.status_code, "Kafka basics" in body) == (403, False)
        assert "The debug mailbox is for enablers and admins." in body
    assert "Debug mailbox" not in client.get("/").content.decode()


def test_without_debug_the_mailbox_does_not_exist(email: OutboxMessage) -> None:
    client = signed_in(make_person(role=Person.Role.ADMIN))
    for url in ("/debug/outbox/", f"/debug/outbox/{email.pk}/"):
        response = client.get(url)
        assert (response.status_code, "Kafka basics" in response.content.decode()) == (404, False)
    assert "Debug mailbox" not in client.get("/").content.decode()
