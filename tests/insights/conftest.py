"""A small programme with hand-computed figures (see the comments for the arithmetic)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.events.models import Attendance, Occurrence, Registration, Session
from tests.factories import (
    make_circle,
    make_occurrence,
    make_office,
    make_person,
    make_session,
    org_unit,
)


@dataclass
class Programme:
    enabler: Person
    member: Person
    s1: Person
    s2: Person
    p1: Person
    p2: Person
    p3: Person
    p4: Person
    session1: Session
    session2: Session
    o1: Occurrence
    o2: Occurrence


def a_past_tuesday() -> datetime:
    day = (timezone.now() - timedelta(days=10)).date()
    while day.weekday() != 1:
        day -= timedelta(days=1)
    return datetime.combine(day, time.min, tzinfo=UTC)


@pytest.fixture
def programme(db: None) -> Programme:
    company = org_unit("Acme", kind="company")
    division = org_unit("Engineering", parent=company, kind="division")
    team_a, team_b = org_unit("Team A", parent=division), org_unit("Team B", parent=division)
    team_c, team_d = org_unit("Team C", parent=division), org_unit("Team D", parent=division)
    berlin, nyc = (
        make_office("Berlin", "Europe/Berlin"),
        make_office("New York", "America/New_York"),
    )
    eu, us = "Europe/Berlin", "America/New_York"
    enabler = make_person(role=Person.Role.ENABLER, name="Erin Enabler", tz=eu)
    member = make_person(name="Mo Member", tz=eu, org_unit=team_d)
    s1 = make_person(name="Sam Speaker", tz=eu, org_unit=team_a, office=berlin)
    s2 = make_person(name="Sue Speaker", tz=us, org_unit=team_b, office=nyc)
    p1 = make_person(name="Pat One", tz=eu, org_unit=team_b, office=berlin)
    p2 = make_person(name="Pat Two", tz=us, org_unit=team_b, office=nyc)
    p3 = make_person(name="Pat Three", tz=eu, org_unit=team_a, office=berlin)
    p4 = make_person(name="Pat Four", tz=us, org_unit=team_c, office=nyc)
    circle = make_circle(name="Testing Guild")
    tuesday = a_past_tuesday()
    session1 = make_session(
        title="Property-based testing",
        speakers=[s1],
        circle=circle,
        status=Session.Status.SCHEDULED,
    )
    session2 = make_session(
        title="Kubernetes operators", speakers=[s2], status=Session.Status.SCHEDULED
    )
    cancelled = make_session(title="Cancelled talk", speakers=[s2], status=Session.Status.CANCELLED)
    # O1 10:00–11:00 UTC: inside Berlin's 09–17, outside New York's. O2 15:00–16:30 UTC: the reverse.
    o1 = make_occurrence(session=session1, start=tuesday + timedelta(hours=10), minutes=60)
    o2 = make_occurrence(session=session2, start=tuesday + timedelta(hours=15), minutes=90)
    o3 = make_occurrence(session=cancelled, start=tuesday + timedelta(hours=12), minutes=60)
    make_occurrence(session=session1, start=timezone.now() + timedelta(days=5))
    for occurrence, person, mode in (
        (o1, p1, "room"),
        (o1, p2, "online"),
        (o1, p3, "recording"),
        (o2, p1, "online"),
        (o2, p4, "room"),
        (o3, p3, "room"),
    ):
        Attendance.objects.create(occurrence=occurrence, person=person, mode=mode)
    now = timezone.now()
    for occurrence, person in ((o1, p1), (o1, p2), (o2, p1), (o2, p4), (o2, p3), (o3, p3)):
        Registration.objects.create(
            occurrence=occurrence, person=person, status="going", requested_at=now
        )
    return Programme(enabler, member, s1, s2, p1, p2, p3, p4, session1, session2, o1, o2)
