"""Email through the outbox, delivered to a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from knowflow.events import ical
from knowflow.events.models import Session
from knowflow.events.services import (
    occurrence_update,
    registration_cancel,
    registration_create,
    session_update,
)
from knowflow.mail.checks import check_outbox_settings
from knowflow.mail.models import OutboxMessage
from knowflow.mail.services import (
    MAX_ATTEMPTS,
    _release_expired,
    outbox_deliver_due,
    outbox_enqueue,
    outbox_message_id,
    outbox_retry,
    sending_lease,
)
from tests.factories import make_occurrence, make_office, make_person, make_room, make_session
from tests.smtp import (
    Inbox,
    SlowInbox,
    calendar_part,
    free_port,
    only_event,
    smtp_settings,
    text_part,
)

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2030, 3, 29, 10, 0, tzinfo=BERLIN)  # the Friday before the EU DST change


@pytest.fixture
def berlin_occurrence() -> object:
    room = make_room(office=make_office("Berlin office", tz="Europe/Berlin"), name="Spree")
    session = make_session(title="Zero-downtime migrations")
    return make_occurrence(session=session, start=START, room=room, capacity=1)


def test_registering_sends_an_invitation_with_a_request(
    smtp: Inbox, berlin_occurrence: object
) -> None:
    person = make_person(name="Ines Invitee", tz="Asia/Tokyo")

    registration_create(occurrence=berlin_occurrence, person=person, actor=person)
    report = outbox_deliver_due()

    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [message] = smtp.messages
    assert message["Subject"] == "You're going: Zero-downtime migrations"
    assert message["To"] == person.email
    assert message["From"] == "Knowflow <knowflow@learn.example.org>"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "When:  Friday 29 March 2030, 18:00–19:00 (Asia/Tokyo)" in text
    assert "       10:00 in Europe/Berlin, where the room is" in text
    method, calendar = calendar_part(message)
    assert (method, calendar["METHOD"]) == ("REQUEST", "REQUEST")
    event = only_event(calendar)
    assert event.start == START
    assert str(event.start.tzinfo) == "Europe/Berlin"
    assert (str(event["UID"]), event["SEQUENCE"]) == (ical.occurrence_uid(berlin_occurrence.pk), 0)
    assert str(event["ATTENDEE"]) == f"mailto:{person.email}"
    assert event["ATTENDEE"].params["CN"] == "Ines Invitee"
    assert str(event["ORGANIZER"]) == "mailto:knowflow@learn.example.org"
    sent = OutboxMessage.objects.get()
    assert (sent.status, sent.kind, sent.attempts) == ("sent", "events.invitation", 0)
    assert sent.sent_at is not None


def test_moving_sends_an_update_with_a_higher_sequence(
    smtp: Inbox, berlin_occurrence: object
) -> None:
    person = make_person()
    registration_create(occurrence=berlin_occurrence, person=person, actor=person)
    speaker = berlin_occurrence.session.speakers.get()
    later = START + timedelta(days=3)  # across the DST change: 10:00 CEST

    occurrence_update(
        occurrence=berlin_occurrence, actor=speaker, start=later, end=later + timedelta(hours=1)
    )
    outbox_deliver_due()

    invitation, update, to_speaker = smtp.messages
    assert [(m["To"], m["Subject"]) for m in smtp.messages] == [
        (person.email, "You're going: Zero-downtime migrations"),
        (person.email, "Changed: Zero-downtime migrations"),
        (speaker.email, "Changed: Zero-downtime migrations"),
    ]
    assert only_event(calendar_part(to_speaker)[1])["SEQUENCE"] == 1
    method, calendar = calendar_part(update)
    event = only_event(calendar)
    assert method == "REQUEST"
    assert (event["SEQUENCE"], event.start) == (1, later)
    assert event.start.astimezone(UTC) == datetime(2030, 4, 1, 8, 0, tzinfo=UTC)
    assert only_event(calendar_part(invitation)[1])["SEQUENCE"] == 0


def test_cancelling_a_place_sends_a_cancel_and_invites_the_next_in_line(
    smtp: Inbox, berlin_occurrence: object
) -> None:
    first, waiting = make_person(name="First"), make_person(name="Waiting")
    registration_create(occurrence=berlin_occurrence, person=first, actor=first)
    registration_create(occurrence=berlin_occurrence, person=waiting, actor=waiting)

    registration_cancel(occurrence=berlin_occurrence, person=first, actor=first)
    outbox_deliver_due()

    assert [(m["To"], m["Subject"]) for m in smtp.messages] == [
        (first.email, "You're going: Zero-downtime migrations"),
        (waiting.email, "You are on the waitlist for Zero-downtime migrations (position 1)"),
        (first.email, "Cancelled: your place at Zero-downtime migrations"),
        (waiting.email, "You're going: Zero-downtime migrations"),
    ]
    method, calendar = calendar_part(smtp.messages[2])
    assert (method, calendar["METHOD"], only_event(calendar)["STATUS"]) == (
        "CANCEL",
        "CANCEL",
        "CANCELLED",
    )


def test_cancelling_the_session_sends_cancel_to_everyone_going(
    smtp: Inbox, berlin_occurrence: object
) -> None:
    people = [make_person() for _ in range(2)]
    berlin_occurrence.capacity = 5
    berlin_occurrence.save()
    for person in people:
        registration_create(occurrence=berlin_occurrence, person=person, actor=person)
    session = berlin_occurrence.session

    session_update(session=session, actor=session.speakers.get(), status=Session.Status.CANCELLED)
    outbox_deliver_due()

    cancels = [m for m in smtp.messages if m["Subject"] == "Cancelled: Zero-downtime migrations"]
    speaker = session.speakers.get()
    assert sorted(m["To"] for m in cancels) == sorted([*(p.email for p in people), speaker.email])
    for message in cancels:
        method, calendar = calendar_part(message)
        event = only_event(calendar)
        assert (method, event["STATUS"], event["SEQUENCE"]) == ("CANCEL", "CANCELLED", 1)


def test_delivering_twice_sends_once(smtp: Inbox, berlin_occurrence: object) -> None:
    person = make_person()
    registration_create(occurrence=berlin_occurrence, person=person, actor=person)

    first, second = outbox_deliver_due(), outbox_deliver_due()

    assert (first.sent, second.sent) == (1, 0)
    assert len(smtp.messages) == 1


def test_the_same_email_enqueued_twice_is_one_row(berlin_occurrence: object) -> None:
    from knowflow.events.notifications import outbox_enqueue_invitation

    person = make_person()
    registration = registration_create(occurrence=berlin_occurrence, person=person, actor=person)

    outbox_enqueue_invitation(registration=registration)

    assert OutboxMessage.objects.filter(kind="events.invitation").count() == 1


def test_a_rolled_back_change_leaves_no_email(berlin_occurrence: object) -> None:
    person = make_person()

    with pytest.raises(RuntimeError), transaction.atomic():
        registration_create(occurrence=berlin_occurrence, person=person, actor=person)
        raise RuntimeError("the request failed after the registration")

    assert OutboxMessage.objects.count() == 0


def test_smtp_down_is_retried_with_back_off_and_nothing_is_lost(berlin_occurrence: object) -> None:
    person = make_person()
    registration_create(occurrence=berlin_occurrence, person=person, actor=person)
    now = timezone.now()
    port = free_port()  # nothing listens here yet

    with smtp_settings(port):
        down = outbox_deliver_due(now=now)
        row = OutboxMessage.objects.get()
        too_early = outbox_deliver_due(now=now + timedelta(seconds=59))
        down_again = outbox_deliver_due(now=now + timedelta(seconds=60))
        row_again = OutboxMessage.objects.get()
        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            up = outbox_deliver_due(now=now + timedelta(seconds=60 + 120))
        finally:
            controller.stop()

    assert (down.sent, down.retrying) == (0, 1)
    assert (row.status, row.attempts, row.next_attempt_at) == (
        "pending",
        1,
        now + timedelta(minutes=1),
    )
    assert row.last_error.startswith("ConnectionRefusedError")
    assert (too_early.sent, too_early.retrying) == (0, 0)
    assert (down_again.retrying, row_again.attempts) == (1, 2)
    assert row_again.next_attempt_at == now + timedelta(seconds=60) + timedelta(minutes=2)
    assert up.sent == 1
    assert [m["Subject"] for m in inbox.messages] == ["You're going: Zero-downtime migrations"]
    assert OutboxMessage.objects.get().status == "sent"


def test_a_message_that_keeps_failing_ends_failed(berlin_occurrence: object) -> None:
    person = make_person()
    registration_create(occurrence=berlin_occurrence, person=person, actor=person)
    OutboxMessage.objects.update(attempts=MAX_ATTEMPTS - 1)

    with smtp_settings(free_port()):
        report = outbox_deliver_due()

    row = OutboxMessage.objects.get()
    assert (report.failed, row.status, row.attempts) == (1, "failed", MAX_ATTEMPTS)


def test_a_dead_workers_message_goes_back_to_the_queue_when_its_lease_ends(
    smtp: Inbox, berlin_occurrence: object
) -> None:
    person = make_person()
    registration_create(occurrence=berlin_occurrence, person=person, actor=person)
    now = timezone.now()
    # A worker claimed the row and died: the server may or may not have accepted the message.
    OutboxMessage.objects.update(
        status="sending",
        claim_token="dead",
        claimed_at=now - sending_lease() + timedelta(seconds=5),
    )

    still_leased = outbox_deliver_due(now=now)
    sent_while_leased = len(smtp.messages)
    OutboxMessage.objects.update(claimed_at=now - sending_lease() - timedelta(seconds=1))
    report = outbox_deliver_due(now=now)

    row = OutboxMessage.objects.get()
    assert (still_leased.interrupted, still_leased.sent, sent_while_leased) == (0, 0, 0)
    assert (report.interrupted, report.sent) == (1, 1)
    assert (row.status, row.attempts, row.claim_token != "dead") == ("sent", 1, True)
    assert [m["Message-ID"] for m in smtp.messages] == [
        f"<outbox-{row.pk}-{int(row.created_at.timestamp())}@127.0.0.1>"
    ]


def test_a_message_interrupted_on_every_attempt_ends_failed(berlin_occurrence: object) -> None:
    person = make_person()
    registration_create(occurrence=berlin_occurrence, person=person, actor=person)
    OutboxMessage.objects.update(
        status="sending",
        claim_token="dead",
        attempts=MAX_ATTEMPTS - 1,
        claimed_at=timezone.now() - sending_lease() - timedelta(seconds=1),
    )

    report = outbox_deliver_due()

    row = OutboxMessage.objects.get()
    assert (report.interrupted, report.sent) == (1, 0)
    assert (row.status, row.attempts, row.last_error) == (
        "failed",
        MAX_ATTEMPTS,
        "Delivery was interrupted on every attempt: the worker sending this message stopped "
        "before recording the result (killed or crashed). The server may have accepted it; it "
        "is not sent again unless an admin queues it again (deliver_outbox --retry).",
    )


def test_an_admin_can_queue_a_failed_message_again(smtp: Inbox, berlin_occurrence: object) -> None:
    person = make_person()
    registration_create(occurrence=berlin_occurrence, person=person, actor=person)
    OutboxMessage.objects.update(status="failed", attempts=MAX_ATTEMPTS, last_error="gave up")
    row = OutboxMessage.objects.get()

    retried = outbox_retry(message_ids=[row.pk])
    report = outbox_deliver_due()

    assert (retried, report.sent, len(smtp.messages)) == (1, 1, 1)
    assert smtp.messages[0]["Message-ID"] == outbox_message_id(row)
    assert OutboxMessage.objects.get().status == "sent"


def test_a_stopped_delivery_finishes_the_message_in_hand_and_claims_no_other(
    berlin_occurrence: object,
) -> None:
    berlin_occurrence.capacity = 5
    berlin_occurrence.save()
    for person in [make_person() for _ in range(3)]:
        registration_create(occurrence=berlin_occurrence, person=person, actor=person)
    stop = threading.Event()

    class StopsAfterAccepting(Inbox):
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
            stop.set()  # the signal arrives while the first message is being sent
            return await super().handle_DATA(server, session, envelope)

    inbox, port = StopsAfterAccepting(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with smtp_settings(port):
            report = outbox_deliver_due(stop=stop)
    finally:
        controller.stop()

    assert (report.sent, len(inbox.messages)) == (1, 1)
    assert sorted(OutboxMessage.objects.values_list("status", flat=True)) == [
        "pending",
        "pending",
        "sent",
    ]


@override_settings(KNOWFLOW_REMINDER_BEFORE_MINUTES=60)
def test_a_reminder_goes_out_once_within_the_lead_time(
    smtp: Inbox, berlin_occurrence: object
) -> None:
    person = make_person(tz="Europe/Berlin")
    registration_create(occurrence=berlin_occurrence, person=person, actor=person)
    outbox_deliver_due()  # the invitation

    early = outbox_deliver_due(now=START - timedelta(minutes=61))
    due = outbox_deliver_due(now=START - timedelta(minutes=45))
    again = outbox_deliver_due(now=START - timedelta(minutes=30))

    assert (early.sent, due.sent, again.sent) == (0, 1, 0)
    reminder = smtp.messages[-1]
    assert reminder["Subject"] == "Starting soon: Zero-downtime migrations"
    assert "“Zero-downtime migrations” starts in 45 minutes." in text_part(reminder)
    assert [p for p in reminder.walk() if p.get_content_type() == "text/calendar"] == []


def test_people_without_an_email_address_get_no_row(berlin_occurrence: object) -> None:
    person = make_person()
    person.email = ""
    person.save()

    registration_create(occurrence=berlin_occurrence, person=person, actor=person)

    assert OutboxMessage.objects.count() == 0


def test_deliver_outbox_command_once(smtp: Inbox, berlin_occurrence: object) -> None:
    person = make_person()
    registration_create(occurrence=berlin_occurrence, person=person, actor=person)
    out = StringIO()

    call_command("deliver_outbox", "--once", stdout=out)

    assert out.getvalue() == (
        "sent 1, retrying 0, failed 0, interrupted 0, lost to another worker 0\n"
    )
    assert len(smtp.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_send_each_message_once(smtp: Inbox) -> None:
    occurrence = make_occurrence(start=START, capacity=50)
    for _ in range(12):
        person = make_person()
        registration_create(occurrence=occurrence, person=person, actor=person)
    barrier = threading.Barrier(3)
    reports = []

    def worker() -> None:
        try:
            barrier.wait()
            reports.append(outbox_deliver_due(limit=5))
            reports.append(outbox_deliver_due(limit=5))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(report.sent for report in reports) == 12
    assert len(smtp.messages) == 12
    assert len({m["To"] for m in smtp.messages}) == 12
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}


def test_reinstating_a_cancelled_session_sends_a_request_with_a_higher_sequence(
    smtp: Inbox, berlin_occurrence: object
) -> None:
    person = make_person()
    registration_create(occurrence=berlin_occurrence, person=person, actor=person)
    session = berlin_occurrence.session
    speaker = session.speakers.get()

    session_update(session=session, actor=speaker, status=Session.Status.CANCELLED)
    session_update(session=session, actor=speaker, status=Session.Status.SCHEDULED)
    outbox_deliver_due()

    assert [(m["To"], m["Subject"]) for m in smtp.messages] == [
        (person.email, "You're going: Zero-downtime migrations"),
        (person.email, "Cancelled: Zero-downtime migrations"),
        (speaker.email, "Cancelled: Zero-downtime migrations"),
        (person.email, "Changed: Zero-downtime migrations"),
        (speaker.email, "Changed: Zero-downtime migrations"),
    ]
    method, calendar = calendar_part(smtp.messages[-2])
    event = only_event(calendar)
    assert (method, event["STATUS"], event["SEQUENCE"]) == ("REQUEST", "CONFIRMED", 2)


def test_a_delivery_longer_than_its_limit_is_cut_off_and_queued_again_at_once(
    berlin_occurrence: object,
) -> None:
    for person in [make_person() for _ in range(2)]:
        registration_create(occurrence=berlin_occurrence, person=person, actor=person)
    inbox, port = SlowInbox(pause=0.6), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        # Each step answers well within the 5 s timeout; the whole delivery would take 2.4 s.
        with smtp_settings(port), override_settings(KNOWFLOW_OUTBOX_DELIVERY_SECONDS=1.5):
            started = time.monotonic()
            report = outbox_deliver_due()
            took = time.monotonic() - started
    finally:
        controller.stop()

    error = (
        "DeliveryTooSlow: the delivery took longer than 1.5 s (KNOWFLOW_OUTBOX_DELIVERY_SECONDS) "
        "and was cut off; the server may have accepted it, and it is sent again with the same "
        "Message-ID."
    )
    assert (report.sent, report.retrying, report.errors) == (0, 1, [error])
    assert took < 2.3
    assert inbox.messages == []
    # The message in hand counts its attempt; the other one was not tried.
    assert sorted(OutboxMessage.objects.values_list("status", "attempts", "last_error")) == [
        ("pending", 0, ""),
        ("pending", 1, error),
    ]


def run_in_thread(job: object) -> tuple[threading.Thread, list]:
    results: list = []

    def target() -> None:
        try:
            results.append(job())  # type: ignore[operator]
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    return thread, results


class HeldInbox(Inbox):
    """Holds the first message at the end of DATA until `release` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.holding, self.release = threading.Event(), threading.Event()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        if not self.holding.is_set():
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def held() -> Iterator[HeldInbox]:
    inbox, port = HeldInbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with smtp_settings(port), override_settings(KNOWFLOW_OUTBOX_LEASE_SECONDS=0.5):
            yield inbox
    finally:
        inbox.release.set()
        controller.stop()


@pytest.mark.django_db(transaction=True)
def test_a_slow_worker_that_lost_its_lease_records_the_message_it_delivered(
    held: HeldInbox,
) -> None:
    outbox_enqueue(
        kind="feedback.survey",
        recipient="ada@example.org",
        subject="Your feedback, please",
        body="How was the session?",
        dedupe_key="lease-test",
    )
    slow, reports = run_in_thread(outbox_deliver_due)
    assert held.holding.wait(5)
    time.sleep(0.6)
    # Another worker's pass takes the slow worker for dead and puts its row back in the queue.
    released = _release_expired(now=timezone.now())
    held.release.set()
    slow.join()

    row = OutboxMessage.objects.get()
    assert released == 1
    assert (reports[0].sent, reports[0].lost_lease) == (1, 0)
    assert (row.status, row.attempts) == ("sent", 1)
    # The next pass finds nothing to send: no copy.
    assert outbox_deliver_due().sent == 0
    assert [m["Message-ID"] for m in held.messages] == [outbox_message_id(row)]


@pytest.mark.django_db(transaction=True)
def test_a_slow_worker_whose_message_another_worker_took_does_not_count_it_sent(
    held: HeldInbox, caplog: pytest.LogCaptureFixture
) -> None:
    outbox_enqueue(
        kind="feedback.survey",
        recipient="ada@example.org",
        subject="Your feedback, please",
        body="How was the session?",
        dedupe_key="lease-test",
    )
    slow, reports = run_in_thread(outbox_deliver_due)
    assert held.holding.wait(5)
    time.sleep(0.6)
    other = outbox_deliver_due()  # releases the row, claims it and sends it again
    held.release.set()
    slow.join()

    row = OutboxMessage.objects.get()
    assert (other.interrupted, other.sent) == (1, 1)
    assert (reports[0].sent, reports[0].lost_lease) == (0, 1)
    assert (row.status, row.attempts) == ("sent", 1)
    # The copy is recognisable: both carry the row's Message-ID.
    assert [m["Message-ID"] for m in held.messages] == [outbox_message_id(row)] * 2
    assert [r.getMessage() for r in caplog.records if r.name.endswith("services")] == [
        f"outbox message {row.pk} was delivered after its lease ended, and another worker had "
        "already taken it: it may arrive twice (same Message-ID). KNOWFLOW_OUTBOX_LEASE_SECONDS "
        "is too short for this mail server."
    ]


@override_settings(KNOWFLOW_OUTBOX_LEASE_SECONDS=100, KNOWFLOW_OUTBOX_DELIVERY_SECONDS=120)
def test_a_lease_shorter_than_twice_a_delivery_is_refused() -> None:
    problem = (
        "KNOWFLOW_OUTBOX_LEASE_SECONDS is 100 s, but a delivery may take up to 120 s "
        "(KNOWFLOW_OUTBOX_DELIVERY_SECONDS, by default 4 x EMAIL_URL's timeout): set the lease "
        "to at least 240 s, or a slow worker's message is sent twice."
    )
    outbox_enqueue(
        kind="feedback.survey",
        recipient="ada@example.org",
        subject="Your feedback, please",
        body="How was the session?",
        dedupe_key="lease-check",
    )

    with pytest.raises(CommandError) as refused:
        call_command("deliver_outbox", "--once")

    assert str(refused.value) == problem
    assert [(e.id, e.msg) for e in check_outbox_settings()] == [("knowflow.E101", problem)]
    assert list(OutboxMessage.objects.values_list("status", "attempts")) == [("pending", 0)]
