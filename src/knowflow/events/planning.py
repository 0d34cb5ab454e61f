"""Find a time that works for a real audience: the bridge from people to the pure scheduler.

The audience (a circle, an org unit, the people with a skill, named people, and the speakers,
who are required) becomes a list of ``scheduling.Invitee``: their IANA zone, their weekly
working hours, their busy time (occurrences they are going to or speak at inside the window)
and a weight (3 for a speaker, 1 for the audience). Everything else — exact coverage, repeats,
the fair rotation, the explanations — is computed by ``knowflow.scheduling``.

Everything an organiser reads is in their own zone: the series' first date is the local date
they chose (DST-correct, not the UTC date of their midnight), the proposals are spread one per
local day, and nothing is proposed before the lead time (``KNOWFLOW_PLANNING_LEAD_WORKING_DAYS``
working days). Speakers are required in the series too. Who is busy or off, and why, is shown
only to those ``events.permissions.can_see_availability_of`` allows; others see counts.

A request must answer well inside the web server's timeout whatever the audience and series
asked for, so the solvers share one time budget (``KNOWFLOW_PLANNING_TIME_BUDGET_SECONDS``);
a plan that the budget stopped before a proof is shown as the best found, not as the best.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from knowflow.accounts.models import OrgUnit, Person
from knowflow.accounts.selectors import org_unit_with_descendants
from knowflow.circles.models import Circle
from knowflow.errors import DomainError
from knowflow.events.models import Occurrence, Registration, Room, Session
from knowflow.events.permissions import can_see_availability_of
from knowflow.events.services import occurrence_create
from knowflow.scheduling.availability import (
    Availability,
    Invitee,
    SchedulingInputError,
    WorkingHours,
    availability_build,
    candidate_grid,
    working_hours_matrix,
)
from knowflow.scheduling.coverage import SlotProposal, best_slots, follow_the_sun
from knowflow.scheduling.explain import explain_start
from knowflow.scheduling.series import SeriesPlan, series_tradeoff
from knowflow.topics.models import Topic

SPEAKER_WEIGHT = 3.0
AUDIENCE_WEIGHT = 1.0
MAX_WINDOW_DAYS = 62
MAX_AUDIENCE = 20_000
# Points of the fairness/attendance curve shown to the organiser: how much mean attendance
# (as a share of the best achievable) they give up for fairness; 1.0 is the fairest plan.
SERIES_TOLERANCES = (0.0, 0.1, 0.2, 0.3, 1.0)
# Of the time budget, the share the repeat plans may use when a series is also asked for; the
# series (a trade-off curve of several plans over up to 52 dates) gets the rest.
REPEATS_BUDGET_SHARE = 0.3
LABELS = ("region", "office", "org_unit")
# The length a format usually takes, for the find-a-time form's default duration.
FORMAT_DURATION_MIN = {
    Session.Format.TALK: 45,
    Session.Format.WORKSHOP: 120,
    Session.Format.LIGHTNING: 10,
    Session.Format.DEMO: 30,
    Session.Format.PANEL: 60,
    Session.Format.AMA: 45,
    Session.Format.COURSE_MODULE: 90,
}
DEFAULT_DURATION_MIN = 60
WORKDAYS = frozenset(range(5))  # Monday to Friday


def duration_for_format(fmt: str) -> int:
    """The default length of a session of this format, in minutes."""
    return FORMAT_DURATION_MIN.get(fmt, DEFAULT_DURATION_MIN)


def earliest_start(*, now: datetime, zone: ZoneInfo, working_days: int) -> datetime:
    """The start of the local day ``working_days`` working days after today, in UTC.

    Counted in the organiser's zone, skipping Saturdays and Sundays: on a Thursday with two
    working days that is Monday 00:00; on a Monday, Wednesday 00:00.
    """
    day = now.astimezone(zone).date()
    left = working_days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() in WORKDAYS:
            left -= 1
    return datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)


# Asian zones that belong to EMEA for planning purposes (the Middle East).
_MIDDLE_EAST = {
    "Asia/Dubai",
    "Asia/Riyadh",
    "Asia/Jerusalem",
    "Asia/Tehran",
    "Asia/Qatar",
    "Asia/Beirut",
}


class PlanningError(DomainError):
    pass


def region_of(zone_name: str) -> str:
    """A coarse region for burden and explanations: EMEA, AMER, APAC or OTHER."""
    area = zone_name.split("/", 1)[0]
    if area in {"Europe", "Africa"}:
        return "EMEA"
    if area == "America":
        return "AMER"
    if zone_name in _MIDDLE_EAST:
        return "EMEA"
    if area in {"Asia", "Australia", "Pacific"}:
        return "APAC"
    return "OTHER"


@dataclass(frozen=True)
class AudienceSpec:
    circle: str = ""  # circle slug
    org_unit: str = ""  # org unit slug (with the units below it)
    topic: str = ""  # topic slug: the people with that skill
    people: tuple[int, ...] = ()
    speakers: tuple[int, ...] = ()


@dataclass
class Audience:
    people: list[Person]
    speaker_ids: set[int]

    def label_of(self, person: Person, label_by: str) -> str:
        if label_by == "office":
            return person.office.name if person.office else "No office"
        if label_by == "org_unit":
            return person.org_unit.name if person.org_unit else "No org unit"
        return region_of(person.timezone)


def _audience_query(spec: AudienceSpec) -> Q:
    query = Q(pk__in=list(spec.people) + list(spec.speakers))
    if spec.circle:
        circle = Circle.objects.filter(slug=spec.circle).first()
        if circle is None:
            raise PlanningError(f"There is no circle '{spec.circle}'.", field="circle")
        query |= Q(memberships__circle=circle)
    if spec.org_unit:
        unit = OrgUnit.objects.filter(slug=spec.org_unit).first()
        if unit is None:
            raise PlanningError(f"There is no org unit '{spec.org_unit}'.", field="org_unit")
        query |= Q(org_unit_id__in=org_unit_with_descendants(unit))
    if spec.topic:
        topic = Topic.objects.filter(slug=spec.topic).first()
        if topic is None:
            raise PlanningError(f"There is no topic '{spec.topic}'.", field="topic")
        query |= Q(skills=topic)
    return query


def audience_resolve(*, spec: AudienceSpec) -> Audience:
    """The people of the audience (speakers included), each once, with office and unit."""
    people = list(
        Person.objects.filter(_audience_query(spec))
        .select_related("office", "org_unit")
        .distinct()
        .order_by("id")
    )
    if not people:
        raise PlanningError(
            "The audience is empty: choose a circle, an org unit, a topic or people.",
            field="audience",
        )
    if len(people) > MAX_AUDIENCE:
        raise PlanningError(
            f"The audience has {len(people)} people; the limit is {MAX_AUDIENCE}.", field="audience"
        )
    return Audience(people=people, speaker_ids=set(spec.speakers))


def _hours_for_scheduler(person: Person) -> WorkingHours:
    windows = {}
    for weekday, window in enumerate(person.hours.days):
        if window is not None:
            windows[weekday] = (
                window.start.hour * 60 + window.start.minute,
                window.end.hour * 60 + window.end.minute,
            )
    return WorkingHours(windows=windows)


def _busy_by_person(
    people: list[Person], start: datetime, end: datetime
) -> dict[int, list[tuple[int, int]]]:
    """Occurrences each person is going to, or speaks at, inside the window (UTC seconds)."""
    ids = [p.pk for p in people]
    busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
    going = Registration.objects.filter(
        person_id__in=ids,
        status=Registration.Status.GOING,
        occurrence__start__lt=end,
        occurrence__end__gt=start,
    ).values_list("person_id", "occurrence__start", "occurrence__end")
    speaking = Occurrence.objects.filter(
        session__speakers__in=ids, start__lt=end, end__gt=start
    ).values_list("session__speakers", "start", "end")
    for person_id, o_start, o_end in [*going, *speaking]:
        busy[person_id].append((int(o_start.timestamp()), int(o_end.timestamp())))
    return busy


def invitees_for(
    audience: Audience, *, label_by: str, start: datetime, end: datetime
) -> list[Invitee]:
    busy = _busy_by_person(audience.people, start, end)
    return [
        Invitee(
            id=str(person.pk),
            tz=person.timezone,
            hours=_hours_for_scheduler(person),
            weight=SPEAKER_WEIGHT if person.pk in audience.speaker_ids else AUDIENCE_WEIGHT,
            busy=tuple(sorted(busy.get(person.pk, ()))),
            required=person.pk in audience.speaker_ids,
            label=audience.label_of(person, label_by),
        )
        for person in audience.people
    ]


@dataclass
class LabelLine:
    label: str
    inside: int
    total: int
    # Names with their local start ("Ana (Tue 07:30 America/New_York)"), only of the people
    # the viewer may see (can_see_availability_of); the counts are of everyone.
    early: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)
    off: list[str] = field(default_factory=list)
    early_count: int = 0
    late_count: int = 0
    off_count: int = 0


@dataclass
class Proposal:
    start: datetime
    end: datetime
    covered_weight: float
    covered_people: int
    share: float
    explanation: list[LabelLine]
    room: Room | None = None


@dataclass
class RepeatOption:
    k: int
    starts: list[datetime]
    covered_weight: float
    share: float
    optimal: bool
    added_by_label: list[tuple[str, list[int]]]  # label → people newly covered by each start


@dataclass
class HeatCell:
    day: int
    hour: int
    share: float
    label: str


@dataclass(frozen=True)
class TradeoffPoint:
    """One point of the fairness/attendance curve for a series."""

    tolerance: float
    mean_attendance: float
    max_burden: float
    optimal: bool = True  # False: the best found within the time budget
    starts: tuple[int, ...] = ()
    shown: bool = False  # the plan shown below the curve

    @property
    def fairest(self) -> bool:
        return self.tolerance >= 1.0

    @property
    def label(self) -> str:
        if self.fairest:
            return "fairest"
        return f"keep ≥ {round(100 - self.tolerance * 100)}% of the best attendance"

    @property
    def param(self) -> str:
        return "" if self.fairest else f"{self.tolerance:g}"


@dataclass
class TimeFinding:
    audience_size: int
    total_weight: float
    duration_min: int
    proposals: list[Proposal]
    repeats: list[RepeatOption]
    heatmap_days: list[str]
    heatmap: list[HeatCell]
    heat_zone: str
    series: SeriesPlan | None = None
    series_zone_starts: list[datetime] = field(default_factory=list)
    series_tradeoff: list[TradeoffPoint] = field(default_factory=list)
    series_tolerance: float | None = None
    # True when every point of the curve gave the same figures: one row is shown, and why.
    series_tradeoff_forced: bool = False
    # Dates where no start suits every speaker, and who is then outside their hours.
    series_notes: list[str] = field(default_factory=list)
    series_first_date: date | None = None
    plan_zone: str = "UTC"
    earliest: datetime | None = None  # the lead time: nothing is proposed before it
    names_hidden: bool = False  # the viewer sees counts, not who is busy or off
    time_budget: float = 0.0  # seconds the solvers were allowed

    @property
    def time_budget_text(self) -> str:
        return f"{self.time_budget:g}"

    @property
    def proven(self) -> bool:
        """Whether every plan shown is proven best (not only the best found in the budget)."""
        return all(r.optimal for r in self.repeats) and (self.series is None or self.series.optimal)


def _check_window(*, start: datetime, end: datetime, duration_min: int, step_min: int) -> None:
    if duration_min <= 0:
        raise PlanningError("The duration must be at least one minute.", field="duration")
    if duration_min > 8 * 60:
        raise PlanningError(
            "A session longer than eight hours cannot be placed in a working day.", field="duration"
        )
    if step_min not in (15, 30, 60):
        raise PlanningError("The step must be 15, 30 or 60 minutes.", field="step")
    if end <= start:
        raise PlanningError("The window must end after it starts.", field="window_end")
    if (end - start) < timedelta(minutes=duration_min):
        raise PlanningError("The window is shorter than the session.", field="window_end")
    if (end - start) > timedelta(days=MAX_WINDOW_DAYS):
        raise PlanningError(
            f"The window can span at most {MAX_WINDOW_DAYS} days.", field="window_end"
        )


def _names(audience: Audience) -> dict[str, str]:
    return {str(p.pk): p.display_name for p in audience.people}


def _scheduling_error(error: SchedulingInputError, audience: Audience) -> PlanningError:
    """The scheduler names invitees by id; the organiser wants names."""
    message = str(error)
    for pid, name in _names(audience).items():
        message = message.replace(f"'{pid}'", name)
    message = message.replace("required invitee", "the speaker")
    return PlanningError(message[0].upper() + message[1:] + ".", field="speakers")


def _explanation(
    availability: Availability, candidate: int, names: dict[str, str], visible: set[str] | None
) -> list[LabelLine]:
    """Per group: how many are inside, early, late, off or busy; names only of ``visible``.

    ``visible`` None means everyone may be named (an enabler's view).
    """

    def named(situations: list, why: bool = False) -> list[str]:
        # The reason (a day off, or busy at another session) is as private as the name.
        return [
            f"{names[s.invitee_id]} ({s.local_start}"
            + (", day off)" if why and s.status == "day_off" else ", busy)" if why else ")")
            for s in situations
            if visible is None or s.invitee_id in visible
        ]

    lines = []
    for label, group in explain_start(availability, candidate).items():
        early, late = group.by_status("early"), group.by_status("late")
        off = group.by_status("day_off") + group.by_status("busy")
        lines.append(
            LabelLine(
                label=label,
                inside=len(group.by_status("inside")),
                total=len(group.situations),
                early=named(early),
                late=named(late),
                off=named(off, why=True),
                early_count=len(early),
                late_count=len(late),
                off_count=len(off),
            )
        )
    return lines


def _spread_proposals(
    ranked: list[SlotProposal], *, count: int, zone: ZoneInfo, separation_s: int
) -> list[SlotProposal]:
    """The best ``count`` starts, spread over local days and hours.

    The ranking alone gives the same hour on consecutive days (a good hour is good every
    day), which offers no real choice. So, best first, in the organiser's zone: at most one
    start a day and never the same hour as a neighbouring day's proposal; then, if the window
    is too short for that, one a day at any hour; then other hours on days already used
    (``separation_s`` apart).
    """

    def local(slot: SlotProposal) -> datetime:
        return _utc(slot.start).astimezone(zone)

    chosen: list[SlotProposal] = []

    def take(fits: Callable[[datetime, list[datetime]], bool]) -> None:
        for slot in ranked:
            if len(chosen) == count:
                return
            # Never two proposals that overlap (23:30 and 00:00 are on two days).
            apart = all(abs(slot.start - c.start) >= separation_s for c in chosen)
            if apart and slot not in chosen and fits(local(slot), [local(c) for c in chosen]):
                chosen.append(slot)

    def new_day_new_neighbour_hour(moment: datetime, taken: list[datetime]) -> bool:
        return all(
            t.date() != moment.date()
            and not (t.hour == moment.hour and abs((t.date() - moment.date()).days) == 1)
            for t in taken
        )

    def new_day(moment: datetime, taken: list[datetime]) -> bool:
        return all(t.date() != moment.date() for t in taken)

    def new_hour(moment: datetime, taken: list[datetime]) -> bool:
        return all(t.hour != moment.hour for t in taken)

    for rule in (new_day_new_neighbour_hour, new_day, new_hour):
        take(rule)
    chosen.sort(key=lambda slot: ranked.index(slot))
    return chosen


def _tradeoff_rows(
    curve: dict[float, SeriesPlan], shown: SeriesPlan
) -> tuple[list[TradeoffPoint], bool]:
    """The distinct points of the curve, and whether the data forced them all to one.

    Points whose figures read the same (to the tenth of a percent) are one choice for the
    organiser, so only the first (the one keeping the most attendance) is listed.
    """
    rows: list[TradeoffPoint] = []
    seen: set[tuple[float, float]] = set()
    for tolerance in SERIES_TOLERANCES:
        plan = curve[tolerance]
        key = (round(plan.mean_attendance, 3), round(plan.max_burden, 3))
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            TradeoffPoint(
                tolerance=tolerance,
                mean_attendance=plan.mean_attendance,
                max_burden=plan.max_burden,
                optimal=plan.optimal,
                starts=plan.starts,
                shown=key == (round(shown.mean_attendance, 3), round(shown.max_burden, 3)),
            )
        )
    return rows, len(rows) == 1


def _speaker_notes(
    plan: SeriesPlan,
    invitees: list[Invitee],
    names: dict[str, str],
    duration_min: int,
    zone: ZoneInfo,
) -> list[str]:
    """For each date of the plan where a speaker is outside their working hours: who, when."""
    required = [invitee for invitee in invitees if invitee.required]
    if not required:
        return []
    starts = np.asarray(plan.starts, dtype=np.int64)
    inside = working_hours_matrix(required, starts, duration_min * 60)  # [date, speaker]
    notes = []
    for index, start in enumerate(plan.starts):
        outside = [required[i] for i in np.flatnonzero(~inside[index])]
        if not outside:
            continue
        local = _utc(start).astimezone(zone)
        who = ", ".join(
            f"{names[i.id]} ({_utc(start).astimezone(ZoneInfo(i.tz)):%a %H:%M} {i.tz})"
            for i in outside
        )
        notes.append(
            f"{local:%a %d %b %Y}: no time that day is inside the working hours of every "
            f"speaker; outside their hours: {who}."
        )
    return notes


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _heatmap(
    availability: Availability, zone: ZoneInfo, step_min: int
) -> tuple[list[str], list[HeatCell]]:
    """Share of the audience weight covered for a start at each local hour of each day."""
    total = float(availability.weights.sum())
    columns, weights = availability.coverage_types()
    scores = (
        columns.astype(np.float64) @ weights if columns.size else np.zeros(availability.grid.count)
    )
    days: list[date] = []
    best: dict[tuple[date, int], float] = {}
    for candidate, start in enumerate(availability.starts):
        local = _utc(int(start)).astimezone(zone)
        key = (local.date(), local.hour)
        if local.date() not in days:
            days.append(local.date())
        best[key] = max(best.get(key, 0.0), float(scores[candidate]) / total)
    cells = [
        HeatCell(
            day=days.index(day),
            hour=hour,
            share=share,
            label=f"{day:%a %d %b} {hour:02d}:00 — {share:.0%}",
        )
        for (day, hour), share in best.items()
    ]
    return [f"{day:%a %d %b}" for day in days], cells


@dataclass(frozen=True)
class RoomOption:
    """One room at a given time, and whether (and why) it suits the expected audience."""

    room: Room
    audience_here: int  # people of the expected audience who work in the room's office
    seats_needed: int
    clash: Occurrence | None = None  # the booking that holds the room then, if any
    suggested: bool = False

    @property
    def free(self) -> bool:
        return self.clash is None

    @property
    def large_enough(self) -> bool:
        return self.room.capacity >= self.seats_needed

    @property
    def offered(self) -> bool:
        return self.free and self.large_enough


def _seats_needed(*, audience_here: int, capacity: int | None, online: bool) -> int:
    if capacity is None:  # no capacity chosen yet (find a time): whoever works there
        return audience_here
    # Without an online link the room is the only way in: every place needs a seat.
    return min(audience_here, capacity) if online else capacity


def room_options(
    *,
    audience_by_office: Mapping[int, int],
    start: datetime,
    end: datetime,
    capacity: int | None = None,
    online: bool = True,
    exclude: Occurrence | None = None,
    rooms: list[Room] | None = None,
) -> list[RoomOption]:
    """Every room for [start, end), the ones to offer first, best first.

    A room is offered when no live occurrence holds it then (the rule `occurrence_create`
    enforces) and it seats the expected in-room audience: the people of the audience who work
    in its office, at most ``capacity``; everyone (``capacity``) when there is no online link,
    since then the room is the only way in. Offered rooms come in the office where most of the
    audience works first, then the smallest that fits (the large rooms stay free for large
    audiences). The first offered room in an office where someone of the audience works is
    the suggested one. ``exclude`` is the occurrence being moved: it does not clash with itself.
    Two queries (rooms, bookings), or one when ``rooms`` is given.
    """
    if rooms is None:
        rooms = list(Room.objects.select_related("office"))
    bookings = Occurrence.objects.filter(
        room__isnull=False, start__lt=end, end__gt=start, cancelled_at__isnull=True
    )
    if exclude is not None and exclude.pk is not None:
        bookings = bookings.exclude(pk=exclude.pk)
    clashes: dict[int, Occurrence] = {}
    for booking in bookings.select_related("session").order_by("start", "id"):
        clashes.setdefault(booking.room_id, booking)
    options = []
    for room in rooms:
        here = audience_by_office.get(room.office_id, 0)
        options.append(
            RoomOption(
                room=room,
                audience_here=here,
                seats_needed=_seats_needed(audience_here=here, capacity=capacity, online=online),
                clash=clashes.get(room.pk),
            )
        )
    offered = sorted(
        (o for o in options if o.offered),
        key=lambda o: (-o.audience_here, o.room.capacity, o.room.office.name, o.room.name),
    )
    refused = sorted(
        (o for o in options if not o.offered),
        key=lambda o: (-o.audience_here, o.room.office.name, o.room.name),
    )
    if offered and offered[0].audience_here > 0:
        offered[0] = replace(offered[0], suggested=True)
    return offered + refused


def _suggest_room(
    audience: Audience, start: datetime, end: datetime, rooms: list[Room] | None = None
) -> Room | None:
    """A free room, big enough, in the office where most of the audience works."""
    offices = Counter(p.office_id for p in audience.people if p.office_id)
    if not offices:
        return None
    options = room_options(audience_by_office=offices, start=start, end=end, rooms=rooms)
    return next((option.room for option in options if option.suggested), None)


def session_audience_spec(
    *, session: Session, occurrence: Occurrence | None = None
) -> AudienceSpec:
    """The audience expected at a date of the session, for choosing its room.

    The people registered for that date (going or waiting) once anyone is; before that, the
    audience *Find a time* starts from for the session (its circle's members). Its speakers
    always.
    """
    speakers = tuple(session.speakers.values_list("pk", flat=True))
    if occurrence is not None and occurrence.pk is not None:
        registered = tuple(
            occurrence.registrations.exclude(status=Registration.Status.CANCELLED).values_list(
                "person_id", flat=True
            )
        )
        if registered:
            return AudienceSpec(people=registered, speakers=speakers)
    return AudienceSpec(circle=session.circle.slug if session.circle_id else "", speakers=speakers)


def audience_by_office(*, spec: AudienceSpec) -> Counter[int]:
    """How many people of the audience work in each office, in one query (no rows loaded)."""
    rows = (
        Person.objects.filter(_audience_query(spec))
        .exclude(office__isnull=True)
        .values_list("pk", "office_id")
        .distinct()
    )
    return Counter(office_id for _, office_id in rows)


@dataclass
class RoomChoice:
    """The rooms for a date typed by hand: offered ones best first, then the others."""

    start: datetime
    end: datetime
    options: list[RoomOption]

    @property
    def offered(self) -> list[RoomOption]:
        return [option for option in self.options if option.offered]

    @property
    def refused(self) -> list[RoomOption]:
        return [option for option in self.options if not option.offered]

    @property
    def suggested(self) -> RoomOption | None:
        return next((option for option in self.options if option.suggested), None)

    def option_for(self, room: Room | None) -> RoomOption | None:
        if room is None:
            return None
        return next((option for option in self.options if option.room.pk == room.pk), None)


def room_choice_for_date(
    *,
    session: Session,
    start: datetime,
    end: datetime,
    capacity: int | None,
    online_url: str,
    occurrence: Occurrence | None = None,
) -> RoomChoice:
    """Which rooms suit a date of the session typed by hand (add a date, change a date).

    The same rule as the rooms *Find a time* suggests (`room_options`), for the session's
    expected audience (`session_audience_spec`). It only reads: `occurrence_create` and
    `occurrence_update` still refuse a taken room under the room's lock, since a room free now
    can be booked by someone else before the form is sent.
    """
    if end <= start:
        raise PlanningError("The end must be after the start.", field="end")
    counts = audience_by_office(spec=session_audience_spec(session=session, occurrence=occurrence))
    return RoomChoice(
        start=start,
        end=end,
        options=room_options(
            audience_by_office=counts,
            start=start,
            end=end,
            capacity=capacity,
            online=bool(online_url),
            exclude=occurrence,
        ),
    )


def time_find(
    *,
    spec: AudienceSpec,
    duration_min: int,
    window_start: datetime,
    window_end: datetime,
    step_min: int = 30,
    label_by: str = "region",
    heat_zone: str = "UTC",
    proposals: int = 5,
    repeat_ks: tuple[int, ...] = (2, 3),
    series_weeks: int = 0,
    series_step_days: int = 7,
    series_tolerance: float | None = None,
    time_budget: float | None = None,
    viewer: Person | None = None,
    plan_zone: str | None = None,
    now: datetime | None = None,
) -> TimeFinding:
    """Best times for the audience in the window: proposals, repeats, heat map, fair series.

    Raises ``PlanningError`` with a readable message for an empty audience, a window shorter
    than the session, an unknown zone, or a speaker who is never available (named). The repeat
    plans and the series share ``time_budget`` seconds (default: the setting
    ``KNOWFLOW_PLANNING_TIME_BUDGET_SECONDS``); a plan the budget stopped before a proof has
    ``optimal`` False, and ``TimeFinding.proven`` says whether all are proven best.

    ``plan_zone`` is the organiser's zone (default: ``heat_zone``): the series starts on the
    local date of ``window_start`` there, proposals are spread one per local day there, and
    nothing starts before the lead time counted there from ``now``. With a ``viewer``, names
    in the explanations are limited to the people ``can_see_availability_of`` allows.
    """
    budget = (
        float(settings.KNOWFLOW_PLANNING_TIME_BUDGET_SECONDS)
        if time_budget is None
        else time_budget
    )
    deadline = time.monotonic() + budget
    _check_window(start=window_start, end=window_end, duration_min=duration_min, step_min=step_min)
    if label_by not in LABELS:
        raise PlanningError("Group by region, office or org_unit.", field="label_by")
    if series_weeks and not 2 <= series_weeks <= 52:
        raise PlanningError("A series has between 2 and 52 dates.", field="series_weeks")
    if series_weeks and series_step_days not in (7, 14):
        raise PlanningError("A series repeats every 7 or 14 days.", field="series_step_days")
    try:
        zone = ZoneInfo(heat_zone)
    except (KeyError, ValueError) as error:
        raise PlanningError(f"'{heat_zone}' is not a known time zone.", field="tz") from error
    plan_zone = plan_zone or heat_zone
    try:
        organiser_zone = ZoneInfo(plan_zone)
    except (KeyError, ValueError) as error:
        raise PlanningError(f"'{plan_zone}' is not a known time zone.", field="tz") from error
    lead_days = settings.KNOWFLOW_PLANNING_LEAD_WORKING_DAYS
    earliest = earliest_start(
        now=now or timezone.now(), zone=organiser_zone, working_days=lead_days
    )
    # The first date the organiser chose, read in their zone: the UTC date of their local
    # midnight is the day before for everyone east of UTC.
    first_date = max(window_start, earliest).astimezone(organiser_zone).date()
    grid_start = max(window_start, earliest)
    if grid_start + timedelta(minutes=duration_min) > window_end:
        raise PlanningError(
            f"Nothing is proposed before {earliest.astimezone(organiser_zone):%a %d %b %Y} "
            f"({lead_days} working days from today, so people have notice): "
            "choose a window that ends later.",
            field="first_day",
        )
    audience = audience_resolve(spec=spec)
    invitees = invitees_for(audience, label_by=label_by, start=grid_start, end=window_end)
    names = _names(audience)
    visible = None
    if viewer is not None and not viewer.is_enabler:
        visible = {
            str(p.pk)
            for p in audience.people
            if can_see_availability_of(actor=viewer, person_id=p.pk)
        }
    try:
        grid = candidate_grid(
            window_start=grid_start,
            window_end=window_end,
            step_min=step_min,
            duration_min=duration_min,
        )
        availability = availability_build(invitees, grid)
        ranked = best_slots(availability, count=availability.grid.count)
        slots = _spread_proposals(
            ranked, count=proposals, zone=organiser_zone, separation_s=duration_min * 60
        )
        repeats = []
        repeats_deadline = time.monotonic() + (
            max(deadline - time.monotonic(), 0.0) * (REPEATS_BUDGET_SHARE if series_weeks else 1.0)
        )
        for index, k in enumerate(repeat_ks):
            left = max(repeats_deadline - time.monotonic(), 0.0)
            repeats.append(
                follow_the_sun(availability, k=k, time_limit=left / (len(repeat_ks) - index))
            )
    except SchedulingInputError as error:
        raise _scheduling_error(error, audience) from error
    total_weight = float(availability.weights.sum())
    duration = timedelta(minutes=duration_min)
    covers = availability.covers
    rooms = list(Room.objects.select_related("office"))
    proposal_list = []
    for slot in slots:
        start = _utc(slot.start)
        proposal_list.append(
            Proposal(
                start=start,
                end=start + duration,
                covered_weight=slot.covered_weight,
                covered_people=int(covers[slot.candidate].sum()),
                share=slot.covered_weight / total_weight,
                explanation=_explanation(availability, slot.candidate, names, visible),
                room=_suggest_room(audience, start, start + duration, rooms),
            )
        )
    labels = [invitee.label for invitee in invitees]
    label_names = sorted(set(labels))
    repeat_options = []
    for plan in repeats:
        seen = np.zeros(len(invitees), dtype=bool)
        added: dict[str, list[int]] = {label: [] for label in label_names}
        for candidate in plan.candidates:
            new = covers[candidate] & ~seen
            seen |= covers[candidate]
            for label in label_names:
                added[label].append(int(sum(1 for i in np.flatnonzero(new) if labels[i] == label)))
        repeat_options.append(
            RepeatOption(
                k=len(plan.starts),
                starts=[_utc(s) for s in plan.starts],
                covered_weight=plan.covered_weight,
                share=plan.covered_weight / total_weight,
                optimal=plan.optimal,
                added_by_label=list(added.items()),
            )
        )
    days, cells = _heatmap(availability, zone, step_min)
    finding = TimeFinding(
        audience_size=len(audience.people),
        total_weight=total_weight,
        duration_min=duration_min,
        proposals=proposal_list,
        repeats=repeat_options,
        heatmap_days=days,
        heatmap=cells,
        heat_zone=heat_zone,
        time_budget=budget,
        plan_zone=plan_zone,
        earliest=earliest,
        names_hidden=visible is not None,
    )
    if series_weeks:
        series_args = {
            "first_date": first_date,
            "zone": plan_zone,
            "required_inside": True,
            "weeks": series_weeks,
            "step_days": series_step_days,
            "granularity_min": step_min,
            "duration_min": duration_min,
        }
        tolerances = SERIES_TOLERANCES
        if series_tolerance is not None and series_tolerance not in tolerances:
            tolerances = (*tolerances, series_tolerance)
        try:
            curve = dict(
                series_tradeoff(
                    invitees,
                    tolerances=tolerances,
                    time_limit=max(deadline - time.monotonic(), 0.0),
                    **series_args,
                )
            )
        except SchedulingInputError as error:
            raise _scheduling_error(error, audience) from error
        finding.series = curve[1.0 if series_tolerance is None else series_tolerance]
        finding.series_tradeoff, finding.series_tradeoff_forced = _tradeoff_rows(
            curve, finding.series
        )
        finding.series_notes = _speaker_notes(
            finding.series, invitees, names, duration_min, organiser_zone
        )
        finding.series_first_date = first_date
        finding.series_tolerance = series_tolerance
        finding.series_zone_starts = [_utc(s) for s in finding.series.starts]
    return finding


def occurrences_create_from_plan(
    *,
    session: Session,
    actor: Person,
    starts: list[datetime],
    duration_min: int,
    capacity: int,
    online_url: str,
    room_ids: list[int | None],
) -> list[Occurrence]:
    """One click: create the chosen occurrence(s), all or nothing."""
    if not starts:
        raise PlanningError("Choose at least one time.", field="starts")
    now = timezone.now()
    for start in starts:
        if start <= now:
            raise PlanningError(f"{start:%Y-%m-%d %H:%M} UTC is in the past.", field="starts")
    rooms = {room.pk: room for room in Room.objects.filter(pk__in=[r for r in room_ids if r])}
    created = []
    with transaction.atomic():
        for start, room_id in zip(starts, room_ids, strict=True):
            created.append(
                occurrence_create(
                    session=session,
                    actor=actor,
                    start=start,
                    end=start + timedelta(minutes=duration_min),
                    room=rooms.get(room_id) if room_id else None,
                    online_url=online_url,
                    capacity=capacity,
                )
            )
    return created
