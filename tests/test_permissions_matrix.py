"""Who may do what: the role × action matrix, checked on the services, the pages and the API.

Every cell is asserted: an allowed action changes what it should; a refused one answers 403
(the page shows the message, the API answers JSON ``detail``) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from knowflow.accounts.models import Office, Person
from knowflow.accounts.services import api_token_create
from knowflow.circles.models import Circle, Membership
from knowflow.circles.services import circle_create, circle_join, circle_update
from knowflow.errors import Forbidden
from knowflow.events.models import Attendance, Occurrence, Registration, Room, Session
from knowflow.events.services import (
    attendance_record,
    occurrence_create,
    registration_cancel,
    registration_create,
    room_create,
    session_update,
)
from knowflow.topics.models import Topic
from knowflow.topics.services import topic_create
from tests.conftest import signed_in
from tests.factories import make_circle, make_occurrence, make_office, make_person, make_session

pytestmark = pytest.mark.django_db

ROLES = ("admin", "enabler", "champion", "speaker", "member")


@dataclass
class World:
    people: dict[str, Person]
    learner: Person  # registered for the occurrence
    outsider: Person  # in no circle
    circle: Circle  # invite-only; the champion runs it
    session: Session  # hosted by the circle, given by the speaker
    occurrence: Occurrence  # started half an hour ago, still running
    office: Office

    def refresh(self) -> None:
        self.session.refresh_from_db()
        self.circle.refresh_from_db()


@pytest.fixture
def world() -> World:
    people = {
        "admin": make_person(role=Person.Role.ADMIN, name="Ari Admin"),
        "enabler": make_person(role=Person.Role.ENABLER, name="Eli Enabler"),
        "champion": make_person(name="Cho Champion"),
        "speaker": make_person(name="Sol Speaker"),
        "member": make_person(name="Mo Member"),
    }
    circle = make_circle(
        name="Inner circle", visibility="invite_only", champions=[people["champion"]]
    )
    Membership.objects.create(circle=circle, person=people["member"])
    session = make_session(title="Original title", speakers=[people["speaker"]], circle=circle)
    occurrence = make_occurrence(
        session=session, start=timezone.now() - timedelta(minutes=30), minutes=120
    )
    learner = make_person(name="Lu Learner")
    registration_create(occurrence=occurrence, person=learner, actor=learner)
    return World(
        people=people,
        learner=learner,
        outsider=make_person(name="Oz Outsider"),
        circle=circle,
        session=session,
        occurrence=occurrence,
        office=make_office("Main office"),
    )


def future_slot() -> tuple:
    start = timezone.now() + timedelta(days=10)
    return start, start + timedelta(hours=1)


# Each action: who may do it, what the database looks like (to see whether it changed), and
# how to attempt it through the service, a page (where one exists) and the API (where one exists).


@dataclass(frozen=True)
class Action:
    allowed: frozenset[str]
    state: Callable[[World], object]
    service: Callable[[World, Person], object]
    message: str
    page: Callable[[World, Client], object] | None = None
    api: Callable[[World, Client], object] | None = None
    # Where the API refuses earlier than the service, with its own words (by role).
    api_messages: tuple[tuple[str, str], ...] = ()


def _api_post(client: Client, url: str, payload: dict) -> object:
    return client.post(url, data=payload, content_type="application/json")


def _api_patch(client: Client, url: str, payload: dict) -> object:
    return client.patch(url, data=payload, content_type="application/json")


def _occurrence_page(w: World, c: Client) -> object:
    start, end = future_slot()
    return c.post(
        f"/sessions/{w.session.slug}/occurrences/new/",
        {
            "start": start.strftime("%Y-%m-%dT%H:%M"),
            "end": end.strftime("%Y-%m-%dT%H:%M"),
            "zone": "UTC",
            "online_url": "https://meet.example.org/new",
            "capacity": "5",
        },
    )


def _occurrence_api(w: World, c: Client) -> object:
    start, end = future_slot()
    return _api_post(
        c,
        "/api/v1/occurrences/",
        {
            "session_id": w.session.pk,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "online_url": "https://meet.example.org/new",
            "capacity": 5,
        },
    )


EDITORS = frozenset({"admin", "enabler", "champion", "speaker"})
CIRCLE_MANAGERS = frozenset({"admin", "enabler", "champion"})
ENABLERS = frozenset({"admin", "enabler"})

ACTIONS: dict[str, Action] = {
    "edit session": Action(
        allowed=EDITORS,
        state=lambda w: Session.objects.get(pk=w.session.pk).title,
        service=lambda w, actor: session_update(session=w.session, actor=actor, title="Changed"),
        message="Only the session's speakers, its circle's champions and enablers can edit it.",
        page=lambda w, c: c.post(
            f"/sessions/{w.session.slug}/edit/",
            {
                "title": "Changed",
                "abstract": "",
                "format": "talk",
                "level": "introductory",
                "language": "en",
                "speakers": ", ".join(p.slug for p in w.session.speakers.all()),
                "circle": w.circle.pk,
                "status": w.session.status,
            },
        ),
        api=lambda w, c: _api_patch(c, f"/api/v1/sessions/{w.session.pk}", {"title": "Changed"}),
    ),
    "add occurrence": Action(
        allowed=EDITORS,
        state=lambda w: Occurrence.objects.filter(session=w.session).count(),
        service=lambda w, actor: occurrence_create(
            session=w.session,
            actor=actor,
            start=future_slot()[0],
            end=future_slot()[1],
            online_url="https://meet.example.org/new",
            capacity=5,
        ),
        message="Only the session's speakers, its circle's champions and enablers can schedule it.",
        page=_occurrence_page,
        api=_occurrence_api,
    ),
    "record attendance": Action(
        allowed=EDITORS,
        state=lambda w: list(Attendance.objects.values_list("person_id", "mode")),
        service=lambda w, actor: attendance_record(
            occurrence=w.occurrence, person=w.learner, mode="room", actor=actor
        ),
        message="Only the session's speakers, its circle's champions and enablers record attendance.",
        page=lambda w, c: c.post(
            f"/sessions/occurrences/{w.occurrence.pk}/attendance/",
            {"person": w.learner.pk, "mode": "room"},
        ),
    ),
    "create topic": Action(
        allowed=ENABLERS,
        state=lambda w: Topic.objects.count(),
        service=lambda w, actor: topic_create(actor=actor, name="Fresh topic"),
        message="Only enablers change the topic taxonomy.",
        api=lambda w, c: _api_post(c, "/api/v1/topics/", {"name": "Fresh topic"}),
    ),
    "create circle": Action(
        allowed=ENABLERS,
        state=lambda w: Circle.objects.count(),
        service=lambda w, actor: circle_create(actor=actor, name="Fresh circle"),
        message="Only enablers create circles.",
        api=lambda w, c: _api_post(c, "/api/v1/circles/", {"name": "Fresh circle"}),
    ),
    "edit circle": Action(
        allowed=CIRCLE_MANAGERS,
        state=lambda w: Circle.objects.get(pk=w.circle.pk).mission,
        service=lambda w, actor: circle_update(circle=w.circle, actor=actor, mission="New mission"),
        message="Only the circle's champions and enablers can edit it.",
        api=lambda w, c: _api_patch(
            c, f"/api/v1/circles/{w.circle.pk}", {"mission": "New mission"}
        ),
    ),
    "add member to invite-only circle": Action(
        allowed=CIRCLE_MANAGERS,
        state=lambda w: Membership.objects.filter(circle=w.circle, person=w.outsider).exists(),
        service=lambda w, actor: circle_join(circle=w.circle, person=w.outsider, actor=actor),
        message="Only the circle's champions and enablers can add members.",
        page=lambda w, c: c.post(f"/circles/{w.circle.slug}/members/", {"person": w.outsider.slug}),
        api=lambda w, c: _api_post(
            c, f"/api/v1/circles/{w.circle.pk}/members", {"person_id": w.outsider.pk}
        ),
    ),
    "create room": Action(
        allowed=ENABLERS,
        state=lambda w: Room.objects.count(),
        service=lambda w, actor: room_create(
            actor=actor, office=w.office, name="Fresh room", capacity=8
        ),
        message="Only enablers manage rooms.",
    ),
    "cancel someone else's registration": Action(
        allowed=ENABLERS,
        state=lambda w: Registration.objects.get(person=w.learner).status,
        service=lambda w, actor: registration_cancel(
            occurrence=w.occurrence, person=w.learner, actor=actor
        ),
        message="You can only cancel your own registration.",
        api=lambda w, c: _api_patch(
            c,
            f"/api/v1/registrations/{Registration.objects.get(person=w.learner).pk}",
            {"status": "cancelled"},
        ),
        # A plain member may not even read the registration; speakers and champions may.
        api_messages=(("member", "This is someone else's registration."),),
    ),
}


def cells(layer: str) -> list:
    return [
        pytest.param(action, role, id=f"{action}-{role}")
        for action, spec in ACTIONS.items()
        if getattr(spec, layer) is not None
        for role in ROLES
    ]


def api_client(person: Person) -> Client:
    _, secret = api_token_create(person=person, name="matrix")
    return Client(headers={"Authorization": f"Bearer {secret}"})


@pytest.mark.parametrize(("action", "role"), cells("service"))
def test_service_permission(world: World, action: str, role: str) -> None:
    spec = ACTIONS[action]
    before = spec.state(world)

    if role in spec.allowed:
        spec.service(world, world.people[role])
        assert spec.state(world) != before
    else:
        with pytest.raises(Forbidden) as error:
            spec.service(world, world.people[role])
        assert error.value.message == spec.message
        assert spec.state(world) == before


@pytest.mark.parametrize(("action", "role"), cells("page"))
def test_page_permission(world: World, action: str, role: str) -> None:
    spec = ACTIONS[action]
    before = spec.state(world)

    response = spec.page(world, signed_in(world.people[role]))

    if role in spec.allowed:
        assert response.status_code == 302
        assert spec.state(world) != before
    else:
        html = response.content.decode()
        assert response.status_code == 403
        assert f"<h1>Not allowed</h1><p>{escape(spec.message)}</p>" in html
        assert spec.state(world) == before


@pytest.mark.parametrize(("action", "role"), cells("api"))
def test_api_permission(world: World, action: str, role: str) -> None:
    spec = ACTIONS[action]
    before = spec.state(world)

    response = spec.api(world, api_client(world.people[role]))

    if role in spec.allowed:
        assert response.status_code in (200, 201)
        assert spec.state(world) != before
    else:
        assert response.status_code == 403
        assert response.json()["detail"] == dict(spec.api_messages).get(role, spec.message)
        assert spec.state(world) == before


def test_matrix_covers_every_role_and_action() -> None:
    assert len(cells("service")) == 9 * 5
    assert len(cells("page")) == 4 * 5
    assert len(cells("api")) == 7 * 5
