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

``circles_health`` computes it for many circles in six queries, whatever the number of circles,
for the list page and the lifecycle pass alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Q

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
    """The health of each circle, by id (see the module docstring for what each figure is).

    Six queries whatever the number of circles. The dates are counted by the database (a
    circle of the large demo has hundreds); contributors come as distinct (circle, person)
    pairs. Correlated EXISTS probes per membership measured twice as slow on the small demo."""
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

    # Contributed in the window: attended or gave one of the circle's dates, or authored one
    # of its resources; each (circle, person) pair once (DISTINCT), counted for members only.
    contributors: dict[int, set[int]] = defaultdict(set)
    attended = Attendance.objects.filter(
        occurrence__session__circle_id__in=ids,
        occurrence__cancelled_at__isnull=True,
        occurrence__start__gte=recent,
        occurrence__start__lte=now,
    ).values_list("occurrence__session__circle_id", "person_id")
    spoke = Session.speakers.through.objects.filter(
        session__circle_id__in=ids,
        session__occurrences__cancelled_at__isnull=True,
        session__occurrences__start__gte=recent,
        session__occurrences__start__lte=now,
    ).values_list("session__circle_id", "person_id")
    authored = Resource.authors.through.objects.filter(
        resource__circle_id__in=ids, resource__created_at__gte=recent
    ).values_list("resource__circle_id", "person_id")
    for rows in (attended, spoke, authored):
        for circle_id, person_id in rows.distinct():
            contributors[circle_id].add(person_id)

    held = Q(end__lte=now)
    sessions: dict[int, Mapping[str, Any]] = {
        row["session__circle_id"]: row
        for row in Occurrence.objects.filter(session__circle_id__in=ids, cancelled_at__isnull=True)
        .exclude(session__status=Session.Status.CANCELLED)
        .values("session__circle_id")
        .annotate(
            held=Count("id", filter=held),
            recent=Count("id", filter=held & Q(end__gte=recent)),
            last_held=Max("end", filter=held),
            last_planned=Max("created_at", filter=Q(created_at__lte=now)),
        )
    }
    last_resource = dict(
        Resource.objects.filter(circle_id__in=ids, created_at__lte=now)
        .values("circle_id")
        .annotate(latest=Max("created_at"))
        .values_list("circle_id", "latest")
    )

    health: dict[int, CircleHealth] = {}
    for circle_id, circle in by_id.items():
        dated = sessions.get(circle_id, {})
        last = _latest(
            circle.started_at or circle.created_at,
            last_join.get(circle_id),
            dated.get("last_held"),
            dated.get("last_planned"),
            last_resource.get(circle_id),
        )
        health[circle_id] = CircleHealth(
            member_count=len(members[circle_id]),
            active_members=len(members[circle_id] & contributors[circle_id]),
            sessions_held=dated.get("held", 0),
            sessions_recent=dated.get("recent", 0),
            target_per_month=round(circle.sessions_per_month, 2),
            newcomers=newcomers[circle_id],
            org_units=len(units[circle_id]),
            time_zones=len(zones[circle_id]),
            last_activity=last or now,
        )
    return health


def circle_health(*, circle: Circle, now: datetime) -> CircleHealth:
    return circles_health(circles=[circle], now=now)[circle.pk]
