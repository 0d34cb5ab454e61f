"""Waitlist emails and the speakers' calendar invitations, received by a real SMTP server
(aiosmtpd on loopback) and their calendar parts read back with icalendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from knowflow.events import ical
from knowflow.events.notifications import (
    outbox_enqueue_speaker_invitations,
    outbox_enqueue_waitlisted,
)
from knowflow.events.services import (
    occurrence_cancel,
    occurrence_create,
    occurrence_update,
    registration_cancel,
    registration_create,
    session_update,
)
from knowflow.mail.models import OutboxMessage
from knowflow.mail.services import outbox_deliver_due
from tests.factories import make_occurrence, make_office, make_person, make_room, make_session
from tests.smtp import Inbox, calendar_part, only_event

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2030, 3, 29, 10, 0, tzinfo=BERLIN)  # the Friday before the EU DST change
TITLE = "Zero-downtime migrations"


def sent_to(inbox: Inbox) -> list[tuple[str, str]]:
    return [(message["To"], message["Subject"]) for message in inbox.messages]


def text_of(message: object) -> str:
    # SMTP carries CRLF line ends; the text was written with LF.
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def has_calendar_part(message: object) -> bool:
    return any(part.get_content_type() == "text/calendar" for part in message.walk())


@pytest.fixture
def full_date() -> object:
    """A date with one place, taken by Ada."""
    room = make_room(office=make_office("Berlin office", tz="Europe/Berlin"), name="Spree")
    occurrence = make_occurrence(
        session=make_session(title=TITLE), start=START, room=room, capacity=1
    )
    ada = make_person(name="Ada")
    registration_create(occurrence=occurrence, person=ada, actor=ada)
    return occurrence


# --- waitlist ----------------------------------------------------------------------------


def online_date(session: object, *, actor: object) -> object:
    """An hour online at START with ten places, created through the service (so its emails go
    out as a user's would)."""
    return occurrence_create(
        session=session,
        actor=actor,
        start=START,
        end=START + timedelta(hours=1),
        online_url="https://meet.example.org/zdm",
        capacity=10,
    )


def test_a_full_date_tells_each_person_their_place_on_the_waitlist(
    smtp: Inbox,
    full_date: object,
) -> None:
    ben = make_person(name="Ben", tz="America/New_York")
    cleo = make_person(name="Cleo")

    registration_create(occurrence=full_date, person=ben, actor=ben)
    registration_create(occurrence=full_date, person=cleo, actor=cleo)
    report = outbox_deliver_due()

    assert report.sent == 3
    assert sent_to(smtp)[1:] == [
        (ben.email, f"You are on the waitlist for {TITLE} (position 1)"),
        (cleo.email, f"You are on the waitlist for {TITLE} (position 2)"),
    ]
    assert text_of(smtp.messages[1]) == (
        "Hello Ben,\n\n"
        f"“{TITLE}” is full on this date: you are number 1 on the waitlist. When a place comes "
        "free it goes to the next person waiting, and you will get the invitation for your "
        "calendar then.\n\n"
        "When:  Friday 29 March 2030, 05:00–06:00 (America/New_York)\n"
        "       10:00 in Europe/Berlin, where the room is\n"
        "Where: Spree, Berlin office (and online)\n"
        "Join:  https://meet.example.org/x\n"
        f"About: http://127.0.0.1:8000/sessions/{full_date.session.slug}/\n\n"
        "— Knowflow\n"
    )
    # Nothing is promised yet: no calendar part, nothing to remove if they give up.
    assert [has_calendar_part(m) for m in smtp.messages[1:]] == [False, False]
    assert list(OutboxMessage.objects.values_list("kind", flat=True)) == [
        "events.invitation",
        "events.waitlisted",
        "events.waitlisted",
    ]


def test_promotion_from_the_waitlist_sends_the_invitation_they_would_have_had(
    smtp: Inbox,
    full_date: object,
) -> None:
    ada = full_date.registrations.get().person
    ben, cleo = make_person(name="Ben"), make_person(name="Cleo")
    registration_create(occurrence=full_date, person=ben, actor=ben)
    registration_create(occurrence=full_date, person=cleo, actor=cleo)

    registration_cancel(occurrence=full_date, person=ada, actor=ada)
    outbox_deliver_due()

    assert sent_to(smtp)[3:] == [
        (ada.email, f"Cancelled: your place at {TITLE}"),
        (ben.email, f"You're going: {TITLE}"),
    ]
    promoted = smtp.messages[4]
    assert text_of(promoted).startswith(
        f"Hello Ben,\n\nA place came free at “{TITLE}”: you are off the waitlist and going. "
        "The invitation is attached for your calendar.\n\n"
    )
    method, calendar = calendar_part(promoted)
    event = only_event(calendar)
    assert (method, str(calendar["METHOD"])) == ("REQUEST", "REQUEST")
    assert (str(event["UID"]), event["SEQUENCE"], str(event["STATUS"])) == (
        ical.occurrence_uid(full_date.pk),
        0,
        "CONFIRMED",
    )
    assert str(event["ATTENDEE"]) == f"mailto:{ben.email}"
    assert event.start == START


def test_the_waitlist_email_is_written_once_and_only_with_the_registration(
    full_date: object,
) -> None:
    ben, cleo = make_person(name="Ben"), make_person(name="Cleo")
    registration = registration_create(occurrence=full_date, person=ben, actor=ben)

    outbox_enqueue_waitlisted(registration=registration, position=1)  # a retried job
    with pytest.raises(RuntimeError), transaction.atomic():
        registration_create(occurrence=full_date, person=cleo, actor=cleo)
        raise RuntimeError("the request failed after the registration")

    assert list(
        OutboxMessage.objects.filter(kind="events.waitlisted").values_list("recipient")
    ) == [(ben.email,)]


def test_asking_again_after_leaving_the_waitlist_writes_a_new_waitlist_email(
    smtp: Inbox,
    full_date: object,
) -> None:
    ben = make_person(name="Ben")
    registration_create(occurrence=full_date, person=ben, actor=ben)
    registration_cancel(occurrence=full_date, person=ben, actor=ben)

    registration_create(occurrence=full_date, person=ben, actor=ben)
    outbox_deliver_due()

    # Leaving the waitlist sends no CANCEL: the waitlist email carried no calendar part.
    assert sent_to(smtp)[1:] == [
        (ben.email, f"You are on the waitlist for {TITLE} (position 1)"),
        (ben.email, f"You are on the waitlist for {TITLE} (position 1)"),
    ]


# --- speakers ----------------------------------------------------------------------------


@pytest.fixture
def two_speakers() -> tuple[object, object, object]:
    yui = make_person(name="Yui", tz="Asia/Tokyo")
    max_ = make_person(name="Max", tz="Europe/Berlin")
    session = make_session(speakers=[yui, max_], title=TITLE)
    return session, yui, max_


def test_speakers_get_an_invitation_for_each_new_date(
    smtp: Inbox,
    two_speakers: tuple,
) -> None:
    session, yui, max_ = two_speakers
    room = make_room(office=make_office("Berlin office", tz="Europe/Berlin"), name="Spree")

    first = occurrence_create(
        session=session,
        actor=max_,
        start=START,
        end=START + timedelta(hours=1),
        room=room,
        capacity=10,
    )
    second = occurrence_create(
        session=session,
        actor=max_,
        start=START + timedelta(days=7),
        end=START + timedelta(days=7, hours=1),
        online_url="https://meet.example.org/zdm",
        capacity=10,
    )
    outbox_deliver_due()

    assert sent_to(smtp) == [
        (yui.email, f"You're speaking: {TITLE}"),
        (max_.email, f"You're speaking: {TITLE}"),
        (yui.email, f"You're speaking: {TITLE}"),
        (max_.email, f"You're speaking: {TITLE}"),
    ]
    assert "When:  Friday 29 March 2030, 18:00–19:00 (Asia/Tokyo)" in text_of(smtp.messages[0])
    uids = []
    for message, speaker in zip(smtp.messages, [yui, max_, yui, max_], strict=True):
        method, calendar = calendar_part(message)
        event = only_event(calendar)
        assert (method, event["SEQUENCE"], str(event["ATTENDEE"])) == (
            "REQUEST",
            0,
            f"mailto:{speaker.email}",
        )
        uids.append(str(event["UID"]))
    assert uids == [ical.occurrence_uid(o.pk) for o in (first, first, second, second)]
    # The online-only date is written in UTC: 10:00 in Berlin after the DST change is 08:00.
    assert only_event(calendar_part(smtp.messages[2])[1]).start == datetime(
        2030, 4, 5, 8, 0, tzinfo=UTC
    )


def test_speakers_get_the_updates_and_the_cancellation_of_the_same_calendar_entry(
    smtp: Inbox,
    two_speakers: tuple,
) -> None:
    session, yui, max_ = two_speakers
    occurrence = online_date(session, actor=max_)
    later = START + timedelta(days=3)

    occurrence_update(
        occurrence=occurrence, actor=max_, start=later, end=later + timedelta(hours=1)
    )
    occurrence_update(occurrence=occurrence, actor=max_, capacity=20)  # invisible: no email
    occurrence_cancel(occurrence=occurrence, actor=max_)
    outbox_deliver_due()

    to_yui = [m for m in smtp.messages if m["To"] == yui.email]
    seen = []
    for message in to_yui:
        method, calendar = calendar_part(message)
        event = only_event(calendar)
        seen.append(
            (message["Subject"], method, str(event["UID"]), event["SEQUENCE"], str(event["STATUS"]))
        )
    uid = ical.occurrence_uid(occurrence.pk)
    assert seen == [
        (f"You're speaking: {TITLE}", "REQUEST", uid, 0, "CONFIRMED"),
        (f"Changed: {TITLE}", "REQUEST", uid, 1, "CONFIRMED"),
        (f"Cancelled: {TITLE}", "CANCEL", uid, 2, "CANCELLED"),
    ]
    assert len([m for m in smtp.messages if m["To"] == max_.email]) == 3


def test_a_speaker_who_also_registered_gets_one_email_per_change(
    smtp: Inbox,
    two_speakers: tuple,
) -> None:
    session, yui, max_ = two_speakers
    # A speaker cannot register for their own session; Yui registered before she was
    # asked to speak.
    session_update(session=session, actor=max_, speakers=[max_])
    occurrence = online_date(session, actor=max_)
    registration_create(occurrence=occurrence, person=yui, actor=yui)
    session_update(session=session, actor=max_, speakers=[yui, max_])
    later = START + timedelta(days=3)

    occurrence_update(
        occurrence=occurrence, actor=max_, start=later, end=later + timedelta(hours=1)
    )
    registration_cancel(occurrence=occurrence, person=yui, actor=yui)  # she still speaks
    outbox_deliver_due()

    assert [s for to, s in sent_to(smtp) if to == yui.email] == [
        f"You're going: {TITLE}",
        f"You're speaking: {TITLE}",
        f"Changed: {TITLE}",
    ]


def test_changing_speakers_invites_the_new_one_and_releases_the_former_one(
    smtp: Inbox,
    two_speakers: tuple,
) -> None:
    session, yui, max_ = two_speakers
    upcoming = online_date(session, actor=max_)
    past = make_occurrence(session=session, start=datetime(2020, 1, 6, 9, 0, tzinfo=UTC))
    outbox_deliver_due()
    smtp.messages.clear()
    zoe = make_person(name="Zoe")

    session_update(session=session, actor=max_, speakers=[max_, zoe])
    session_update(session=session, actor=max_, speakers=[max_, zoe])  # no change: no email
    outbox_deliver_due()

    assert sent_to(smtp) == [
        (zoe.email, f"You're speaking: {TITLE}"),
        (yui.email, f"No longer speaking: {TITLE}"),
    ]
    invited, released = (only_event(calendar_part(m)[1]) for m in smtp.messages)
    assert [calendar_part(m)[0] for m in smtp.messages] == ["REQUEST", "CANCEL"]
    assert {str(invited["UID"]), str(released["UID"])} == {ical.occurrence_uid(upcoming.pk)}
    assert ical.occurrence_uid(past.pk) not in {str(invited["UID"]), str(released["UID"])}
    assert (invited["SEQUENCE"], str(released["STATUS"])) == (0, "CANCELLED")


def test_a_retried_speaker_invitation_is_sent_once(
    smtp: Inbox,
    two_speakers: tuple,
) -> None:
    session, yui, max_ = two_speakers
    occurrence = online_date(session, actor=max_)

    outbox_enqueue_speaker_invitations(occurrence=occurrence)  # a retried job
    outbox_deliver_due()
    outbox_deliver_due()

    assert sent_to(smtp) == [
        (yui.email, f"You're speaking: {TITLE}"),
        (max_.email, f"You're speaking: {TITLE}"),
    ]


def test_a_date_that_rolls_back_invites_no_speaker(two_speakers: tuple) -> None:
    session, yui, max_ = two_speakers

    with pytest.raises(RuntimeError), transaction.atomic():
        occurrence_create(
            session=session,
            actor=max_,
            start=START,
            end=START + timedelta(hours=1),
            online_url="https://meet.example.org/zdm",
            capacity=10,
        )
        raise RuntimeError("the plan failed at its second date")

    assert OutboxMessage.objects.count() == 0
