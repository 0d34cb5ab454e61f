"""The automatic programme of a conference: its talks, rooms, periods, speakers and stars made
into a problem for `knowflow.programme`, solved into a draft organisers can check and edit by
hand, and applied to the talks' dates through the events services (so registrants are told
of every move, and a room booked by another session is refused).

The problem, from the conference's own data:

- **periods**: every day of the conference at each of its slot times (local to the
  conference's zone), each `slot_minutes` long or as long as written ("13:30-15:00"); every
  talk takes one period at least as long as its format's duration (`format_minutes`);
- **rooms**: the conference's rooms, with their capacity;
- **speakers**: a speaker can give a talk in a period unless another session of theirs (outside
  this conference) overlaps it, or it lies outside the days and hours they gave in their
  proposal to the call (in their own zone) — hard constraints; the periods inside their working
  hours, in their own time zone, are their preferred ones — a soft one;
- **expected audience**: how many members starred the talk (the room must hold them);
- **attendees**: each member's starred talks: two of them at once is a conflict;
- **previous**: where each talk's date is now, when it is on the grid — moving it costs
  `DEFAULT_MOVE_PENALTY`, so a re-run keeps a published programme as stable as it can;
- **pinned**: talks an organiser pinned keep their date.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone as django_timezone

from knowflow.accounts.models import Person
from knowflow.conferences.models import Conference, ConferenceTalk, ProgrammeDraft, Proposal
from knowflow.conferences.permissions import can_manage_conferences
from knowflow.conferences.selectors import interest_of
from knowflow.errors import Conflict, DomainError, Forbidden, NotFound
from knowflow.events.models import Occurrence, Room, Session
from knowflow.events.services import occurrence_create, occurrence_update
from knowflow.programme import (
    ProgrammeInfeasible,
    ProgrammeInputError,
    ProgrammeNotFound,
    conference_from_json,
    programme_solve,
)
from knowflow.programme.check import ProgrammeCheck, programme_check

ENABLERS_ONLY = "Only enablers build a conference's programme."
CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
MAX_SLOTS = 24
PARKED = "https://parked.invalid/"  # never seen outside draft_apply's transaction
SLOT_MINUTES = (5, 480)
# Ids in the problem: talks by guid, speakers "p<person id>", rooms "r<room id>", so that the
# solver's messages can be put back into names.
ID = re.compile(r"\b(p\d+|r\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b")


def _check_actor(actor: Person) -> None:
    if not can_manage_conferences(actor=actor):
        raise Forbidden(ENABLERS_ONLY)


# Settings ------------------------------------------------------------------------------------


def slot_times_parse(text: str, *, minutes: int) -> list[str]:
    """ "09:30, 10:30, 13:30-15:00" as sorted periods — "HH:MM" (``minutes`` long) or
    "HH:MM-HH:MM" (a period of its own length, for a workshop or a keynote) — or a DomainError
    naming what is wrong: an unreadable time, too many, periods that overlap, one past midnight.
    """
    found: dict[str, tuple[int, int]] = {}
    for word in re.split(r"[\s,;]+", text.strip().replace("–", "-")):
        if not word:
            continue
        start_text, _, end_text = word.partition("-")
        start_match = CLOCK.match(start_text)
        end_match = CLOCK.match(end_text) if end_text else None
        if start_match is None or (end_text and end_match is None):
            raise DomainError(
                f"“{word[:20]}” is not a time of day: write them like 09:30, 10:30, or "
                "13:30-15:00 for a longer period.",
                field="slot_times",
            )
        start = int(start_match.group(1)) * 60 + int(start_match.group(2))
        end = (
            int(end_match.group(1)) * 60 + int(end_match.group(2))
            if end_match is not None
            else start + minutes
        )
        if end <= start:
            raise DomainError(
                f"“{word[:20]}” ends before it starts (a period cannot cross midnight).",
                field="slot_times",
            )
        if end > 24 * 60:
            raise DomainError(
                f"A talk at {_clock(start)} would end after midnight.", field="slot_times"
            )
        label = _clock(start) if end_match is None else f"{_clock(start)}-{_clock(end)}"
        found[label] = (start, end)
    if len(found) > MAX_SLOTS:
        raise DomainError(f"At most {MAX_SLOTS} periods a day.", field="slot_times")
    ordered = sorted(found.items(), key=lambda item: item[1])
    for (first, (_, first_end)), (second, (second_start, _)) in zip(
        ordered, ordered[1:], strict=False
    ):
        if second_start < first_end:
            raise DomainError(
                f"{first} and {second} overlap ({first} ends at {_clock(first_end)}): "
                "periods would overlap.",
                field="slot_times",
            )
    return [label for label, _ in ordered]


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _span(label: str, minutes: int) -> tuple[time, int]:
    """A stored period ("10:00" or "13:30-15:00"): its start and its length in minutes."""
    start_text, _, end_text = label.partition("-")
    hours, mins = (int(part) for part in start_text.split(":"))
    if not end_text:
        return time(hours, mins), minutes
    end_hours, end_mins = (int(part) for part in end_text.split(":"))
    return time(hours, mins), end_hours * 60 + end_mins - hours * 60 - mins


def talk_minutes(conference: Conference, fmt: str) -> int:
    """How long a talk of this format lasts at this conference."""
    value = (conference.format_minutes or {}).get(fmt)
    return int(value) if isinstance(value, int) else conference.slot_minutes


@transaction.atomic
def programme_settings_update(
    *,
    actor: Person,
    conference: Conference,
    slot_times: str,
    slot_minutes: int,
    rooms: list[Room],
    format_minutes: dict[str, int] | None = None,
) -> Conference:
    """The grid the programme fills: the periods of each day (their local start times, and an
    end for those longer than `slot_minutes`), the rooms, and how long each format's talks
    last."""
    _check_actor(actor)
    low, high = SLOT_MINUTES
    if not low <= slot_minutes <= high:
        raise DomainError(
            f"A talk lasts {low} to {high} minutes in the programme.", field="slot_minutes"
        )
    durations: dict[str, int] = {}
    for fmt, value in (format_minutes or {}).items():
        if fmt not in Session.Format.values:
            raise DomainError(f"There is no format “{fmt[:30]}”.", field="format_minutes")
        if not low <= value <= high:
            label = Session.Format(fmt).label
            raise DomainError(f"“{label}” lasts {low} to {high} minutes.", field=f"minutes_{fmt}")
        durations[fmt] = value
    times = slot_times_parse(slot_times, minutes=slot_minutes)
    conference.slot_times = times
    conference.slot_minutes = slot_minutes
    conference.format_minutes = durations
    conference.save(update_fields=["slot_times", "slot_minutes", "format_minutes"])
    conference.rooms.set(rooms)
    return conference


@transaction.atomic
def talk_pin_set(*, actor: Person, talk: ConferenceTalk, pinned: bool) -> ConferenceTalk:
    """Pin a talk where its date is now (the programme keeps it there), or let it move."""
    _check_actor(actor)
    if pinned and not live_dates(session_ids=[talk.session_id]):
        raise DomainError(
            f"“{talk.session.title}” has no date yet: a talk is pinned where its date is.",
            field="pinned",
        )
    ConferenceTalk.objects.filter(pk=talk.pk).update(pinned=pinned)
    talk.pinned = pinned
    return talk


# The problem ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodInfo:
    id: int
    start: datetime  # UTC
    end: datetime


@dataclass
class Inputs:
    """The problem of a conference as it is now, and what it was made from."""

    problem: dict[str, Any]
    names: dict[str, str]
    fingerprint: str
    periods: list[PeriodInfo]
    rooms: dict[str, Room]
    talks: dict[str, ConferenceTalk]  # by guid
    dates: dict[int, Occurrence]  # a talk's live date, by session id
    previous: dict[str, tuple[int, str]]
    pinned: dict[str, tuple[int, str]]
    stars: dict[str, int]
    warnings: list[str] = field(default_factory=list)


def periods_of(conference: Conference) -> list[PeriodInfo]:
    zone = ZoneInfo(conference.timezone)
    found: list[PeriodInfo] = []
    day = conference.starts_on
    while day <= conference.ends_on:
        for label in conference.slot_times:
            clock, minutes = _span(label, conference.slot_minutes)
            start = datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)
            found.append(
                PeriodInfo(id=len(found), start=start, end=start + timedelta(minutes=minutes))
            )
        day += timedelta(days=1)
    return found


def live_dates(*, session_ids: list[int]) -> dict[int, Occurrence]:
    """Each session's first date that is not cancelled."""
    dates: dict[int, Occurrence] = {}
    for occurrence in (
        Occurrence.objects.filter(session_id__in=session_ids, cancelled_at=None)
        .select_related("room")
        .order_by("session_id", "start", "id")
    ):
        dates.setdefault(occurrence.session_id, occurrence)
    return dates


def _said_availability(
    *, talks: list[ConferenceTalk], people: set[int]
) -> dict[int, list[tuple[datetime, datetime]]]:
    """When speakers said, in the call for proposals, they can give their talks: for each
    speaker of an accepted proposal that gave days, those days from its earliest start to its
    latest end in the zone it was written in (all day when no hours were given), as UTC
    intervals. A speaker with several such proposals can speak in any of their windows."""
    found: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for proposal in Proposal.objects.filter(talk__in=talks).prefetch_related("speakers"):
        if not proposal.available_days:
            continue
        zone = ZoneInfo(proposal.available_zone or "UTC")
        earliest = proposal.available_from or time(0, 0)
        windows = []
        for text in proposal.available_days:
            day = date.fromisoformat(text)
            start = datetime.combine(day, earliest, tzinfo=zone).astimezone(UTC)
            if proposal.available_until is None:
                end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone)
            elif proposal.available_until <= earliest:  # crosses the speaker's midnight
                end = datetime.combine(
                    day + timedelta(days=1), proposal.available_until, tzinfo=zone
                )
            else:
                end = datetime.combine(day, proposal.available_until, tzinfo=zone)
            windows.append((start, end.astimezone(UTC)))
        speakers = {proposal.submitter_id} | {
            row.person_id for row in proposal.speakers.all() if row.confirmed_at is not None
        }
        for person_id in speakers & people:
            found[person_id].extend(windows)
    return found


def programme_inputs(*, conference: Conference) -> Inputs:
    """The conference's problem from its live data (a fixed number of queries)."""
    periods = periods_of(conference)
    rooms = {f"r{room.pk}": room for room in conference.rooms.order_by("-capacity", "name")}
    talks = {
        str(talk.guid): talk
        for talk in ConferenceTalk.objects.filter(conference=conference)
        .exclude(session__status=Session.Status.CANCELLED)
        .select_related("session", "track")
        .order_by("id")
    }
    session_ids = [talk.session_id for talk in talks.values()]
    dates = live_dates(session_ids=session_ids)
    speakers_of: dict[int, list[int]] = defaultdict(list)
    for session_id, person_id in Session.speakers.through.objects.filter(
        session_id__in=session_ids
    ).values_list("session_id", "person_id"):
        speakers_of[session_id].append(person_id)
    people = {
        person.pk: person
        for person in Person.objects.filter(pk__in={p for ids in speakers_of.values() for p in ids})
    }
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    if periods:
        for person_id, start, end in (
            Occurrence.objects.filter(
                session__speakers__in=list(people),
                cancelled_at=None,
                start__lt=periods[-1].end,
                end__gt=periods[0].start,
            )
            .exclude(session_id__in=session_ids)
            .values_list("session__speakers", "start", "end")
        ):
            if person_id in people:
                busy[person_id].append((start, end))
    said = _said_availability(talks=list(talks.values()), people=set(people))
    stars: Counter[str] = Counter()
    interests = []
    guid_of = {talk.session_id: guid for guid, talk in talks.items()}
    for person_id, wanted in sorted(interest_of(conference=conference).items()):
        mine = sorted(guid_of[s] for s in wanted if s in guid_of)
        stars.update(mine)
        if len(mine) > 1:  # one talk alone conflicts with nothing
            interests.append({"id": f"a{person_id}", "interests": mine})

    names: dict[str, str] = {}
    speakers = []
    for person in people.values():
        key = f"p{person.pk}"
        names[key] = person.display_name
        zone, hours = person.zone, person.hours
        windows = said.get(person.pk)
        available = [
            p.id
            for p in periods
            if not any(s < p.end and e > p.start for s, e in busy.get(person.pk, ()))
            and (windows is None or any(ws <= p.start and p.end <= we for ws, we in windows))
        ]
        preferred = [
            p.id for p in periods if p.id in available and hours.covers(zone, p.start, p.end)
        ]
        speakers.append({"id": key, "available_periods": available, "preferred_periods": preferred})
    by_start = {p.start: p.id for p in periods}
    previous: dict[str, tuple[int, str]] = {}
    pinned: dict[str, tuple[int, str]] = {}
    warnings = []
    problem_talks: list[dict[str, Any]] = []
    for guid, talk in talks.items():
        names[guid] = f"“{talk.session.title}”"
        problem_talks.append(
            {
                "id": guid,
                "track": talk.track.slug if talk.track else "",
                "speakers": [f"p{p}" for p in speakers_of.get(talk.session_id, [])],
                "duration_min": talk_minutes(conference, talk.session.format),
                "expected_audience": stars.get(guid, 0),
            }
        )
        date = dates.get(talk.session_id)
        at = None
        if date is not None and date.room_id is not None:
            period = by_start.get(date.start)
            if period is not None and f"r{date.room_id}" in rooms:
                at = (period, f"r{date.room_id}")
                previous[guid] = at
        if talk.pinned:
            if at is None:
                warnings.append(
                    f"{names[guid]} is pinned, but its date is not a period and room of the "
                    "grid: it is placed like the others."
                )
            else:
                pinned[guid] = at
    for key, room in rooms.items():
        names[key] = room.name
    problem = {
        "kind": "conference",
        "schema_version": 1,
        "name": conference.name,
        "periods": [
            {
                "id": p.id,
                "day": (
                    p.start.astimezone(ZoneInfo(conference.timezone)).date() - conference.starts_on
                ).days,
                "start": f"{p.start:%Y-%m-%dT%H:%M:%SZ}",
                "duration_min": int((p.end - p.start).total_seconds() // 60),
            }
            for p in periods
        ],
        "rooms": [{"id": key, "capacity": room.capacity} for key, room in rooms.items()],
        "tracks": sorted({talk.track.slug for talk in talks.values() if talk.track}),
        "speakers": speakers,
        "talks": problem_talks,
        "attendees": interests,
        "objective_weights": {
            "audience_conflict": 1,
            "speaker_pref_violation": 10,
            "same_track_parallel": 0,
        },
    }
    basis = {
        "periods": problem["periods"],
        "rooms": sorted(rooms),
        "talks": sorted((t["id"], t["speakers"]) for t in problem_talks),
        "pinned": sorted(pinned.items()),
        # Where each talk is now: a date changed by hand after the draft was built is not
        # silently undone by applying it.
        "dates": sorted(
            (guid, f"{date.start:%Y-%m-%dT%H:%M}", f"{date.end:%H:%M}", date.room_id or 0)
            for guid, talk in talks.items()
            if (date := dates.get(talk.session_id)) is not None
        ),
    }
    fingerprint = hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()
    return Inputs(
        problem=problem,
        names=names,
        fingerprint=fingerprint,
        periods=periods,
        rooms=rooms,
        talks=talks,
        dates=dates,
        previous=previous,
        pinned=pinned,
        stars=dict(stars),
        warnings=warnings,
    )


def _named(text: str, names: dict[str, str]) -> str:
    return ID.sub(lambda match: names.get(match.group(0), match.group(0)), text)


# Building, editing, applying -----------------------------------------------------------------


def programme_build(
    *, actor: Person, conference: Conference, time_limit: float | None = None
) -> ProgrammeDraft:
    """Solve the conference's programme into a new draft, or a DomainError that says why not:
    nothing to place, no grid, or the hard constraint that cannot hold and its talks."""
    _check_actor(actor)
    inputs = programme_inputs(conference=conference)
    if not inputs.talks:
        raise DomainError("There is no talk to place: add talks to the conference first.")
    if not inputs.periods:
        raise DomainError("Give the periods' start times first.", field="slot_times")
    if not inputs.rooms:
        raise DomainError("Choose the conference's rooms first.", field="rooms")
    limit = settings.KNOWFLOW_PROGRAMME_TIME_LIMIT_SECONDS if time_limit is None else time_limit
    try:
        problem = conference_from_json(inputs.problem)
        result = programme_solve(
            problem,
            time_limit=limit,
            pinned=dict(inputs.pinned) or None,
            previous=dict(inputs.previous) or None,
        )
    except ProgrammeInfeasible as error:
        talks = ", ".join(inputs.names.get(t, t) for t in error.talks[:12])
        more = f" and {len(error.talks) - 12} more" if len(error.talks) > 12 else ""
        raise DomainError(
            f"No programme is possible: “{error.constraint}” cannot hold for {talks}{more}. "
            f"{_named(error.detail, inputs.names)[:1].upper()}"
            f"{_named(error.detail, inputs.names)[1:]}."
        ) from None
    except ProgrammeNotFound:
        raise DomainError(
            f"No programme was found in {limit:g} seconds (none was proven impossible either): "
            "try again, or with fewer pinned talks."
        ) from None
    except ProgrammeInputError as error:  # a conference the format cannot hold
        raise DomainError(f"This conference cannot be planned: {error}") from None
    return ProgrammeDraft.objects.create(
        conference=conference,
        created_by=actor,
        problem=inputs.problem,
        names=inputs.names,
        fingerprint=inputs.fingerprint,
        assignment={guid: [period, room] for guid, (period, room) in result.assignment.items()},
        previous={guid: list(at) for guid, at in inputs.previous.items()},
        status=result.status,
        bound=result.bound,
        seconds=round(result.seconds, 2),
    )


def _assignment(raw: dict[str, list[Any]]) -> dict[str, tuple[int, str]]:
    return {guid: (int(at[0]), str(at[1])) for guid, at in raw.items()}


def assignment_of(draft: ProgrammeDraft) -> dict[str, tuple[int, str]]:
    """The draft's programme: {talk guid: (period id, room id)}."""
    return _assignment(draft.assignment)


def draft_check(
    draft: ProgrammeDraft, assignment: dict[str, tuple[int, str]] | None = None
) -> ProgrammeCheck:
    """What the draft (or an edited version of it) is worth and what it breaks."""
    return programme_check(
        conference_from_json(draft.problem),
        assignment if assignment is not None else _assignment(draft.assignment),
        names=draft.names,
    )


@dataclass(frozen=True)
class MovePreview:
    """A hand move: the programme after it, its check, and what it costs against before."""

    assignment: dict[str, tuple[int, str]]
    before: ProgrammeCheck
    after: ProgrammeCheck
    swapped_with: str | None  # the talk that was in the target slot, now in the moved one's

    @property
    def cost(self) -> int:
        return self.after.objective - self.before.objective


def move_preview(*, draft: ProgrammeDraft, guid: str, period_id: int, room_id: str) -> MovePreview:
    """Moving a talk to (period, room); a talk already there takes the moved one's place."""
    assignment = _assignment(draft.assignment)
    if guid not in assignment:
        raise NotFound("There is no such talk in this draft.")
    periods = {p["id"] for p in draft.problem["periods"]}
    rooms = {r["id"] for r in draft.problem["rooms"]}
    if period_id not in periods or room_id not in rooms:
        raise DomainError("Choose a period and a room of the programme.", field="to")
    before = draft_check(draft, assignment)
    moved = dict(assignment)
    source = moved[guid]
    target = (period_id, room_id)
    other = next((g for g, at in moved.items() if at == target and g != guid), None)
    moved[guid] = target
    if other is not None:
        moved[other] = source
    return MovePreview(
        assignment=moved,
        before=before,
        after=draft_check(draft, moved),
        swapped_with=other,
    )


@transaction.atomic
def draft_move(
    *, actor: Person, draft: ProgrammeDraft, guid: str, period_id: int, room_id: str
) -> MovePreview:
    """Make a hand move in the draft; refused (with every hard constraint it breaks) when the
    programme after it is not a programme, and once the draft was applied."""
    _check_actor(actor)
    draft = ProgrammeDraft.objects.select_for_update().get(pk=draft.pk)
    if draft.applied_at is not None:
        raise Conflict("This draft was applied already: build a new one to change it.")
    preview = move_preview(draft=draft, guid=guid, period_id=period_id, room_id=room_id)
    if preview.after.violations:
        raise DomainError(
            "This move would break the programme: " + " ".join(preview.after.violations),
            field="to",
        )
    draft.assignment = {g: [p, r] for g, (p, r) in preview.assignment.items()}
    draft.edits += 1
    draft.save(update_fields=["assignment", "edits"])
    return preview


@transaction.atomic
def draft_apply(*, actor: Person, draft: ProgrammeDraft) -> int:
    """Write the draft to the talks' dates: each talk moved (its registrants told, through the
    events services) or given its first date; returns how many changed. Refused when the talks,
    rooms, periods or pins changed since the draft was built, or when a room is booked by
    another session then (nothing is written)."""
    _check_actor(actor)
    draft = ProgrammeDraft.objects.select_for_update().select_related("conference").get(pk=draft.pk)
    if draft.applied_at is not None:
        raise Conflict("This draft was applied already.")
    conference = Conference.objects.select_for_update().get(pk=draft.conference_id)
    inputs = programme_inputs(conference=conference)
    if inputs.fingerprint != draft.fingerprint:
        raise Conflict(
            "The talks, their dates, the rooms, periods or pins changed since this draft was "
            "built: build the programme again."
        )
    if draft_check(draft).violations:
        raise Conflict("This draft breaks the programme's rules: build it again.")
    periods = {p.id: p for p in inputs.periods}
    plan = {}
    for guid, (period_id, room_key) in _assignment(draft.assignment).items():
        talk = inputs.talks[guid]
        period, room = periods[period_id], inputs.rooms[room_key]
        # The talk starts with its period and lasts as long as its format (a lightning talk in
        # a 45-minute period ends early).
        end = period.start + timedelta(minutes=talk_minutes(conference, talk.session.format))
        date = inputs.dates.get(talk.session_id)
        if date is not None and (date.start, date.end, date.room_id) == (
            period.start,
            end,
            room.pk,
        ):
            continue
        plan[guid] = (talk, date, period.start, end, room)
    # Out of their rooms first, so two talks can swap: the booking check then sees only final
    # places. A date needs a room or a link, so a parked one holds a placeholder link for the
    # moment; each update below gives back the date's own.
    Occurrence.objects.filter(
        pk__in=[date.pk for _, date, _, _, _ in plan.values() if date is not None]
    ).update(room=None, online_url=PARKED)
    for talk, date, start, end, room in plan.values():
        if date is None:
            occurrence_create(
                session=talk.session,
                actor=actor,
                start=start,
                end=end,
                room=room,
                capacity=room.capacity,
            )
        else:
            capacity = date.capacity if date.online_url else min(date.capacity, room.capacity)
            occurrence_update(
                occurrence=date,
                actor=actor,
                start=start,
                end=end,
                room=room,
                online_url=date.online_url,
                capacity=capacity,
            )
    draft.applied_at = django_timezone.now()
    draft.save(update_fields=["applied_at"])
    return len(plan)


def draft_get(*, conference: Conference, pk: int) -> ProgrammeDraft:
    draft = ProgrammeDraft.objects.filter(conference=conference, pk=pk).first()
    if draft is None:
        raise NotFound("There is no such programme draft.")
    return draft
