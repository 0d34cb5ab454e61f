"""Factories for test data: real rows through the real services, with sensible defaults."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from django.utils import timezone

from knowflow.accounts.models import Office, OrgUnit, Person
from knowflow.accounts.services import person_create
from knowflow.circles.models import Circle, Membership
from knowflow.demand.models import TopicRequest
from knowflow.events.models import Occurrence, Room, Session
from knowflow.topics.models import Topic
from knowflow.topics.services import person_skills_set

_counter = itertools.count(1)
PASSWORD = "correct-horse-battery"


def make_person(
    *, role: str = Person.Role.MEMBER, name: str | None = None, tz: str = "UTC", **kwargs: object
) -> Person:
    n = next(_counter)
    name = name or f"Person {n}"
    skills = kwargs.pop("skills", None)
    person = person_create(
        display_name=name,
        username=kwargs.pop("username", f"user{n}"),
        password=PASSWORD,
        email=f"user{n}@example.org",
        role=role,
        timezone_name=tz,
        **kwargs,
    )
    if skills is not None:
        person_skills_set(person=person, actor=person, skills=skills)
    return person


def make_topic(name: str | None = None) -> Topic:
    n = next(_counter)
    name = name or f"Topic {n}"
    return Topic.objects.create(name=name, slug=f"topic-{n}")


def make_office(name: str | None = None, tz: str = "Europe/Berlin") -> Office:
    n = next(_counter)
    return Office.objects.create(name=name or f"Office {n}", slug=f"office-{n}", timezone=tz)


def make_room(*, office: Office | None = None, capacity: int = 20, name: str | None = None) -> Room:
    n = next(_counter)
    return Room.objects.create(
        office=office or make_office(), name=name or f"Room {n}", capacity=capacity
    )


def make_circle(
    *, champions: list[Person] = (), visibility: str = "open", name: str | None = None
) -> Circle:
    n = next(_counter)
    circle = Circle.objects.create(
        name=name or f"Circle {n}", slug=f"circle-{n}", visibility=visibility
    )
    for person in champions:
        Membership.objects.create(circle=circle, person=person, role=Membership.Role.CHAMPION)
    return circle


def make_session(
    *,
    speakers: list[Person] | None = None,
    title: str | None = None,
    circle: Circle | None = None,
    **kwargs: object,
) -> Session:
    n = next(_counter)
    session = Session.objects.create(
        title=title or f"Session {n}", slug=f"session-{n}", circle=circle, **kwargs
    )
    session.speakers.set(speakers or [make_person()])
    return session


def make_occurrence(
    *,
    session: Session | None = None,
    start: datetime | None = None,
    minutes: int = 60,
    capacity: int = 10,
    room: Room | None = None,
    online_url: str = "https://meet.example.org/x",
) -> Occurrence:
    start = start or timezone.now() + timedelta(days=3)
    return Occurrence.objects.create(
        session=session or make_session(),
        start=start,
        end=start + timedelta(minutes=minutes),
        capacity=capacity,
        room=room,
        online_url=online_url,
    )


def org_unit(name: str, parent: OrgUnit | None = None, kind: str = "team") -> OrgUnit:
    return OrgUnit.objects.create(
        name=name, slug=name.lower().replace(" ", "-"), parent=parent, kind=kind
    )


# --- topic requests (knowflow.demand) -----------------------------------------------------------


def make_topic_request(
    *,
    requester: Person | None = None,
    title: str | None = None,
    topics: list[Topic] = (),
    voters: list[Person] = (),
    **kwargs: object,
) -> TopicRequest:
    """A request written directly (no emails), with its topics and one vote per voter."""
    from knowflow.demand.models import Vote

    n = next(_counter)
    request = TopicRequest.objects.create(
        title=title or f"Request {n}", requester=requester or make_person(), **kwargs
    )
    request.topics.set(topics)
    for person in voters:
        Vote.objects.create(request=request, person=person)
    return request


def make_response_tally(
    *,
    occurrence: Occurrence,
    responses: int,
    unacceptable: int = 0,
    acceptable: int = 0,
    superior: int = 0,
    kind: str = "after_session",
) -> object:
    """A date's after-session counts as the feedback app keeps them (per occurrence and
    segment), written directly: figures across sessions read these, never the answers."""
    from knowflow.feedback.models import ResponseTally, SurveyTemplate

    return ResponseTally.objects.create(
        occurrence=occurrence,
        template=SurveyTemplate.objects.filter(kind=kind).first(),
        kind=kind,
        mode="room",
        responses=responses,
        unacceptable=unacceptable,
        acceptable=acceptable,
        superior=superior,
    )
