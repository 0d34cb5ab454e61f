"""Who attended a date, and how: the organisers' checklist, self check-in by link, and
"I watched the recording".

Attendance can be recorded once a date has started and never for a cancelled one. What an
organiser records is observed; what a person records for themselves (check-in, the recording)
is self-reported, and an observation outranks a person's own account. Saving a checklist and
checking in take the occurrence's row lock first, so two organisers saving at once queue
instead of each undoing half of the other's list.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.errors import DomainError, Forbidden
from knowflow.events import signals
from knowflow.events.models import Attendance, Occurrence, Registration
from knowflow.events.permissions import can_edit_session

# Self check-in is open from a little before the start (people arrive early and the link is on
# the screen already) until a while after the end (people check in on the way out).
CHECKIN_OPENS_BEFORE = timedelta(minutes=15)
CHECKIN_CLOSES_AFTER = timedelta(minutes=30)
ATTENDANCE_REFUSED = (
    "Only the session's speakers, its circle's champions and enablers record attendance."
)


class CheckInClosed(DomainError):
    pass


def _check_mode(mode: str) -> None:
    if mode not in Attendance.Mode.values:
        allowed = ", ".join(Attendance.Mode.values)
        raise DomainError(f"'{mode}' is not a valid mode; use one of: {allowed}.", field="mode")


def _check_attendance_open(occurrence: Occurrence) -> None:
    if occurrence.is_cancelled:
        raise DomainError("This date was cancelled; there is no attendance to record.")
    if occurrence.start > timezone.now():
        raise DomainError("Attendance can be recorded once the date has started.")


@transaction.atomic
def attendance_record(
    *, occurrence: Occurrence, person: Person, mode: str, actor: Person
) -> Attendance:
    """Record that someone attended, and how. Watching the recording is recorded by oneself;
    such a row is marked self-reported (only a speaker's or an enabler's record is observed)."""
    _check_mode(mode)
    self_report = person.pk == actor.pk and mode == Attendance.Mode.RECORDING
    if not self_report and not can_edit_session(actor=actor, session=occurrence.session):
        raise Forbidden(ATTENDANCE_REFUSED)
    if occurrence.start > timezone.now():
        raise DomainError("Attendance can be recorded once the date has started.")
    before = Attendance.objects.filter(occurrence=occurrence, person=person).first()
    attendance, _ = Attendance.objects.update_or_create(
        occurrence=occurrence, person=person, defaults={"mode": mode, "self_reported": self_report}
    )
    if before is None or before.mode != mode:
        signals.attendance_recorded.send(sender=Attendance, attendance=attendance)
    return attendance


@dataclass(frozen=True)
class AttendanceChanges:
    """What saving a checklist did: people newly recorded (or whose mode changed), removed."""

    recorded: int
    removed: int


def _people_named(text: str) -> list[Person]:
    """Resolve a plain list of names or email addresses (one per line or comma-separated).

    Exact matches only, case-insensitive: an email is unique; a name must name one person.
    Every entry that matches nobody, or several people, is named in one error so the organiser
    can fix them all at once.
    """
    entries = [part.strip() for line in text.splitlines() for part in line.split(",")]
    people: list[Person] = []
    problems: list[str] = []
    for entry in dict.fromkeys(e for e in entries if e):
        lookup = {"email__iexact": entry} if "@" in entry else {"display_name__iexact": entry}
        found = list(Person.objects.filter(**lookup).order_by("id")[:2])
        if len(found) == 1:
            people.append(found[0])
        elif found:
            problems.append(f"“{entry}” names several people; give their email instead")
        else:
            problems.append(f"nobody is called “{entry}”")
    if problems:
        message = "; ".join(problems)
        raise DomainError(message[0].upper() + message[1:] + ".", field="others")
    return people


@transaction.atomic
def attendance_record_bulk(
    *,
    occurrence: Occurrence,
    actor: Person,
    marks: Mapping[int, str],
    others: str = "",
    others_mode: str = "",
    all_present: str = "",
) -> AttendanceChanges:
    """Save a date's attendance checklist in one go: who was there, and how.

    ``marks`` maps each person on the checklist (the registered, and anyone already recorded
    in the room or online) to the mode they attended in, or "" for absent. ``others`` lists
    people who came without registering (names or emails), all attended ``others_mode``.
    ``all_present`` (a mode) marks everyone on the checklist not marked otherwise as present
    in that mode: "all present in the room" after ticking the few who were online. Idempotent: the same checklist saved twice records the same rows. What an organiser ticks
    is observed attendance (``self_reported`` False), also for someone who had checked in
    themselves; unticking removes the row. Watching the recording is never touched here.
    Refused, with nothing changed, to those who may not record attendance, for dates not yet
    started or cancelled, and for any entry that cannot be resolved.
    """
    if not can_edit_session(actor=actor, session=occurrence.session):
        raise Forbidden(ATTENDANCE_REFUSED)
    # The row lock makes two organisers saving at once queue, so neither undoes half the other.
    occurrence = (
        Occurrence.objects.select_for_update().select_related("session").get(pk=occurrence.pk)
    )
    _check_attendance_open(occurrence)
    offered = occurrence.modes
    for mode in [*marks.values(), all_present]:
        if mode and mode not in offered:
            raise DomainError(
                f"This date has no “{Attendance.Mode(mode).label.lower()}” attendance."
                if mode in Attendance.Mode.values
                else f"'{mode}' is not a way to attend this date.",
                field="marks",
            )
    existing = {a.person_id: a for a in occurrence.attendances.all()}
    listed = set(
        occurrence.registrations.filter(status=Registration.Status.GOING).values_list(
            "person_id", flat=True
        )
    ) | {pid for pid, a in existing.items() if a.mode != Attendance.Mode.RECORDING}
    strangers = set(marks) - listed
    if strangers:
        raise DomainError(
            "The checklist names someone who is not registered for this date; add them by "
            "name or email instead.",
            field="marks",
        )
    wanted = dict(marks)
    if all_present:
        for person_id in listed:
            if not wanted.get(person_id):
                wanted[person_id] = all_present
    extra = _people_named(others)
    if extra:
        if not others_mode and len(offered) == 1:
            others_mode = offered[0]
        if others_mode not in offered:
            raise DomainError(
                "Say how the people you added attended: in the room or online.",
                field="others_mode",
            )
        for person in extra:
            wanted[person.pk] = others_mode
    recorded = removed = 0
    for person_id, mode in wanted.items():
        row = existing.get(person_id)
        if mode:
            if row is not None and row.mode == mode and not row.self_reported:
                continue
            attendance, _ = Attendance.objects.update_or_create(
                occurrence=occurrence,
                person_id=person_id,
                defaults={"mode": mode, "self_reported": False},
            )
            recorded += 1
            if row is None or row.mode != mode:
                signals.attendance_recorded.send(sender=Attendance, attendance=attendance)
        elif row is not None and row.mode != Attendance.Mode.RECORDING:
            row.delete()
            removed += 1
    return AttendanceChanges(recorded=recorded, removed=removed)


def checkin_window(*, occurrence: Occurrence) -> tuple[datetime, datetime]:
    """When the self check-in link works: from shortly before the start to a while after the end."""
    return occurrence.start - CHECKIN_OPENS_BEFORE, occurrence.end + CHECKIN_CLOSES_AFTER


def checkin_is_open(*, occurrence: Occurrence) -> bool:
    opens, closes = checkin_window(occurrence=occurrence)
    return not occurrence.is_cancelled and opens <= timezone.now() <= closes


@transaction.atomic
def occurrence_checkin_token(*, occurrence: Occurrence, actor: Person, rotate: bool = False) -> str:
    """The secret of the date's check-in link, made on first use; ``rotate`` replaces it, so
    every copy of the old link (a photo of the screen, a forwarded chat) stops working."""
    if not can_edit_session(actor=actor, session=occurrence.session):
        raise Forbidden(ATTENDANCE_REFUSED)
    occurrence = Occurrence.objects.select_for_update().get(pk=occurrence.pk)
    if rotate or not occurrence.checkin_token:
        occurrence.checkin_token = secrets.token_urlsafe(24)
        occurrence.save(update_fields=["checkin_token"])
    return occurrence.checkin_token


def checkin_refusal(
    *, occurrence: Occurrence, token: str | None, person: Person
) -> DomainError | None:
    """Why this person cannot check in now (with this link, or without one), or None: the page
    shows it before anyone presses the button, and the service refuses with it.

    Without the link's token only someone going to the date may check in (the button on the
    session page); anyone else needs the link shown in the room or the meeting."""
    if token is None:
        going = occurrence.registrations.filter(
            person=person, status=Registration.Status.GOING
        ).exists()
        if not going:
            return Forbidden(
                "You are not registered for this date: open the check-in link shown in the "
                "room or the online meeting."
            )
    elif not occurrence.checkin_token or not secrets.compare_digest(
        occurrence.checkin_token.encode(), token.encode()
    ):
        return Forbidden(
            "This check-in link is not valid, or it was replaced by a new one: ask the "
            "organisers for the current link."
        )
    if occurrence.is_cancelled:
        return CheckInClosed("This date was cancelled; there is nothing to check in to.")
    opens, closes = checkin_window(occurrence=occurrence)
    now = timezone.now()
    if now < opens:
        return CheckInClosed(
            f"Check-in opens {int(CHECKIN_OPENS_BEFORE.total_seconds() // 60)} minutes before "
            "the start; come back then."
        )
    if now > closes:
        return CheckInClosed("Check-in for this date has closed.")
    return None


@transaction.atomic
def attendance_check_in(
    *, occurrence: Occurrence, person: Person, token: str | None, mode: str = ""
) -> Attendance:
    """A person records for themselves that they are at this date, through its check-in link.

    Self-reported (their own account, not an organiser's observation). The mode is the one
    the date offers; a date both in a room and online asks which. A record an organiser already
    made is kept as it is. ``token`` None is the session page's button, for people going.
    Refused, with nothing recorded, for a link that is not (or no longer) this date's, without
    a link for someone not going, and outside the check-in window.
    """
    occurrence = (
        Occurrence.objects.select_for_update().select_related("session").get(pk=occurrence.pk)
    )
    refusal = checkin_refusal(occurrence=occurrence, token=token, person=person)
    if refusal is not None:
        raise refusal
    offered = occurrence.modes
    if not mode and len(offered) == 1:
        mode = offered[0]
    if mode not in offered:
        raise DomainError("Say whether you are in the room or online.", field="mode")
    attendance_was = Attendance.objects.filter(occurrence=occurrence, person=person).first()
    if attendance_was is not None and not attendance_was.self_reported:
        return attendance_was  # an organiser's observation outranks the person's own account
    attendance, _ = Attendance.objects.update_or_create(
        occurrence=occurrence, person=person, defaults={"mode": mode, "self_reported": True}
    )
    if attendance_was is None or attendance_was.mode != mode:
        signals.attendance_recorded.send(sender=Attendance, attendance=attendance)
    return attendance
