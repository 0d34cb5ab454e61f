"""Calendar feed secrets, and the email outbox: what gets written, and how it is delivered.

Enqueueing. `events.services` calls the `outbox_enqueue_*` functions inside its own
transaction, so an email row exists if and only if the change that caused it committed. The
message is rendered at that moment (subject, text, iCalendar part): it says what was true
when the change happened, even if it is delivered minutes later. Each row has a dedupe key;
a second enqueue of the same email (a re-run reminder scan, a retried job) is ignored.

Delivery (`outbox_deliver_due`): one message at a time, in three steps:

1. claim: in one short transaction, take the next due pending row (a row lock with SKIP LOCKED
   on PostgreSQL, so concurrent workers take different rows; SQLite's IMMEDIATE transactions
   serialise the claim), set it to "sending" with a fresh claim token and the time, commit;
2. send it with Django's email backend, outside any transaction, within
   `KNOWFLOW_OUTBOX_DELIVERY_SECONDS` (EMAIL_URL's timeout bounds each network step, not the
   whole delivery, so a slow server could otherwise hold a message for ever): past that limit
   the connection is cut and the attempt counts as failed;
3. mark it "sent" (or, on an error, back to "pending" with exponential back-off, or "failed"
   after `MAX_ATTEMPTS` or on a permanent refusal) — matched by its claim token.

A worker holds at most one claimed row, so a worker that stops holds nothing back: asked to
stop (`stop`, set by `knowflow worker` on SIGTERM / SIGINT) it finishes the message in hand
and claims no other; killed outright, it leaves that one row "sending". A row still "sending"
after the lease (`KNOWFLOW_OUTBOX_LEASE_SECONDS`) belonged to a dead worker: the next pass puts
it back to pending, counting the attempt, so it is sent again (and failed after
`MAX_ATTEMPTS` interruptions, as a message that keeps killing its worker should be). Claiming
one row at a time is also what makes the lease safe: it only has to outlast one delivery, not
a batch, and a settings check (`checks.py`) refuses a lease shorter than twice the delivery
limit, so a slow but living worker does not have its message taken from it. Should it happen
anyway (a worker paused, a clock jumped), the mark step notices that its claim is gone: a
released row still waiting in the queue is marked sent (it was delivered: sending it again
would only make a copy); a row another worker has claimed meanwhile is left to that worker and
counted as `lost_lease`, with a warning, since a copy is then on its way.

Trade-off: at least once. The one case that can repeat is a worker killed after the SMTP server
accepted a message and before step 3 committed: that message is sent again. Losing it would be
worse, and the copy is recognisable: the Message-ID is fixed per row (`outbox_message_id`), so
mail stores and people see the same message twice, and the calendar part has the same UID and
SEQUENCE, so calendars update in place instead of adding an event.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import smtplib
import socket
import threading
import uuid
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import close_old_connections, transaction
from django.db import connection as db_connection
from django.db.models import F, QuerySet
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.errors import Forbidden
from knowflow.events.models import Occurrence, Registration, Session
from knowflow.integrations import emails, ical
from knowflow.integrations.models import CalendarFeedToken, OutboxMessage
from knowflow.links import is_web_url
from knowflow.markdown import markdown_to_text

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
RETRY_BASE = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=6)

Kind = OutboxMessage.Kind


# Calendar feeds ---------------------------------------------------------------------------


@transaction.atomic
def calendar_feed_token_regenerate(*, person: Person, actor: Person) -> CalendarFeedToken:
    """Give the person a new feed secret; every URL made from the previous one stops working.

    Also creates the first secret. 32 random bytes (256 bits), URL-safe.
    """
    if person.pk != actor.pk:
        raise Forbidden("Only the person can change their calendar feed address.")
    token, created = CalendarFeedToken.objects.select_for_update().get_or_create(
        person=person, defaults={"secret": secrets.token_urlsafe(32), "created_at": timezone.now()}
    )
    if not created:
        token.secret = secrets.token_urlsafe(32)
        token.created_at = timezone.now()
        token.save(update_fields=["secret", "created_at"])
    return token


# Enqueueing -------------------------------------------------------------------------------


def _occurrence_for_message(occurrence_id: int) -> Occurrence:
    return Occurrence.objects.select_related("session", "room__office").get(pk=occurrence_id)


def _local_time(event: ical.CalendarEvent, person: Person) -> str:
    start, end = person.local(event.start), person.local(event.end)
    return f"{start:%A %d %B %Y, %H:%M}–{end:%H:%M} ({person.timezone})"


def _details(event: ical.CalendarEvent, person: Person) -> list[emails.Detail]:
    details = [emails.Detail("When", _local_time(event, person))]
    if event.zone not in ("UTC", person.timezone):
        room_start = event.start.astimezone(zoneinfo.ZoneInfo(event.zone))
        details.append(emails.Detail("", f"{room_start:%H:%M} in {event.zone}, where the room is"))
    if event.room:
        details.append(emails.Detail("Where", event.location))
    if is_web_url(event.online_url):  # a link stored before the http(s) rule is not offered
        details.append(emails.Detail("Join", event.online_url, href=event.online_url))
    page = ical.session_url(event.slug)
    details.append(emails.Detail("About", page, href=page))
    return details


def _message(
    *,
    kind: str,
    person: Person,
    occurrence: Occurrence,
    dedupe_key: str,
    subject: str,
    opening: str,
    method: str = "",
    status: str = ical.CONFIRMED,
    now: datetime | None = None,
) -> OutboxMessage | None:
    if not person.email:
        return None  # nobody to write to; the feed still shows the change
    now = now or timezone.now()
    event = ical.CalendarEvent.from_occurrence(occurrence, status=status)
    greeting = f"Hello {person.display_name},"
    details = _details(event, person)
    # What the session is about, from its Markdown: plain text here, sanitised HTML in the
    # HTML part. A cancellation needs no description of what is no longer happening.
    abstract = "" if kind == Kind.CANCELLATION else event.abstract
    about = markdown_to_text(abstract)
    body = "\n\n".join(
        part
        for part in (
            greeting,
            opening,
            "\n".join(detail.text() for detail in details),
            f"{event.title}\n\n{about}" if about else "",
            "— Knowflow\n",
        )
        if part
    )
    html = emails.session_email_html(
        subject=subject,
        greeting=greeting,
        opening=opening,
        details=details,
        title=event.title,
        abstract=abstract,
    )
    ics = ""
    if method:
        ics = ical.calendar_text(
            [event],
            name=occurrence.session.title,
            method=method,
            attendee=ical.Attendee(name=person.display_name, email=person.email),
            stamp=now,
        )
    return OutboxMessage(
        kind=kind,
        recipient=person.email,
        subject=subject[:255],
        body=body,
        html=html,
        ics=ics,
        ics_method=method,
        dedupe_key=dedupe_key,
        next_attempt_at=now,
        created_at=now,
    )


def _enqueue(messages: list[OutboxMessage | None]) -> int:
    rows = [message for message in messages if message is not None]
    # ON CONFLICT DO NOTHING on the dedupe key: the same email enqueued twice is one row, and
    # on PostgreSQL the conflict does not abort the caller's transaction.
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S%fZ")


def outbox_enqueue_email(
    *, kind: str, recipient: str, subject: str, body: str, dedupe_key: str, html: str = ""
) -> bool:
    """Queue an email without a calendar part for another app, e.g. a survey request.

    `body` is plain text; `html`, its HTML form, is made from it (paragraphs, links) when not
    given. Call it inside the transaction of the change that causes it. Returns False when a
    message with the same dedupe key exists already: the retried job sends nothing twice.
    """
    if kind not in OutboxMessage.Kind.values:
        raise ValueError(f"unknown outbox kind {kind!r}")
    if OutboxMessage.objects.filter(dedupe_key=dedupe_key).exists():
        return False
    now = timezone.now()
    # ignore_conflicts: a concurrent worker that got here first wins, without an error.
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                kind=kind,
                recipient=recipient,
                subject=subject[:255],
                body=body,
                html=html or emails.plain_email_html(subject=subject, body=body),
                dedupe_key=dedupe_key,
                next_attempt_at=now,
                created_at=now,
            )
        ],
        ignore_conflicts=True,
    )
    return True


def outbox_enqueue_invitation(*, registration: Registration, promoted: bool = False) -> None:
    """An invitation (iTIP REQUEST) for someone who now has a place.

    Called by `events.services` when a registration becomes "going": on registering, and on
    promotion from the waitlist (``promoted``, which only changes the wording). Keyed by the
    moment the place was asked for, so registering again after a cancellation sends a new
    invitation while a repeated call does not.
    """
    occurrence = _occurrence_for_message(registration.occurrence_id)
    person = registration.person
    title = occurrence.session.title
    if promoted:
        opening = (
            f"A place came free at “{title}”: you are off the waitlist and going. "
            "The invitation is attached for your calendar."
        )
    else:
        opening = f"You have a place at “{title}”. The invitation is attached for your calendar."
    _enqueue(
        [
            _message(
                kind=Kind.INVITATION,
                person=person,
                occurrence=occurrence,
                dedupe_key=f"invitation:{registration.pk}:{_stamp(registration.requested_at)}",
                subject=f"You're going: {title}",
                opening=opening,
                method="REQUEST",
            )
        ]
    )


def outbox_enqueue_waitlisted(*, registration: Registration, position: int) -> None:
    """Tell someone they are on the waitlist, and where (1 = next to get a place).

    No calendar part: nothing is promised yet, and a waitlisted person who gives up their spot
    must not have to remove anything. Their feed shows the date as tentative meanwhile; the
    invitation follows if they are promoted. Keyed like the invitation (by the moment the place
    was asked for), so asking again after a cancellation writes a new one.
    """
    occurrence = _occurrence_for_message(registration.occurrence_id)
    title = occurrence.session.title
    _enqueue(
        [
            _message(
                kind=Kind.WAITLIST,
                person=registration.person,
                occurrence=occurrence,
                dedupe_key=f"waitlist:{registration.pk}:{_stamp(registration.requested_at)}",
                subject=f"You are on the waitlist for {title} (position {position})",
                opening=(
                    f"“{title}” is full on this date: you are number {position} on the "
                    "waitlist. When a place comes free it goes to the next person waiting, "
                    "and you will get the invitation for your calendar then."
                ),
            )
        ]
    )


def _speakers(session_id: int) -> list[Person]:
    return list(Person.objects.filter(sessions_given=session_id).order_by("id"))


def outbox_enqueue_speaker_invitations(*, occurrence: Occurrence) -> None:
    """An invitation (REQUEST) for each speaker of a new date of their session.

    The same UID and SEQUENCE as the attendees' invitations, so the later updates and
    cancellations (which go to the speakers too) change the same calendar entry.
    """
    occurrence = _occurrence_for_message(occurrence.pk)
    _enqueue(
        [
            _speaker_invitation(
                occurrence=occurrence,
                speaker=speaker,
                dedupe_key=f"speaker-invitation:{occurrence.pk}:{speaker.pk}:seq{occurrence.sequence}",
            )
            for speaker in _speakers(occurrence.session_id)
        ]
    )


def _speaker_invitation(
    *, occurrence: Occurrence, speaker: Person, dedupe_key: str
) -> OutboxMessage | None:
    title = occurrence.session.title
    return _message(
        kind=Kind.INVITATION,
        person=speaker,
        occurrence=occurrence,
        dedupe_key=dedupe_key,
        subject=f"You're speaking: {title}",
        opening=f"You speak at “{title}” on this date. The invitation is attached for your calendar.",
        method="REQUEST",
    )


def outbox_enqueue_speakers_changed(
    *, session: Session, added: set[int], removed: set[int]
) -> None:
    """After the speakers of a session changed: each upcoming date in the new speakers'
    calendars (REQUEST), and out of the former speakers' (CANCEL).

    Keyed by the moment of the change (`session.updated_at`, saved in the same transaction), so
    removing and adding the same person again sends again while a repeated call does not. A
    former speaker who still has a place at a date keeps it in their calendar.
    """
    stamp = _stamp(session.updated_at)
    occurrences = list(
        Occurrence.objects.filter(
            session=session, end__gt=timezone.now(), cancelled_at__isnull=True
        ).select_related("session", "room__office")
    )
    people = {person.pk: person for person in Person.objects.filter(pk__in=added | removed)}
    going = set(
        Registration.objects.filter(
            occurrence__in=occurrences, person_id__in=removed, status=Registration.Status.GOING
        ).values_list("occurrence_id", "person_id")
    )
    messages = []
    for occurrence in occurrences:
        title = occurrence.session.title
        for person_id in sorted(added):
            messages.append(
                _speaker_invitation(
                    occurrence=occurrence,
                    speaker=people[person_id],
                    dedupe_key=f"speaker-added:{occurrence.pk}:{person_id}:{stamp}",
                )
            )
        for person_id in sorted(removed):
            if (occurrence.pk, person_id) in going:
                continue
            messages.append(
                _message(
                    kind=Kind.CANCELLATION,
                    person=people[person_id],
                    occurrence=occurrence,
                    dedupe_key=f"speaker-removed:{occurrence.pk}:{person_id}:{stamp}",
                    subject=f"No longer speaking: {title}",
                    opening=(
                        f"You are no longer a speaker of “{title}”; this date is removed from "
                        "your calendar."
                    ),
                    method="CANCEL",
                    status=ical.CANCELLED,
                )
            )
    _enqueue(messages)


def outbox_enqueue_update(*, occurrence: Occurrence) -> None:
    """An updated invitation (REQUEST, higher SEQUENCE) for everyone going and the speakers,
    after a move.

    The caller has already raised `occurrence.sequence`; it is part of the key, so each
    change is one email per person and a repeated call none. A speaker who also has a place
    gets one email, as an attendee.
    """
    occurrence = _occurrence_for_message(occurrence.pk)
    _enqueue(
        _messages_to_going_and_speakers(
            occurrences=[occurrence],
            kind=Kind.UPDATE,
            key="update",
            speaker_key="speaker-update",
            subject="Changed: {title}",
            opening="“{title}” has changed. Your calendar entry is updated by the attachment.",
            speaker_opening=(
                "“{title}”, where you speak, has changed. Your calendar entry is updated by "
                "the attachment."
            ),
            method="REQUEST",
        )
    )


def outbox_enqueue_registration_cancelled(*, registration: Registration) -> None:
    """A CANCEL for a person who gave up their place, so their calendar drops the event."""
    occurrence = _occurrence_for_message(registration.occurrence_id)
    if occurrence.session.speakers.filter(pk=registration.person_id).exists():
        return  # a speaker giving up a seat still speaks: their calendar keeps the date
    title = occurrence.session.title
    _enqueue(
        [
            _message(
                kind=Kind.CANCELLATION,
                person=registration.person,
                occurrence=occurrence,
                dedupe_key=f"cancel-registration:{registration.pk}:{_stamp(registration.requested_at)}",
                subject=f"Cancelled: your place at {title}",
                opening=f"You gave up your place at “{title}”; it is removed from your calendar.",
                method="CANCEL",
                status=ical.CANCELLED,
            )
        ]
    )


def outbox_enqueue_session_cancelled(*, session: Session) -> None:
    """A CANCEL for everyone going to, and every speaker of, an upcoming date of a session that
    was cancelled (dates cancelled on their own earlier had theirs already).

    The caller has already raised each occurrence's SEQUENCE: calendars only apply a CANCEL
    whose sequence is not older than what they hold.
    """
    occurrences = Occurrence.objects.filter(
        session=session, end__gte=timezone.now(), cancelled_at__isnull=True
    )
    _enqueue_cancellations(occurrences=occurrences)


def outbox_enqueue_occurrence_cancelled(*, occurrence: Occurrence) -> None:
    """A CANCEL for everyone going to one date that was cancelled, and for the speakers (its
    SEQUENCE already raised)."""
    _enqueue_cancellations(occurrences=Occurrence.objects.filter(pk=occurrence.pk))


def _enqueue_cancellations(*, occurrences: QuerySet[Occurrence]) -> None:
    _enqueue(
        _messages_to_going_and_speakers(
            occurrences=list(occurrences.select_related("session", "room__office")),
            kind=Kind.CANCELLATION,
            key="cancel-occurrence",
            speaker_key="speaker-cancel",
            subject="Cancelled: {title}",
            opening="“{title}” has been cancelled; it is removed from your calendar.",
            speaker_opening=(
                "“{title}”, where you were to speak, has been cancelled; it is removed "
                "from your calendar."
            ),
            method="CANCEL",
            status=ical.CANCELLED,
        )
    )


def _messages_to_going_and_speakers(
    *,
    occurrences: list[Occurrence],
    kind: str,
    key: str,
    speaker_key: str,
    subject: str,
    opening: str,
    speaker_opening: str,
    method: str,
    status: str = ical.CONFIRMED,
) -> list[OutboxMessage | None]:
    """One message for each person going to these dates, then one for each speaker of them
    who is not also going: a speaker with a place gets a single email, as an attendee.

    ``subject`` and the openings are templates with ``{title}`` for the session's title. The
    dedupe keys are ``<key>:<registration>:seq<sequence>`` and
    ``<speaker_key>:<occurrence>:<person>:seq<sequence>``: with the SEQUENCE in them, each
    change is one email per person and a repeated call none.
    """
    by_id = {occurrence.pk: occurrence for occurrence in occurrences}
    going = Registration.objects.filter(
        occurrence_id__in=list(by_id), status=Registration.Status.GOING
    ).select_related("person")
    messages = []
    attending: set[tuple[int, int]] = set()
    for registration in going:
        occurrence = by_id[registration.occurrence_id]
        attending.add((occurrence.pk, registration.person_id))
        title = occurrence.session.title
        messages.append(
            _message(
                kind=kind,
                person=registration.person,
                occurrence=occurrence,
                dedupe_key=f"{key}:{registration.pk}:seq{occurrence.sequence}",
                subject=subject.format(title=title),
                opening=opening.format(title=title),
                method=method,
                status=status,
            )
        )
    speakers_by_session: dict[int, list[Person]] = {}
    for occurrence in by_id.values():
        if occurrence.session_id not in speakers_by_session:
            speakers_by_session[occurrence.session_id] = _speakers(occurrence.session_id)
        title = occurrence.session.title
        messages.extend(
            _message(
                kind=kind,
                person=speaker,
                occurrence=occurrence,
                dedupe_key=f"{speaker_key}:{occurrence.pk}:{speaker.pk}:seq{occurrence.sequence}",
                subject=subject.format(title=title),
                opening=speaker_opening.format(title=title),
                method=method,
                status=status,
            )
            for speaker in speakers_by_session[occurrence.session_id]
            if (occurrence.pk, speaker.pk) not in attending
        )
    return messages


def outbox_enqueue_session_reinstated(*, session: Session) -> None:
    """A cancelled session scheduled again: a REQUEST (higher SEQUENCE) puts each upcoming
    date that was not cancelled on its own back in the calendars of those going and the
    speakers."""
    for occurrence in Occurrence.objects.filter(
        session=session, end__gte=timezone.now(), cancelled_at__isnull=True
    ):
        outbox_enqueue_update(occurrence=occurrence)


def reminder_lead() -> timedelta:
    return timedelta(minutes=settings.KNOWFLOW_REMINDER_BEFORE_MINUTES)


def outbox_enqueue_due_reminders(*, now: datetime) -> int:
    """Write reminders for everyone going to an occurrence that starts within the lead time.

    Idempotent (keyed by registration and start time, so a moved occurrence gets a new
    reminder and a re-run scan none), and cheap enough to run on every delivery loop. People
    who registered inside the lead time already have a fresh invitation and get no reminder;
    occurrences that started while no worker ran get none either (too late to be useful).
    """
    lead = reminder_lead()
    if lead <= timedelta(0):
        return 0
    registrations = list(
        Registration.objects.filter(
            status=Registration.Status.GOING,
            occurrence__start__gt=now,
            occurrence__start__lte=now + lead,
            occurrence__cancelled_at__isnull=True,
        )
        .exclude(occurrence__session__status=Session.Status.CANCELLED)
        .exclude(person__email="")
        .select_related("person", "occurrence__session", "occurrence__room__office")
    )
    keyed = {
        f"reminder:{registration.pk}:{_stamp(registration.occurrence.start)}": registration
        for registration in registrations
        if registration.requested_at <= registration.occurrence.start - lead
    }
    done = set(
        OutboxMessage.objects.filter(dedupe_key__in=list(keyed)).values_list(
            "dedupe_key", flat=True
        )
    )
    messages = []
    for key, registration in keyed.items():
        if key in done:
            continue
        occurrence = registration.occurrence
        minutes = int((occurrence.start - now).total_seconds() // 60)
        messages.append(
            _message(
                kind=Kind.REMINDER,
                person=registration.person,
                occurrence=occurrence,
                dedupe_key=key,
                subject=f"Starting soon: {occurrence.session.title}",
                opening=f"“{occurrence.session.title}” starts in {minutes} minutes.",
                now=now,
            )
        )
    return _enqueue(messages)


# Delivery ---------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    interrupted: int = 0
    # Delivered, but the lease had ended and another worker had claimed the row (a copy).
    lost_lease: int = 0
    errors: list[str] = field(default_factory=list)


class _CalendarEmail(EmailMultiAlternatives):
    """An email whose text/calendar alternative carries its iTIP method in the Content-Type,
    which is where Outlook and Gmail look before they offer "add to calendar"."""

    ics_method = ""

    def _create_mime_attachment(self, content: object, mimetype: str) -> object:
        part = super()._create_mime_attachment(content, mimetype)
        if mimetype == "text/calendar" and self.ics_method:
            part.set_param("method", self.ics_method)
        return part


def outbox_message_id(message: OutboxMessage) -> str:
    """The message's Message-ID: derived from the row alone, so every attempt carries the same
    one, and a copy sent again after an interrupted delivery is recognisable as such."""
    return f"<outbox-{message.pk}-{int(message.created_at.timestamp())}@{ical.uid_host()}>"


def _email(message: OutboxMessage) -> EmailMultiAlternatives:
    email = _CalendarEmail(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers={"Message-ID": outbox_message_id(message)},
    )
    if message.html:  # empty on rows written before emails had an HTML part
        email.attach_alternative(message.html, "text/html")
    if message.ics:
        email.ics_method = message.ics_method
        email.attach_alternative(message.ics, "text/calendar")
    return email


def sending_lease() -> timedelta:
    """How long a row may stay "sending" before its worker is taken for dead."""
    return timedelta(seconds=settings.KNOWFLOW_OUTBOX_LEASE_SECONDS)


INTERRUPTED = (
    "Delivery was interrupted: the worker sending this message stopped before recording the "
    "result (killed or crashed). The server may have accepted it; it is sent again with the "
    "same Message-ID."
)
INTERRUPTED_FINAL = (
    "Delivery was interrupted on every attempt: the worker sending this message stopped "
    "before recording the result (killed or crashed). The server may have accepted it; it is "
    "not sent again unless an admin queues it again (deliver_outbox --retry)."
)


class DeliveryTooSlow(Exception):
    """The delivery outlasted `KNOWFLOW_OUTBOX_DELIVERY_SECONDS` and was cut off."""


class _DeliveryDeadline:
    """Cuts the SMTP connection of a delivery that outlasts its limit.

    smtplib blocks in a socket read with only a per-step timeout; shutting the socket down
    from another thread is what makes that read return, so the sending thread gets an error
    it already knows how to handle and the worker is never held longer than the limit.
    """

    def __init__(self, mail: Any, seconds: float) -> None:
        self.mail, self.seconds = mail, seconds
        self.expired = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="outbox deadline", daemon=True)

    def __enter__(self) -> _DeliveryDeadline:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        if self._done.wait(self.seconds):
            return
        self.expired = True
        # While connecting there is no socket to cut yet (the connect and greeting have their
        # own timeout): look again until there is one or the delivery has ended.
        while not self._done.is_set():
            sock = getattr(getattr(self.mail, "connection", None), "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                return
            self._done.wait(0.05)


def _release_expired(*, now: datetime) -> int:
    """Put the rows of dead workers back in the queue, due at `now`; returns how many.

    The lease is compared with the wall clock, not with `now`: it is about how long a real
    worker has been silent. Each interruption counts as an attempt, so a message that kills
    its worker every time ends failed instead of taking workers down forever.
    """
    expired = OutboxMessage.objects.filter(
        status=OutboxMessage.Status.SENDING, claimed_at__lt=timezone.now() - sending_lease()
    )
    with transaction.atomic():
        failed = expired.filter(attempts__gte=MAX_ATTEMPTS - 1).update(
            status=OutboxMessage.Status.FAILED,
            attempts=F("attempts") + 1,
            claim_token="",
            last_error=INTERRUPTED_FINAL,
        )
        released = expired.update(
            status=OutboxMessage.Status.PENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now,
            claim_token="",
            last_error=INTERRUPTED,
        )
    return failed + released


def _claim_next(*, now: datetime) -> OutboxMessage | None:
    """Claim the next due row for this worker alone, or None when nothing is due."""
    with transaction.atomic():
        due = OutboxMessage.objects.filter(
            status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now
        ).order_by("next_attempt_at", "id")
        if db_connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        message = due.first()
        if message is None:
            return None
        message.status = OutboxMessage.Status.SENDING
        message.claim_token = uuid.uuid4().hex
        message.claimed_at = timezone.now()
        message.save(update_fields=["status", "claim_token", "claimed_at"])
    return message


def _is_permanent(error: Exception) -> bool:
    """A refusal that retrying cannot fix: every recipient rejected with a 5xx code."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return False


def _record_failure(message: OutboxMessage, error: Exception, *, now: datetime) -> str:
    attempts = message.attempts + 1
    text = f"{type(error).__name__}: {error}"[:2000]
    if attempts >= MAX_ATTEMPTS or _is_permanent(error):
        status, next_attempt = OutboxMessage.Status.FAILED, message.next_attempt_at
    else:
        status = OutboxMessage.Status.PENDING
        next_attempt = now + min(RETRY_BASE * 2 ** (attempts - 1), RETRY_MAX)
    OutboxMessage.objects.filter(pk=message.pk, claim_token=message.claim_token).update(
        status=status, attempts=attempts, next_attempt_at=next_attempt, last_error=text
    )
    return status


def outbox_deliver_due(
    *, now: datetime | None = None, limit: int = 50, stop: threading.Event | None = None
) -> DeliveryReport:
    """Send up to `limit` due emails; safe to run from any number of workers at once.

    Also writes the reminders that have become due, first, so one loop drives both, and puts
    the messages of dead workers back in the queue. Once `stop` is set, the message in hand is
    finished and no other is claimed. See the module docstring for the claim / send / mark
    protocol and its at-least-once guarantee.
    """
    now = now or timezone.now()
    report = DeliveryReport()
    outbox_enqueue_due_reminders(now=now)
    report.interrupted = _release_expired(now=now)
    mail = None
    limit_seconds = settings.KNOWFLOW_OUTBOX_DELIVERY_SECONDS
    try:
        while report.sent + report.retrying + report.failed + report.lost_lease < limit:
            if stop is not None and stop.is_set():
                break
            message = _claim_next(now=now)
            if message is None:
                break
            opening = mail is None
            if opening:
                mail = get_connection(fail_silently=False)
            with _DeliveryDeadline(mail, limit_seconds) as deadline:
                try:
                    if opening:
                        mail.open()
                    mail.send_messages([_email(message)])
                except Exception as error:  # noqa: BLE001 - any failure is retried
                    failure = error
                else:
                    failure = None
            if failure is not None:
                if deadline.expired:
                    failure = DeliveryTooSlow(
                        f"the delivery took longer than {limit_seconds:g} s "
                        "(KNOWFLOW_OUTBOX_DELIVERY_SECONDS) and was cut off; the server may "
                        "have accepted it, and it is sent again with the same Message-ID."
                    )
                _count(report, _record_failure(message, failure, now=now), failure)
                if opening or deadline.expired:
                    # Server down or too slow: the next pass tries again; the other due
                    # messages were not tried, so they count no attempt.
                    with contextlib.suppress(Exception):
                        mail.close()
                    mail = None
                    break
                continue
            _mark_sent(message, report)
    finally:
        if mail is not None:
            mail.close()
    return report


def _mark_sent(message: OutboxMessage, report: DeliveryReport) -> None:
    """Record a delivery the server accepted; see the module docstring for a lost lease."""
    sent = {"status": OutboxMessage.Status.SENT, "sent_at": timezone.now(), "last_error": ""}
    rows = OutboxMessage.objects.filter(pk=message.pk, claim_token=message.claim_token)
    if rows.update(**sent):
        report.sent += 1
        return
    # Our claim was released as if we were dead. If no other worker holds the row, recording
    # the delivery is the truth and spares a copy (a failed row too: it was delivered).
    released = OutboxMessage.objects.filter(
        pk=message.pk,
        claim_token="",
        status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.FAILED],
    )
    if released.update(**sent):
        report.sent += 1
        logger.warning(
            "outbox message %s was delivered after its lease ended; recorded as sent. "
            "KNOWFLOW_OUTBOX_LEASE_SECONDS is too short for this mail server.",
            message.pk,
        )
        return
    report.lost_lease += 1
    logger.warning(
        "outbox message %s was delivered after its lease ended, and another worker had already "
        "taken it: it may arrive twice (same Message-ID). KNOWFLOW_OUTBOX_LEASE_SECONDS is too "
        "short for this mail server.",
        message.pk,
    )


def _count(report: DeliveryReport, status: str, error: Exception) -> None:
    if status == OutboxMessage.Status.FAILED:
        report.failed += 1
    else:
        report.retrying += 1
    report.errors.append(f"{type(error).__name__}: {error}")
    logger.warning("outbox delivery failed (%s): %s", status, error)


@transaction.atomic
def outbox_retry(*, message_ids: list[int], now: datetime | None = None) -> int:
    """Put failed messages back in the queue (an admin's decision, e.g. after a long outage).
    Returns how many were re-queued."""
    return OutboxMessage.objects.filter(
        pk__in=message_ids, status=OutboxMessage.Status.FAILED
    ).update(
        status=OutboxMessage.Status.PENDING,
        attempts=0,
        next_attempt_at=now or timezone.now(),
        claim_token="",
    )


def outbox_delivery_loop(
    *, interval: float | None = None, limit: int = 50, stop: threading.Event | None = None
) -> None:
    """Deliver due email until `stop` is set: the loop `knowflow worker` runs in a thread.

    Polling the outbox table (an indexed query on status and due time) keeps the table the
    only queue: no second queue to keep consistent with it. A full batch loops again at once;
    an error (database restarting, say) is logged and retried after `interval` (by default
    `KNOWFLOW_OUTBOX_INTERVAL_SECONDS`). Setting `stop` ends the loop after the message in
    hand.
    """
    interval = settings.KNOWFLOW_OUTBOX_INTERVAL_SECONDS if interval is None else interval
    stop = stop or threading.Event()
    while not stop.is_set():
        busy = False
        try:
            report = outbox_deliver_due(limit=limit, stop=stop)
            busy = report.sent + report.retrying + report.failed + report.lost_lease >= limit
        except Exception:
            logger.exception("outbox delivery loop: will try again in %s s", interval)
        finally:
            close_old_connections()
        if not busy:
            stop.wait(interval)
