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

``circles_health`` computes it for many circles in three aggregate queries, whatever the number
of circles, for the list page and the lifecycle pass alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, Max, OuterRef, Q

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

    Three aggregate queries whatever the number of circles, members and sessions: the database
    counts (a circle of the large demo has a thousand members and hundreds of dates, which
    would otherwise all travel to Python on every view of the list)."""
    by_id = {circle.pk: circle for circle in circles}
    ids = list(by_id)
    if not ids:
        return {}
    recent = now - timedelta(days=ACTIVE_DAYS)
    newcomer_since = now - timedelta(days=NEWCOMER_DAYS)

    # Contributed in the window: attended or gave one of the circle's dates, or authored one
    # of its resources. Counted for current members only.
    attended = Attendance.objects.filter(
        person_id=OuterRef("person_id"),
        occurrence__session__circle_id=OuterRef("circle_id"),
        occurrence__cancelled_at__isnull=True,
        occurrence__start__gte=recent,
        occurrence__start__lte=now,
    )
    spoke = Occurrence.objects.filter(
        session__speakers=OuterRef("person_id"),
        session__circle_id=OuterRef("circle_id"),
        cancelled_at__isnull=True,
        start__gte=recent,
        start__lte=now,
    )
    authored = Resource.objects.filter(
        authors=OuterRef("person_id"), circle_id=OuterRef("circle_id"), created_at__gte=recent
    )
    people = {
        row["circle_id"]: row
        for row in Membership.objects.filter(circle_id__in=ids)
        .values("circle_id")
        .annotate(
            members=Count("id"),
            newcomers=Count("id", filter=Q(joined_at__gte=newcomer_since)),
            units=Count("person__org_unit_id", distinct=True),
            zones=Count("person__timezone", distinct=True),
            last_join=Max("joined_at", filter=Q(joined_at__lte=now)),
            active=Count("id", filter=Q(Exists(attended) | Exists(spoke) | Exists(authored))),
        )
    }
    held = Q(end__lte=now)
    sessions = {
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
        mine = people.get(circle_id, {})
        dated = sessions.get(circle_id, {})
        last = _latest(
            circle.started_at or circle.created_at,
            mine.get("last_join"),
            dated.get("last_held"),
            dated.get("last_planned"),
            last_resource.get(circle_id),
        )
        health[circle_id] = CircleHealth(
            member_count=mine.get("members", 0),
            active_members=mine.get("active", 0),
            sessions_held=dated.get("held", 0),
            sessions_recent=dated.get("recent", 0),
            target_per_month=round(circle.sessions_per_month, 2),
            newcomers=mine.get("newcomers", 0),
            org_units=mine.get("units", 0),
            time_zones=mine.get("zones", 0),
            last_activity=last or now,
        )
    return health


def circle_health(*, circle: Circle, now: datetime) -> CircleHealth:
    return circles_health(circles=[circle], now=now)[circle.pk]
