"""A message's kind is a dotted name owned by the app that writes it: a new kind needs no
migration, a malformed one is refused, and people read words, not the name."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail as django_mail
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.mail.kinds import kind_label, outbox_kind
from knowflow.mail.models import OutboxMessage
from knowflow.mail.services import outbox_deliver_due, outbox_enqueue
from tests.conftest import signed_in
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def _enqueue(kind: str, key: str = "kind-test") -> bool:
    return outbox_enqueue(
        kind=kind,
        recipient="ada@example.org",
        subject="Your talk is accepted",
        body="Hello Ada",
        dedupe_key=key,
    )


def test_a_kind_no_app_wrote_before_is_queued_and_delivered_without_a_migration() -> None:
    assert _enqueue("conferences.proposal_accepted") is True

    report = outbox_deliver_due(now=timezone.now() + timedelta(seconds=1))

    assert report.sent == 1
    assert [(m.to, m.subject) for m in django_mail.outbox] == [
        (["ada@example.org"], "Your talk is accepted")
    ]
    assert OutboxMessage.objects.get().kind == "conferences.proposal_accepted"


@pytest.mark.parametrize(
    "kind", ["survey", "Events.Invitation", "events.", ".invitation", "events invitation", ""]
)
def test_a_kind_that_is_not_lowercase_dotted_words_is_refused(kind: str) -> None:
    with pytest.raises(ValueError, match="is not a lowercase dotted outbox kind"):
        _enqueue(kind)
    assert OutboxMessage.objects.count() == 0


def test_the_model_refuses_a_malformed_kind_in_the_admin_and_full_clean() -> None:
    _enqueue("feedback.survey")
    message = OutboxMessage.objects.get()
    message.kind = "Survey"

    with pytest.raises(ValidationError) as error:
        message.full_clean()

    assert error.value.message_dict["kind"] == [
        "“Survey” is not a message kind: use the writing app's name, a dot and the message's "
        "name, in lowercase (for example events.invitation)."
    ]


def test_each_app_names_its_kinds_in_words() -> None:
    assert [
        kind_label(kind)
        for kind in (
            "events.invitation",
            "events.waitlisted",
            "feedback.survey",
            "library.review_reminder",
            "conferences.proposal_accepted",  # nobody registered it: its own name, as words
        )
    ] == ["Invitation", "Waitlist", "Survey request", "Resource review", "Proposal accepted"]


def test_declaring_a_malformed_kind_fails_at_once() -> None:
    with pytest.raises(ValueError, match="is not a lowercase dotted message kind"):
        outbox_kind("Invitation", "Invitation")


@override_settings(DEBUG=True)
def test_the_debug_mailbox_shows_an_unregistered_kind_in_words() -> None:
    _enqueue("conferences.proposal_accepted")
    client = signed_in(make_person(role=Person.Role.ENABLER))

    listing = client.get("/debug/outbox/").content.decode()

    assert "to ada@example.org · Proposal accepted ·" in listing
