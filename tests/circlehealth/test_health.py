"""A circle's health figures, computed by hand from dated rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowflow.circlehealth.health import circle_health, circles_health
from knowflow.circles.models import Circle, Membership
from knowflow.events.models import Attendance, Occurrence
from knowflow.library.models import Resource
from tests.factories import make_circle, make_occurrence, make_person, make_session, org_unit

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_health_counts_active_members_sessions_newcomers_and_reach() -> None:
    unit_a, unit_b = org_unit("Payments"), org_unit("Search")
    champion = make_person(name="Cam", tz="Europe/Berlin", org_unit=unit_a)
    attendee = make_person(name="Ann", tz="Asia/Tokyo", org_unit=unit_b)
    author = make_person(name="Aut", tz="Europe/Berlin", org_unit=unit_a)
    newcomer = make_person(name="New", tz="UTC")
    idle = make_person(name="Idle", tz="UTC")
    circle = make_circle(name="Data", champions=[champion])
    for person in (attendee, author, newcomer, idle):
        Membership.objects.create(circle=circle, person=person)
    Circle.objects.filter(pk=circle.pk).update(
        cadence="fortnightly", created_at=NOW - timedelta(days=400)
    )
    Membership.objects.filter(circle=circle).update(joined_at=NOW - timedelta(days=200))
    Membership.objects.filter(circle=circle, person=newcomer).update(
        joined_at=NOW - timedelta(days=10)
    )
    # Three dates held in the last 90 days (the champion spoke at one), one long ago, one
    # cancelled, one still to come.
    talk = make_session(circle=circle, speakers=[champion])
    recent = [make_occurrence(session=talk, start=NOW - timedelta(days=d)) for d in (5, 30, 60)]
    make_occurrence(session=make_session(circle=circle), start=NOW - timedelta(days=200))
    cancelled = make_occurrence(session=make_session(circle=circle), start=NOW - timedelta(days=3))
    Occurrence.objects.filter(pk=cancelled.pk).update(cancelled_at=NOW - timedelta(days=4))
    make_occurrence(session=make_session(circle=circle), start=NOW + timedelta(days=3))
    Occurrence.objects.filter(session__circle=circle).update(created_at=NOW - timedelta(days=100))
    Attendance.objects.create(occurrence=recent[1], person=attendee, mode="room")
    resource = Resource.objects.create(kind="note", title="Notes", slug="notes", circle=circle)
    resource.authors.set([author])
    Resource.objects.filter(pk=resource.pk).update(created_at=NOW - timedelta(days=20))

    health = circle_health(circle=Circle.objects.get(pk=circle.pk), now=NOW)

    assert (health.member_count, health.active_members) == (5, 3)
    assert (health.sessions_held, health.sessions_recent, health.sessions_per_month) == (4, 3, 1.0)
    assert (health.target_per_month, health.meets_cadence) == (2.0, False)
    assert (health.newcomers, health.org_units, health.time_zones) == (1, 2, 3)
    assert health.last_activity == NOW - timedelta(days=5) + timedelta(minutes=60)
    assert health.days_since_activity(NOW) == 4


def test_health_of_a_new_empty_circle_dates_from_its_start() -> None:
    circle = make_circle(name="Empty")
    Circle.objects.filter(pk=circle.pk).update(started_at=NOW - timedelta(days=2))

    health = circle_health(circle=Circle.objects.get(pk=circle.pk), now=NOW)

    assert (health.member_count, health.active_members, health.sessions_per_month) == (0, 0, 0.0)
    assert health.days_since_activity(NOW) == 2


def test_health_of_many_circles_takes_a_fixed_number_of_queries() -> None:
    circles = []
    for n in range(6):
        circle = make_circle(champions=[make_person()])
        make_occurrence(session=make_session(circle=circle), start=NOW - timedelta(days=n + 1))
        circles.append(circle)

    with CaptureQueriesContext(connection) as few:
        circles_health(circles=circles[:1], now=NOW)
    with CaptureQueriesContext(connection) as many:
        result = circles_health(circles=circles, now=NOW)

    assert len(many) == len(few) == 6
    assert sorted(result) == sorted(c.pk for c in circles)
