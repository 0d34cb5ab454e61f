"""Test data for the digest: a person, a circle of theirs, a date added in their week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from knowflow.accounts.models import Person
from knowflow.circles.models import Circle, Membership
from knowflow.events.models import Occurrence, Session
from tests.factories import make_circle, make_occurrence, make_session

# Monday 7 December 2026; the Thursday before is when the test data is written.
MONDAY = datetime(2026, 12, 7, tzinfo=UTC)
THURSDAY_BEFORE = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
BASE_URL = "https://learn.example.org"


def at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def join(person: Person, circle: Circle) -> None:
    Membership.objects.create(circle=circle, person=person)


def scheduled_date(
    *, circle: Circle | None = None, start: datetime, title: str | None = None, topics: list = ()
) -> Occurrence:
    session = make_session(circle=circle, title=title, status=Session.Status.SCHEDULED)
    if topics:
        session.topics.set(topics)
    return make_occurrence(session=session, start=start)


def circle_with_new_date(person: Person, *, start: datetime, title: str) -> Occurrence:
    """A circle `person` belongs to, whose session got a date on the Thursday before."""
    circle = make_circle()
    join(person, circle)
    with at(THURSDAY_BEFORE):
        return scheduled_date(circle=circle, start=start, title=title)


def wednesday_at(hour: int) -> datetime:
    return MONDAY + timedelta(days=2, hours=hour)
