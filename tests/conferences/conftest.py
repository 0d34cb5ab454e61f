"""A conference to test with: three days in Berlin (Tue 4 – Thu 6 June 2030), two tracks, two
rooms and as many talks as a test asks for, each a real session with a real date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from knowflow.accounts.models import Person
from knowflow.conferences.models import Conference, ConferenceTalk, Track
from knowflow.conferences.services import conference_create, talk_add, track_create
from knowflow.events.models import Room, Session
from tests.factories import make_occurrence, make_office, make_person, make_room, make_session

# 10:00 in Berlin (CEST, UTC+2) on Tuesday 4 June 2030.
TUESDAY_10_BERLIN = datetime(2030, 6, 4, 8, 0, tzinfo=UTC)


@dataclass
class Built:
    enabler: Person
    conference: Conference
    tracks: list[Track]
    rooms: list[Room]
    talks: list[ConferenceTalk]


def build_conference(
    *,
    talks: int = 3,
    enabler: Person | None = None,
    slug: str = "devdays",
    name: str = "DevDays",
) -> Built:
    """`talks` talks of 45 minutes, hourly from 10:00 to 17:00 Berlin time in each of two rooms
    (so 16 a day), alternating rooms and tracks; every third one is hybrid."""
    enabler = enabler or make_person(role=Person.Role.ENABLER, name="Erin Enabler")
    conference = conference_create(
        actor=enabler,
        name=name,
        slug=slug,
        timezone="Europe/Berlin",
        starts_on=date(2030, 6, 4),
        ends_on=date(2030, 6, 6),
        description="Our yearly conference.",
    )
    tracks = [
        track_create(actor=enabler, conference=conference, name="Platform", colour="#1f5fbf"),
        track_create(actor=enabler, conference=conference, name="Data", colour="#b3261e"),
    ]
    office = make_office(name=f"Berlin office {slug}", tz="Europe/Berlin")
    rooms = [make_room(office=office, name="Hopper"), make_room(office=office, name="Lovelace")]
    made = []
    for n in range(talks):
        day, slot = divmod(n // 2, 8)
        start = TUESDAY_10_BERLIN + timedelta(days=day, hours=slot)
        session = make_session(
            title=f"Talk number {n + 1}",
            status=Session.Status.SCHEDULED,
            abstract=f"What talk {n + 1} is about.",
            speakers=[make_person(name=f"Speaker {n + 1}")],
        )
        make_occurrence(
            session=session,
            start=start,
            minutes=45,
            room=rooms[n % 2],
            online_url="https://meet.example.org/devdays" if n % 3 == 0 else "",
        )
        made.append(
            talk_add(actor=enabler, conference=conference, session=session, track=tracks[n % 2])
        )
    return Built(enabler=enabler, conference=conference, tracks=tracks, rooms=rooms, talks=made)


@pytest.fixture
def built() -> Built:
    return build_conference(talks=3)
