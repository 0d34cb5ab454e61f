"""How a circle is doing: active members, sessions against its cadence, newcomers, reach across
org units and time zones, and the time since anything happened.

Definitions (docs/circles.md repeats them for users):

- *active members*: current members who, in the last ``ACTIVE_DAYS`` days, attended one of
  the circle's sessions, gave one, or authored one of its resources;
- *sessions per month*: dates of the circle's sessions held (not cancelled) in the last
  ``ACTIVE_DAYS`` days, divided by three, against the cadence's sessions per month;
- *newcomers*: members who joined in the last ``NEWCOMER_DAYS`` days;
- *reach*: how many org units and time zones the members come from;
- *last activity*: the latest of a session held, a date scheduled, a member joining, a
  resource added, and the circle being started or revived.

``circles_health`` computes it for many circles in a fixed number of queries (six, whatever
the number of circles), for the list page and the lifecycle pass alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max

from knowflow.circles.models import Circle, Membership
from knowflow.events.models import Attendance, Occurrence, Session
from knowflow.library.models import Resource

ACTIVE_DAYS = 90
NEWCOMER_DAYS = 30


@dataclass(frozen=True)
class CircleHealth:
    member_count: int
    active_members: int
    sessions_held: int  # ever, not cancelled: whether the circle has held its first session
    sessions_recent: int  # in the last ACTIVE_DAYS days
    target_per_month: float
    newcomers: int
    org_units: int
    time_zones: int
    last_activity: datetime

    @property
    def sessions_per_month(self) -> float:
        return round(self.sessions_recent / (ACTIVE_DAYS / 30), 1)

    @property
    def meets_cadence(self) -> bool:
        return self.sessions_per_month >= self.target_per_month

    def days_since_activity(self, now: datetime) -> int:
        return max(0, (now - self.last_activity).days)


def _latest(*moments: datetime | None) -> datetime | None:
    present = [m for m in moments if m is not None]
    return max(present) if present else None


def circles_health(*, circles: Iterable[Circle], now: datetime) -> dict[int, CircleHealth]:
    """The health of each circle, by id (see the module docstring for what each figure is)."""
    by_id = {circle.pk: circle for circle in circles}
    ids = list(by_id)
    if not ids:
        return {}
    recent = now - timedelta(days=ACTIVE_DAYS)
    newcomer_since = now - timedelta(days=NEWCOMER_DAYS)

    members: dict[int, set[int]] = defaultdict(set)
    newcomers: dict[int, int] = defaultdict(int)
    units: dict[int, set[int]] = defaultdict(set)
    zones: dict[int, set[str]] = defaultdict(set)
    last_join: dict[int, datetime] = {}
    for circle_id, person_id, joined_at, unit_id, zone in Membership.objects.filter(
        circle_id__in=ids
    ).values_list("circle_id", "person_id", "joined_at", "person__org_unit_id", "person__timezone"):
        members[circle_id].add(person_id)
        if unit_id is not None:
            units[circle_id].add(unit_id)
        zones[circle_id].add(zone)
        if joined_at >= newcomer_since:
            newcomers[circle_id] += 1
        if joined_at <= now:
            last_join[circle_id] = max(joined_at, last_join.get(circle_id, joined_at))

    held: dict[int, int] = defaultdict(int)
    held_recent: dict[int, int] = defaultdict(int)
    last_session: dict[int, datetime] = {}
    occurrences = (
        Occurrence.objects.filter(session__circle_id__in=ids, cancelled_at__isnull=True)
        .exclude(session__status=Session.Status.CANCELLED)
        .values_list("session__circle_id", "end", "created_at")
    )
    for circle_id, end, created_at in occurrences:
        moments = [created_at] if created_at <= now else []
        if end <= now:
            held[circle_id] += 1
            moments.append(end)
            if end >= recent:
                held_recent[circle_id] += 1
        if moments:
            last_session[circle_id] = max([*moments, last_session.get(circle_id, moments[0])])

    contributors: dict[int, set[int]] = defaultdict(set)
    attended = Attendance.objects.filter(
        occurrence__session__circle_id__in=ids,
        occurrence__cancelled_at__isnull=True,
        occurrence__start__gte=recent,
        occurrence__start__lte=now,
    ).values_list("occurrence__session__circle_id", "person_id")
    speakers = Session.speakers.through.objects.filter(
        session__circle_id__in=ids,
        session__occurrences__cancelled_at__isnull=True,
        session__occurrences__start__gte=recent,
        session__occurrences__start__lte=now,
    ).values_list("session__circle_id", "person_id")
    authors = Resource.authors.through.objects.filter(
        resource__circle_id__in=ids, resource__created_at__gte=recent
    ).values_list("resource__circle_id", "person_id")
    for rows in (attended, speakers, authors):
        for circle_id, person_id in rows:
            contributors[circle_id].add(person_id)

    last_resource = dict(
        Resource.objects.filter(circle_id__in=ids, created_at__lte=now)
        .values("circle_id")
        .annotate(latest=Max("created_at"))
        .values_list("circle_id", "latest")
    )

    health: dict[int, CircleHealth] = {}
    for circle_id, circle in by_id.items():
        last = _latest(
            circle.started_at or circle.created_at,
            last_join.get(circle_id),
            last_session.get(circle_id),
            last_resource.get(circle_id),
        )
        health[circle_id] = CircleHealth(
            member_count=len(members[circle_id]),
            active_members=len(members[circle_id] & contributors[circle_id]),
            sessions_held=held[circle_id],
            sessions_recent=held_recent[circle_id],
            target_per_month=round(circle.sessions_per_month, 2),
            newcomers=newcomers[circle_id],
            org_units=len(units[circle_id]),
            time_zones=len(zones[circle_id]),
            last_activity=last or now,
        )
    return health


def circle_health(*, circle: Circle, now: datetime) -> CircleHealth:
    return circles_health(circles=[circle], now=now)[circle.pk]
