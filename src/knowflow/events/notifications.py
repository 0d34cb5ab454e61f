"""The emails the events app writes: invitations with their iCalendar parts, updates,
cancellations, waitlist notices and reminders.

`events.services` calls the `outbox_enqueue_*` functions inside its own transaction, so an
email row exists if and only if the change that caused it committed (the mail app's outbox,
`knowflow.mail.services`). The message is rendered at that moment (subject, text, HTML, the
iCalendar part): it says what was true when the change happened, even if it is delivered
minutes later. Each message has a dedupe key; a second enqueue of the same email (a re-run
reminder scan, a retried call) writes nothing. Reminders fall due with the clock, not with a
change: they are written at the start of each delivery pass (`reminders_on_outbox_pass`,
connected to the mail app's `outbox_pass_starting` signal in `apps.py`).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from knowflow.accounts.models import Person
from knowflow.events import ical
from knowflow.events.models import Occurrence, Registration, Session
from knowflow.links import is_web_url
from knowflow.mail.kinds import outbox_kind
from knowflow.mail.selectors import outbox_dedupe_keys_taken
from knowflow.mail.services import Email, outbox_enqueue_many
from knowflow.markdown import markdown_to_email_html, markdown_to_text

# The kinds of email this app writes (`knowflow.mail.kinds`), with the words people read.
INVITATION = outbox_kind("events.invitation", "Invitation")
UPDATE = outbox_kind("events.update", "Update")
CANCELLATION = outbox_kind("events.cancellation", "Cancellation")
REMINDER = outbox_kind("events.reminder", "Reminder")
WAITLISTED = outbox_kind("events.waitlisted", "Waitlist")


@dataclass(frozen=True)
class Detail:
    """One line of an email's facts: "When", "Where", "Join"…; `href` makes the value a link.
    An empty label continues the line above (the time where the room is)."""

    label: str
    value: str
    href: str = ""

    def text(self) -> str:
        label = f"{self.label}:" if self.label else ""
        return f"{label:<6} {self.value}"


def session_email_html(
    *,
    subject: str,
    greeting: str,
    opening: str,
    details: list[Detail],
    title: str,
    abstract: str,
) -> str:
    """The HTML part of an email about a date of a session: the same words as its text, the
    facts as a table, and the abstract rendered from its Markdown (sanitised)."""
    about = markdown_to_email_html(abstract) if abstract.strip() else ""
    return render_to_string(
        "events/email/session.html",
        {
            "subject": subject,
            "greeting": greeting,
            "opening": opening,
            "details": details,
            "title": title,
            "about": mark_safe(about),  # noqa: S308 - sanitised by nh3
        },
    )


# Enqueueing -------------------------------------------------------------------------------


def _occurrence_for_message(occurrence_id: int) -> Occurrence:
    return Occurrence.objects.select_related("session", "room__office").get(pk=occurrence_id)


def _local_time(event: ical.CalendarEvent, person: Person) -> str:
    start, end = person.local(event.start), person.local(event.end)
    return f"{start:%A %d %B %Y, %H:%M}–{end:%H:%M} ({person.timezone})"


def _details(event: ical.CalendarEvent, person: Person) -> list[Detail]:
    details = [Detail("When", _local_time(event, person))]
    if event.zone not in ("UTC", person.timezone):
        room_start = event.start.astimezone(zoneinfo.ZoneInfo(event.zone))
        details.append(Detail("", f"{room_start:%H:%M} in {event.zone}, where the room is"))
    if event.room:
        details.append(Detail("Where", event.location))
    if is_web_url(event.online_url):  # a link stored before the http(s) rule is not offered
        details.append(Detail("Join", event.online_url, href=event.online_url))
    page = ical.session_url(event.slug)
    details.append(Detail("About", page, href=page))
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
) -> Email | None:
    if not person.email:
        return None  # nobody to write to; the feed still shows the change
    now = now or timezone.now()
    event = ical.CalendarEvent.from_occurrence(occurrence, status=status)
    greeting = f"Hello {person.display_name},"
    details = _details(event, person)
    # What the session is about, from its Markdown: plain text here, sanitised HTML in the
    # HTML part. A cancellation needs no description of what is no longer happening.
    abstract = "" if kind == CANCELLATION else event.abstract
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
    html = session_email_html(
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
    return Email(
        kind=kind,
        recipient=person.email,
        subject=subject,
        body=body,
        html=html,
        ics=ics,
        ics_method=method,
        dedupe_key=dedupe_key,
    )


def _enqueue(messages: list[Email | None], *, now: datetime | None = None) -> int:
    # Nobody to write to (no email address) is None: skipped.
    return outbox_enqueue_many(
        emails=[message for message in messages if message is not None], now=now
    )


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S%fZ")


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
                kind=INVITATION,
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
                kind=WAITLISTED,
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
) -> Email | None:
    title = occurrence.session.title
    return _message(
        kind=INVITATION,
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
                    kind=CANCELLATION,
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
            kind=UPDATE,
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
                kind=CANCELLATION,
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
            kind=CANCELLATION,
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
) -> list[Email | None]:
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
    done = outbox_dedupe_keys_taken(dedupe_keys=list(keyed))
    messages = []
    for key, registration in keyed.items():
        if key in done:
            continue
        occurrence = registration.occurrence
        minutes = int((occurrence.start - now).total_seconds() // 60)
        messages.append(
            _message(
                kind=REMINDER,
                person=registration.person,
                occurrence=occurrence,
                dedupe_key=key,
                subject=f"Starting soon: {occurrence.session.title}",
                opening=f"“{occurrence.session.title}” starts in {minutes} minutes.",
                now=now,
            )
        )
    return _enqueue(messages, now=now)


def reminders_on_outbox_pass(sender: Any, *, now: datetime, **kwargs: Any) -> None:
    """Write the reminders that have become due, at the start of each delivery pass, so the
    pass sends them (connected to `knowflow.mail.signals.outbox_pass_starting`)."""
    outbox_enqueue_due_reminders(now=now)
