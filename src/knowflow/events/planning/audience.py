"""The audience of a session to plan: who they are (a circle, an org unit, the people with a
skill, named people, and the speakers, who are required), and each one as the pure scheduler
sees them: IANA zone, weekly working hours, busy time and weight."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Q

from knowflow.accounts.models import OrgUnit, Person
from knowflow.accounts.selectors import org_unit_with_descendants
from knowflow.circles.models import Circle
from knowflow.events.models import Occurrence, Registration, Session
from knowflow.events.planning import PlanningError
from knowflow.scheduling.availability import Invitee, WorkingHours
from knowflow.topics.models import Topic

SPEAKER_WEIGHT = 3.0
AUDIENCE_WEIGHT = 1.0
MAX_AUDIENCE = 20_000

# Asian zones that belong to EMEA for planning purposes (the Middle East).
_MIDDLE_EAST = {
    "Asia/Dubai",
    "Asia/Riyadh",
    "Asia/Jerusalem",
    "Asia/Tehran",
    "Asia/Qatar",
    "Asia/Beirut",
}


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
    return AudienceSpec(
        circle=session.circle.slug if session.circle is not None else "", speakers=speakers
    )


def audience_by_office(*, spec: AudienceSpec) -> Counter[int]:
    """How many people of the audience work in each office, in one query (no rows loaded)."""
    rows = (
        Person.objects.filter(_audience_query(spec))
        .exclude(office__isnull=True)
        .values_list("pk", "office_id")
        .distinct()
    )
    return Counter(office_id for _, office_id in rows)


def from_scheduler(seconds: int) -> datetime:
    """A time of the scheduler (UTC seconds since the epoch) as an aware datetime."""
    return datetime.fromtimestamp(seconds, tz=UTC)
