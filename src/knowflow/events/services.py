"""Everything that changes sessions, occurrences, rooms and registrations (attendance has its
own module, `attendance.py`).

Two invariants need a lock because no portable constraint can hold them: a room is never
booked twice at overlapping times, and an occurrence never has more people going than its
capacity. Each service takes the lock on the row that guards the invariant (the room, the
occurrence) before it reads, so concurrent requests queue instead of both seeing "free". On
SQLite the database runs transactions in IMMEDIATE mode, which serialises writers the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import Choices, F, Q
from django.utils import timezone

from knowflow.accounts.models import Office, Person
from knowflow.accounts.services import unique_slug
from knowflow.circles.models import Circle
from knowflow.errors import Conflict, DomainError, Forbidden
from knowflow.events import notifications, signals
from knowflow.events.models import Occurrence, Registration, Room, Session
from knowflow.events.permissions import (
    can_edit_session,
    can_edit_session_details,
    can_manage_rooms,
    can_propose_session,
    can_register_someone_else,
)
from knowflow.events.search import SESSION
from knowflow.links import check_web_url
from knowflow.search.index import index_write
from knowflow.topics.models import Topic

MAX_OCCURRENCE_HOURS = 24 * 5
ONLINE_LINK = "The online link"  # how a refused link names the field, on the page and in the API


class RoomAlreadyBooked(Conflict):
    pass


class AlreadyRegistered(Conflict):
    pass


class RegistrationClosed(DomainError):
    pass


class SpeakerNotRegistered(DomainError):
    """A speaker asked for a place at their own session: they are there already, and a place
    would count them as one of their own audience (and send them their own attendee survey)."""


def _check_choice(value: str, choices: type[Choices], field: str) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise DomainError(f"'{value}' is not a valid {field}; use one of: {allowed}.", field=field)
    return value


def _check_session_fields(*, title: str, speakers: list[Person], fmt: str, level: str) -> None:
    if not title.strip():
        raise DomainError("A session needs a title.", field="title")
    if len(title) > 200:
        raise DomainError("The title is longer than 200 characters.", field="title")
    if not speakers:
        raise DomainError("A session needs at least one speaker.", field="speakers")
    _check_choice(fmt, Session.Format, "format")
    _check_choice(level, Session.Level, "level")


@transaction.atomic
def session_create(
    *,
    actor: Person,
    title: str,
    abstract: str = "",
    format: str = Session.Format.TALK,
    level: str = Session.Level.INTRODUCTORY,
    language: str = "en",
    topics: Iterable[Topic] = (),
    speakers: Iterable[Person] = (),
    circle: Circle | None = None,
) -> Session:
    """Propose a session. With no speakers named, the proposer is the speaker."""
    if not can_propose_session(actor=actor):
        raise Forbidden("You cannot propose sessions.")
    speaker_list = list(speakers) or [actor]
    _check_session_fields(title=title, speakers=speaker_list, fmt=format, level=level)
    session = Session.objects.create(
        title=title.strip(),
        slug=unique_slug(Session, title, max_length=220),
        abstract=abstract,
        format=format,
        level=level,
        language=language.strip() or "en",
        circle=circle,
        proposed_by=actor,
    )
    session.speakers.set(speaker_list)
    session.topics.set(topics)
    index_write(kind=SESSION, object_ids=[session.pk], dependents=True)
    return session


@transaction.atomic
def session_update(
    *,
    session: Session,
    actor: Person,
    title: str | None = None,
    abstract: str | None = None,
    format: str | None = None,
    level: str | None = None,
    language: str | None = None,
    topics: Iterable[Topic] | None = None,
    speakers: Iterable[Person] | None = None,
    circle: Circle | None = None,
    clear_circle: bool = False,
    status: str | None = None,
) -> Session:
    """Edit a session: its speakers, a champion of its circle, an enabler, or its proposer
    while it is only proposed (``can_edit_session_details``); a proposer who is none of the
    others cannot change its status."""
    if not can_edit_session_details(actor=actor, session=session):
        raise Forbidden(
            "Only the session's speakers, its circle's champions and enablers can edit it."
        )
    if (
        status is not None
        and status != session.status
        and not can_edit_session(actor=actor, session=session)
    ):
        raise Forbidden(
            "A proposer edits what the proposal says; its speakers and enablers schedule "
            "or cancel it."
        )
    speaker_list = list(speakers) if speakers is not None else list(session.speakers.all())
    _check_session_fields(
        title=title if title is not None else session.title,
        speakers=speaker_list,
        fmt=format or session.format,
        level=level or session.level,
    )
    if title is not None:
        session.title = title.strip()
    if abstract is not None:
        session.abstract = abstract
    if format is not None:
        session.format = format
    if level is not None:
        session.level = level
    if language is not None:
        session.language = language.strip() or "en"
    if circle is not None:
        session.circle = circle
    elif clear_circle:
        session.circle = None
    was_cancelled = session.status == Session.Status.CANCELLED
    if status is not None:
        session.status = _check_choice(status, Session.Status, "status")
    session.save()
    now_cancelled = session.status == Session.Status.CANCELLED
    added: set[int] = set()
    removed: set[int] = set()
    if speakers is not None:
        before = set(session.speakers.values_list("pk", flat=True))
        session.speakers.set(speaker_list)
        after = {person.pk for person in speaker_list}
        added, removed = after - before, before - after
    if was_cancelled != now_cancelled:
        # Cancelling (or reinstating) changes every date's STATUS: calendars need a new SEQUENCE.
        # The emails go to the speakers as they are now, new ones included.
        Occurrence.objects.filter(session=session).update(sequence=F("sequence") + 1)
        if was_cancelled:
            notifications.outbox_enqueue_session_reinstated(session=session)
        else:
            notifications.outbox_enqueue_session_cancelled(session=session)
            signals.session_cancelled.send(sender=Session, session=session)
    # New speakers get each upcoming date in their calendar (unless the status change above
    # already sent it, or there is nothing to attend); former ones have it removed (unless it
    # was cancelled already).
    invite = added if not (was_cancelled or now_cancelled) else set()
    withdraw = removed if not was_cancelled else set()
    if invite or withdraw:
        notifications.outbox_enqueue_speakers_changed(
            session=session, added=invite, removed=withdraw
        )
    if topics is not None:
        session.topics.set(topics)
    index_write(kind=SESSION, object_ids=[session.pk], dependents=True)
    return session


def _check_occurrence_fields(
    *, start: datetime, end: datetime, room: Room | None, online_url: str, capacity: int
) -> None:
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise DomainError("Give start and end with their time zone.", field="start")
    if end <= start:
        raise DomainError("The end must be after the start.", field="end")
    if (end - start).total_seconds() > MAX_OCCURRENCE_HOURS * 3600:
        raise DomainError("A date cannot last more than five days.", field="end")
    if room is None and not online_url:
        raise DomainError("Give a room, an online link, or both.", field="room")
    if capacity < 1:
        raise DomainError("The capacity must be at least 1.", field="capacity")
    if room is not None and capacity > room.capacity and not online_url:
        raise DomainError(
            f"{room.name} holds {room.capacity} people; lower the capacity or add an online link.",
            field="capacity",
        )


def _lock_room_and_check_free(
    *,
    room: Room,
    start: datetime,
    end: datetime,
    actor: Person,
    exclude: Occurrence | None = None,
) -> None:
    # The lock on the room row makes concurrent bookings of this room queue here.
    Room.objects.select_for_update().filter(pk=room.pk).first()
    # A cancelled date no longer holds its room (it cannot be reinstated on its own).
    clash = Occurrence.objects.filter(
        room=room, start__lt=end, end__gt=start, cancelled_at__isnull=True
    )
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    other = clash.select_related("session").order_by("start", "id").first()
    if other is not None:
        # In the zone of the person who asked: they read it next to the time they typed.
        other_start, other_end = actor.local(other.start), actor.local(other.end)
        same_day = other_end.date() == other_start.date()
        until = f"{other_end:%H:%M}" if same_day else f"{other_end:%Y-%m-%d %H:%M}"
        raise RoomAlreadyBooked(
            f"{room.name} is already booked for “{other.session.title}” "
            f"from {other_start:%Y-%m-%d %H:%M} to {until} {actor.timezone}.",
            field="room",
        )


@transaction.atomic
def occurrence_create(
    *,
    session: Session,
    actor: Person,
    start: datetime,
    end: datetime,
    room: Room | None = None,
    online_url: str = "",
    capacity: int,
) -> Occurrence:
    """Schedule one occurrence of a session; refuses a room that is taken at that time."""
    if not can_edit_session(actor=actor, session=session):
        raise Forbidden(
            "Only the session's speakers, its circle's champions and enablers can schedule it."
        )
    online_url = check_web_url(online_url, field="online_url", label=ONLINE_LINK)
    _check_occurrence_fields(
        start=start, end=end, room=room, online_url=online_url, capacity=capacity
    )
    if room is not None:
        _lock_room_and_check_free(room=room, start=start, end=end, actor=actor)
    first = not Occurrence.objects.filter(session=session).exists()
    occurrence = Occurrence.objects.create(
        session=session, start=start, end=end, room=room, online_url=online_url, capacity=capacity
    )
    if session.status == Session.Status.PROPOSED:
        session.status = Session.Status.SCHEDULED
        session.save(update_fields=["status", "updated_at"])
    if session.status != Session.Status.CANCELLED and end > timezone.now():
        notifications.outbox_enqueue_speaker_invitations(occurrence=occurrence)
    if session.status != Session.Status.CANCELLED:
        if first:
            signals.session_scheduled.send(sender=Session, session=session, occurrence=occurrence)
        else:
            signals.occurrence_changed.send(
                sender=Occurrence, occurrence=occurrence, change="added"
            )
    # Its date is what search shows and filters on.
    index_write(kind=SESSION, object_ids=[session.pk])
    return occurrence


@transaction.atomic
def occurrence_update(
    *,
    occurrence: Occurrence,
    actor: Person,
    start: datetime | None = None,
    end: datetime | None = None,
    room: Room | None = None,
    clear_room: bool = False,
    online_url: str | None = None,
    capacity: int | None = None,
) -> Occurrence:
    """Move or resize an occurrence; a larger capacity promotes people from the waitlist.

    A capacity below the number already going is refused (``Conflict`` on ``capacity``) and
    nothing changes: taking places back from people who were told they are going would need
    an apology to each, which is a decision for a person (cancel them first), not a side effect
    of editing a number."""
    if not can_edit_session(actor=actor, session=occurrence.session):
        raise Forbidden(
            "Only the session's speakers, its circle's champions and enablers can edit it."
        )
    occurrence = Occurrence.objects.select_for_update().get(pk=occurrence.pk)
    if occurrence.cancelled_at is not None:
        # A change would send "Changed" invitations that put a cancelled date back in calendars.
        raise Conflict("This date is cancelled; it cannot be changed.")
    new_start = start or occurrence.start
    new_end = end or occurrence.end
    new_room = None if clear_room else (room or occurrence.room)
    new_url = (
        occurrence.online_url
        if online_url is None
        else check_web_url(online_url, field="online_url", label=ONLINE_LINK)
    )
    new_capacity = occurrence.capacity if capacity is None else capacity
    _check_occurrence_fields(
        start=new_start, end=new_end, room=new_room, online_url=new_url, capacity=new_capacity
    )
    if new_capacity < occurrence.capacity:
        # Counted under the occurrence's row lock, so no registration slips in meanwhile.
        going = occurrence.registrations.filter(status=Registration.Status.GOING).count()
        if new_capacity < going:
            raise Conflict(
                f"{going} people are going, so the capacity cannot be lower than {going}; "
                "cancel registrations first to make it smaller.",
                field="capacity",
            )
    if new_room is not None:
        _lock_room_and_check_free(
            room=new_room, start=new_start, end=new_end, actor=actor, exclude=occurrence
        )
    moved = (new_start, new_end, new_room.pk if new_room else None, new_url) != (
        occurrence.start,
        occurrence.end,
        occurrence.room_id,
        occurrence.online_url,
    )
    occurrence.start, occurrence.end = new_start, new_end
    occurrence.room, occurrence.online_url, occurrence.capacity = new_room, new_url, new_capacity
    if moved:  # a capacity change is invisible in a calendar: no new SEQUENCE, no email
        occurrence.sequence += 1
    occurrence.save()
    if moved:
        notifications.outbox_enqueue_update(occurrence=occurrence)
        signals.occurrence_changed.send(sender=Occurrence, occurrence=occurrence, change="moved")
    _promote_waitlist(occurrence)
    index_write(kind=SESSION, object_ids=[occurrence.session_id])
    return occurrence


@transaction.atomic
def occurrence_cancel(*, occurrence: Occurrence, actor: Person) -> Occurrence:
    """Cancel one date of a session; everyone going gets a calendar CANCEL (SEQUENCE raised)."""
    if not can_edit_session(actor=actor, session=occurrence.session):
        raise Forbidden(
            "Only the session's speakers, its circle's champions and enablers can cancel a date."
        )
    occurrence = (
        Occurrence.objects.select_for_update().select_related("session").get(pk=occurrence.pk)
    )
    if occurrence.cancelled_at is not None:
        raise Conflict("This date is already cancelled.")
    if occurrence.end <= timezone.now():
        raise DomainError("This date is over; it cannot be cancelled.")
    occurrence.cancelled_at = timezone.now()
    occurrence.sequence += 1
    occurrence.save(update_fields=["cancelled_at", "sequence"])
    notifications.outbox_enqueue_occurrence_cancelled(occurrence=occurrence)
    signals.occurrence_cancelled.send(sender=Occurrence, occurrence=occurrence)
    index_write(kind=SESSION, object_ids=[occurrence.session_id])
    return occurrence


@transaction.atomic
def session_cancel(*, session: Session, actor: Person) -> Session:
    """Cancel a whole session: every upcoming date's calendar entry is withdrawn and everyone
    going, and every speaker, is emailed (through ``session_update``, which owns that rule)."""
    if not can_edit_session(actor=actor, session=session):
        raise Forbidden(
            "Only the session's speakers, its circle's champions and enablers can cancel it."
        )
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.status == Session.Status.CANCELLED:
        raise Conflict("This session is already cancelled.")
    if session.current_status == Session.Status.DONE:
        raise DomainError("This session is over; it cannot be cancelled.")
    return session_update(session=session, actor=actor, status=Session.Status.CANCELLED)


def _promote_waitlist(occurrence: Occurrence) -> list[Registration]:
    """Fill free places from the waitlist, first come first served. Caller holds the lock."""
    going = occurrence.registrations.filter(status=Registration.Status.GOING).count()
    free = occurrence.capacity - going
    if free <= 0:
        return []
    promoted = list(
        occurrence.registrations.filter(status=Registration.Status.WAITLISTED).order_by(
            "requested_at", "id"
        )[:free]
    )
    for registration in promoted:
        registration.status = Registration.Status.GOING
        registration.save(update_fields=["status", "updated_at"])
        notifications.outbox_enqueue_invitation(registration=registration, promoted=True)
    return promoted


def _waitlist_position(registration: Registration) -> int:
    """1 for the first person waiting: the order `_promote_waitlist` serves them in."""
    return (
        Registration.objects.filter(
            occurrence_id=registration.occurrence_id, status=Registration.Status.WAITLISTED
        )
        .filter(
            Q(requested_at__lt=registration.requested_at)
            | Q(requested_at=registration.requested_at, pk__lte=registration.pk)
        )
        .count()
    )


@transaction.atomic
def registration_create(*, occurrence: Occurrence, person: Person, actor: Person) -> Registration:
    """Ask for a place: going while there is room, waitlisted after that (in arrival order)."""
    if person.pk != actor.pk and not can_register_someone_else(actor=actor):
        raise Forbidden("You can only register yourself.")
    # Lock the occurrence first: everything below reads the count it guards.
    occurrence = (
        Occurrence.objects.select_for_update().select_related("session").get(pk=occurrence.pk)
    )
    if occurrence.session.status == Session.Status.CANCELLED:
        raise RegistrationClosed("This session was cancelled.")
    if occurrence.end <= timezone.now():
        raise RegistrationClosed("This date is over; registration is closed.")
    if occurrence.cancelled_at is not None:
        raise RegistrationClosed("This date was cancelled.")
    if occurrence.session.speakers.filter(pk=person.pk).exists():
        raise SpeakerNotRegistered(
            "You are a speaker of this session: speakers do not register for it."
            if person.pk == actor.pk
            else f"{person.display_name} is a speaker of this session: speakers do not register "
            "for it."
        )
    existing = Registration.objects.filter(occurrence=occurrence, person=person).first()
    if existing is not None and existing.status != Registration.Status.CANCELLED:
        raise AlreadyRegistered(
            f"{person.display_name} is already registered ({existing.get_status_display().lower()})."
        )
    going = occurrence.registrations.filter(status=Registration.Status.GOING).count()
    status = (
        Registration.Status.GOING if going < occurrence.capacity else Registration.Status.WAITLISTED
    )
    if existing is not None:
        existing.status, existing.requested_at = status, timezone.now()
        existing.save(update_fields=["status", "requested_at", "updated_at"])
        registration = existing
    else:
        registration = Registration.objects.create(
            occurrence=occurrence, person=person, status=status, requested_at=timezone.now()
        )
    if registration.status == Registration.Status.GOING:
        notifications.outbox_enqueue_invitation(registration=registration)
    else:
        notifications.outbox_enqueue_waitlisted(
            registration=registration, position=_waitlist_position(registration)
        )
    signals.registration_created.send(sender=Registration, registration=registration)
    return registration


@transaction.atomic
def registration_cancel(*, occurrence: Occurrence, person: Person, actor: Person) -> Registration:
    """Give up a place (or a waitlist spot); the first person waiting takes a freed place."""
    if person.pk != actor.pk and not can_register_someone_else(actor=actor):
        raise Forbidden("You can only cancel your own registration.")
    occurrence = Occurrence.objects.select_for_update().get(pk=occurrence.pk)
    # Once a date has started the place was used (or not): giving it up would mail a calendar
    # cancellation for a meeting already under way and hand the place to someone too late.
    if occurrence.start <= timezone.now():
        raise RegistrationClosed("This date has started; a place can no longer be given up.")
    if occurrence.cancelled_at is not None:
        raise RegistrationClosed("This date was cancelled; there is no place to give up.")
    registration = Registration.objects.filter(occurrence=occurrence, person=person).first()
    if registration is None or registration.status == Registration.Status.CANCELLED:
        raise DomainError(f"{person.display_name} is not registered for this date.")
    had_place = registration.status == Registration.Status.GOING
    registration.status = Registration.Status.CANCELLED
    registration.save(update_fields=["status", "updated_at"])
    if had_place:  # a waitlisted person never got an invitation, so there is nothing to cancel
        notifications.outbox_enqueue_registration_cancelled(registration=registration)
    _promote_waitlist(occurrence)
    return registration


@transaction.atomic
def registrations_release(*, person: Person) -> int:
    """Give up every place and waitlist spot `person` holds at dates still to start: they left
    the organisation (`accounts.signals.person_deactivated`). Each freed place goes to the
    first person waiting, who is invited; the person who left is not emailed (their address
    may no longer exist). Returns how many registrations were released."""
    held = list(
        Registration.objects.filter(
            person=person,
            status__in=[Registration.Status.GOING, Registration.Status.WAITLISTED],
            occurrence__start__gt=timezone.now(),
        ).values_list("occurrence_id", flat=True)
    )
    for occurrence in Occurrence.objects.select_for_update().filter(pk__in=held).order_by("pk"):
        Registration.objects.filter(occurrence=occurrence, person=person).update(
            status=Registration.Status.CANCELLED, updated_at=timezone.now()
        )
        _promote_waitlist(occurrence)
    return len(held)


def release_registrations_on_deactivation(sender: object, person: Person, **kwargs: object) -> None:
    registrations_release(person=person)


@transaction.atomic
def room_create(*, actor: Person, office: Office, name: str, capacity: int) -> Room:
    if not can_manage_rooms(actor=actor):
        raise Forbidden("Only enablers manage rooms.")
    if not name.strip():
        raise DomainError("A room needs a name.", field="name")
    if capacity < 1:
        raise DomainError("The capacity must be at least 1.", field="capacity")
    if Room.objects.filter(office=office, name=name.strip()).exists():
        raise Conflict(f"{office.name} already has a room called {name.strip()}.", field="name")
    return Room.objects.create(office=office, name=name.strip(), capacity=capacity)
