"""Fixtures of the page tests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.circles.models import Membership
from knowflow.events.models import Registration
from knowflow.library.models import Resource
from tests.factories import (
    make_circle,
    make_occurrence,
    make_person,
    make_room,
    make_session,
    make_topic,
)


@pytest.fixture
def organisation() -> dict[str, Person]:
    """A small organisation whose pages reach every kind of page: an admin, an enabler and a
    member (keys of the dict), a speaker who champions a circle, a session with a past and a
    coming date, and a recording."""
    admin = make_person(role=Person.Role.ADMIN, name="Ada Admin")
    enabler = make_person(role=Person.Role.ENABLER, name="Eve Enabler")
    member = make_person(name="Mo Member")
    speaker = make_person(name="Sam Speaker")
    topic = make_topic("Kubernetes")
    circle = make_circle(champions=[speaker], name="Platform guild")
    Membership.objects.create(circle=circle, person=member)
    session = make_session(title="Pods in practice", speakers=[speaker], circle=circle)
    session.slug = "pods-in-practice"
    session.save(update_fields=["slug"])
    session.topics.set([topic])
    past = make_occurrence(session=session, start=timezone.now() - timedelta(days=3))
    coming = make_occurrence(session=session, room=make_room(name="Hopper"))
    for occurrence in (past, coming):
        for person in (member, enabler, admin):
            Registration.objects.create(
                occurrence=occurrence,
                person=person,
                status=Registration.Status.GOING,
                requested_at=timezone.now(),
            )
    Resource.objects.create(
        kind="recording",
        title="Pods in practice (recording)",
        slug="pods-recording",
        url="https://video.example.org/pods",
        session=session,
        owner=speaker,
    )
    return {"admin": admin, "enabler": enabler, "member": member}
