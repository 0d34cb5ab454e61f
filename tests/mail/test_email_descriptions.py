"""A session's Markdown abstract in email and calendars: plain text where text is shown, a
sanitised HTML part in email, nothing live from hostile Markdown. Delivered to a real SMTP
server (aiosmtpd) and parsed back with `email` and `icalendar`."""

from __future__ import annotations

from email.message import EmailMessage

import icalendar
import pytest
from django.urls import reverse

from knowflow.events.services import registration_create
from knowflow.feedback.notifications import outbox_enqueue_feedback_email
from knowflow.mail.models import OutboxMessage
from knowflow.mail.services import outbox_deliver_due
from tests.conftest import signed_in
from tests.factories import make_occurrence, make_person, make_session
from tests.mail.test_outbox import START
from tests.smtp import Inbox, calendar_part, only_event
from tests.test_markdown import Elements

pytestmark = pytest.mark.django_db

ABSTRACT = (
    "## What you will learn\n\n"
    "How we **migrate** a live database, step by step:\n\n"
    "- expand, then *contract*\n"
    "- read [the runbook](https://wiki.example.org/runbook)\n\n"
    "Do not [click](javascript:alert(document.cookie)).\n\n"
    "<script>alert(1)</script>\n\n"
    "![pixel](https://tracker.example/p.png)\n"
)

ABSTRACT_TEXT = (
    "What you will learn\n\n"
    "How we migrate a live database, step by step:\n\n"
    "- expand, then contract\n"
    "- read the runbook (https://wiki.example.org/runbook)\n\n"
    "Do not click.\n\n"
    "pixel"
)

MARKDOWN_SYNTAX = ("**", "##", "](", "*contract*", "<script", "javascript:")


def parts(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


@pytest.fixture
def occurrence() -> object:
    session = make_session(title="Zero-downtime migrations", abstract=ABSTRACT)
    return make_occurrence(session=session, start=START)


def test_invitation_email_has_plain_text_an_html_part_and_a_plain_description(
    smtp: Inbox, occurrence: object
) -> None:
    person = make_person(name="Ines Invitee")

    registration_create(occurrence=occurrence, person=person, actor=person)
    outbox_deliver_due()

    [message] = smtp.messages
    assert parts(message) == ["multipart/alternative", "text/plain", "text/html", "text/calendar"]
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert f"Zero-downtime migrations\n\n{ABSTRACT_TEXT}\n\n— Knowflow" in text
    assert [syntax for syntax in MARKDOWN_SYNTAX if syntax in text] == []

    html = message.get_body(preferencelist=("html",)).get_content()
    parsed = Elements(html)
    hrefs = [value for tag, name, value in parsed.attributes if tag == "a" and name == "href"]
    session_page = f"http://127.0.0.1:8000/sessions/{occurrence.session.slug}/"
    assert hrefs == [
        "https://meet.example.org/x",
        session_page,
        "https://wiki.example.org/runbook",
    ]
    assert "script" not in parsed.tags
    assert "img" not in parsed.tags
    assert "strong" in parsed.tags
    assert "<script>" not in html
    assert "javascript:" not in html

    _, calendar = calendar_part(message)
    description = str(only_event(calendar)["DESCRIPTION"])
    assert description == f"{ABSTRACT_TEXT}\n\n{session_page}"


def test_feed_and_download_descriptions_are_plain_text(occurrence: object) -> None:
    person = make_person()
    response = signed_in(person).get(reverse("calendar:occurrence", args=[occurrence.pk]))

    [event] = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    page = f"http://127.0.0.1:8000/sessions/{occurrence.session.slug}/"
    assert str(event["DESCRIPTION"]) == f"{ABSTRACT_TEXT}\n\n{page}"


def test_a_plain_email_gets_an_html_part_with_its_links(smtp: Inbox) -> None:
    outbox_enqueue_feedback_email(
        recipient="ana@example.org",
        subject="Your feedback: <Rust> & you",
        body="Hello Ana,\n\nPlease answer:\n\nhttps://learn.example.org/feedback/r/abc/.\n",
        dedupe_key="test:plain",
    )

    outbox_deliver_due()

    [message] = smtp.messages
    assert parts(message) == ["multipart/alternative", "text/plain", "text/html"]
    html = message.get_body(preferencelist=("html",)).get_content()
    parsed = Elements(html)
    assert [value for tag, name, value in parsed.attributes if name == "href"] == [
        "https://learn.example.org/feedback/r/abc/"
    ]
    assert "<title>Your feedback: &lt;Rust&gt; &amp; you</title>" in html
    assert "<p>Hello Ana,</p>" in html


def test_a_row_queued_before_html_parts_is_sent_as_text_only(smtp: Inbox) -> None:
    outbox_enqueue_feedback_email(
        recipient="ana@example.org", subject="Old", body="Hello\n", dedupe_key="test:old"
    )
    OutboxMessage.objects.update(html="")  # as rows written before the column existed

    outbox_deliver_due()

    [message] = smtp.messages
    assert parts(message) == ["text/plain"]
    assert message.get_content() == "Hello\r\n"  # SMTP line ends
