"""Survey requests and reminders through the real email outbox, delivered to a real SMTP server
(aiosmtpd on loopback), and the links they carry."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from knowflow.feedback.models import Response, SurveyRequest
from knowflow.feedback.selectors.requests import feedback_requests_due
from knowflow.feedback.services.requests import (
    _dispatch_one,
    feedback_dispatch_due,
    feedback_requests_create_due,
    feedback_tick,
)
from knowflow.mail.models import OutboxMessage
from knowflow.mail.services import outbox_deliver_due
from tests.feedback.helpers import GOOD, attend, ended_occurrence, people
from tests.smtp import Inbox

pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"http://[^/\s]+(/feedback/r/kfs_[\w-]+/)")


def links_in(inbox: Inbox) -> list[str]:
    return [
        LINK.search(message.get_body(("plain",)).get_content()).group(1)
        for message in inbox.messages
    ]


def form(answers: dict) -> dict:
    return {key: value for key, value in answers.items() if value not in ("", None)}


def test_request_and_one_reminder_arrive_by_email_and_the_link_answers_once(smtp: Inbox) -> None:
    occurrence = ended_occurrence()
    (person,) = people(1)
    attend(occurrence, [person])
    now = timezone.now()

    feedback_tick(now=now + timedelta(hours=1))
    feedback_tick(now=now + timedelta(hours=1))  # a second pass sends nothing more
    outbox_deliver_due(now=now + timedelta(hours=1))
    mine = [m for m in smtp.messages if m["To"] == person.email]
    assert [m["Subject"] for m in mine] == [f"Your feedback: {occurrence.session.title}"]

    feedback_tick(now=now + timedelta(days=4))
    feedback_tick(now=now + timedelta(days=5))
    outbox_deliver_due(now=now + timedelta(days=5))
    mine = [m for m in smtp.messages if m["To"] == person.email]
    assert [m["Subject"] for m in mine] == [
        f"Your feedback: {occurrence.session.title}",
        "Reminder: after the session survey",
    ]
    first, reminder = (LINK.search(m.get_body(("plain",)).get_content()).group(1) for m in mine)
    assert first != reminder
    client = Client()
    assert client.get(first).status_code == 200
    assert "Thank you" in client.post(reminder, form(GOOD)).content.decode()
    assert client.get(first).status_code == 404
    assert Response.objects.count() == 1


def test_a_retried_step_writes_one_email() -> None:
    occurrence = ended_occurrence()
    (person,) = people(1)
    attend(occurrence, [person])
    now = timezone.now()
    feedback_requests_create_due(now=now)
    stale = feedback_requests_due(now=now + timedelta(hours=1))
    # Two workers (or a retry) holding the same rows: the second finds them taken.
    assert {_dispatch_one(r, now=now + timedelta(hours=1)) for r in stale} == {"sent"}
    assert {_dispatch_one(r, now=now + timedelta(hours=1)) for r in stale} == {"skipped"}
    assert OutboxMessage.objects.filter(recipient=person.email).count() == 1
    assert SurveyRequest.objects.get(person=person, kind="after_session").status == "sent"


def test_cancelled_session_withdraws_its_scheduled_surveys() -> None:
    occurrence = ended_occurrence()
    (person,) = people(1)
    attend(occurrence, [person])
    now = timezone.now()
    feedback_requests_create_due(now=now)
    occurrence.session.status = "cancelled"
    occurrence.session.save()
    report = feedback_dispatch_due(now=now + timedelta(hours=1))
    assert (report.sent, report.cancelled) == (0, 2)
    assert not OutboxMessage.objects.exists()
