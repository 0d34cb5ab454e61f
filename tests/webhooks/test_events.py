"""Each event, caused by the real service a person uses, reaches a subscribed receiver once, as
a body the published JSON Schema accepts, carrying the thing that changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from jsonschema import Draft202012Validator

import knowflow.webhooks
from knowflow.accounts.models import Person
from knowflow.accounts.services import person_deactivate
from knowflow.events.attendance import attendance_record
from knowflow.events.models import Session
from knowflow.events.services import (
    occurrence_cancel,
    occurrence_create,
    occurrence_update,
    registration_create,
    session_cancel,
)
from knowflow.library.models import Collection
from knowflow.library.services import (
    collection_create,
    collection_item_add,
    path_item_mark,
    resource_create,
)
from knowflow.outbound.services import outbound_deliver_due
from knowflow.webhooks.services import webhook_create
from tests.factories import make_occurrence, make_person, make_session
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMA = json.loads(
    (Path(knowflow.webhooks.__file__).parent / "schema" / "deliveries.schema.json").read_text()
)


def _schedule(admin: Person) -> dict:
    session = make_session(title="Scheduled now")
    start = timezone.now() + timedelta(days=5)
    occurrence_create(
        session=session,
        actor=admin,
        start=start,
        end=start + timedelta(hours=1),
        online_url="https://meet.example.org/a",
        capacity=10,
    )
    return {"session": {"slug": session.slug, "status": "scheduled"}}


def _add_date(admin: Person) -> dict:
    first = make_occurrence()
    start = first.start + timedelta(days=7)
    added = occurrence_create(
        session=first.session,
        actor=admin,
        start=start,
        end=start + timedelta(hours=1),
        online_url="https://meet.example.org/b",
        capacity=10,
    )
    return {"change": "added", "occurrence": {"id": added.pk}}


def _move_date(admin: Person) -> dict:
    occurrence = make_occurrence()
    start = occurrence.start + timedelta(days=1)
    occurrence_update(
        occurrence=occurrence, actor=admin, start=start, end=start + timedelta(hours=1)
    )
    return {
        "change": "moved",
        "occurrence": {"id": occurrence.pk, "start": start.strftime("%Y-%m-%dT%H:%M:%SZ")},
    }


def _cancel_date(admin: Person) -> dict:
    occurrence = make_occurrence()
    occurrence_cancel(occurrence=occurrence, actor=admin)
    return {"occurrence": {"id": occurrence.pk, "cancelled": True}}


def _register(admin: Person) -> dict:
    person = make_person(name="Rae Registrant")
    registration = registration_create(occurrence=make_occurrence(), person=person, actor=person)
    return {"registration": {"id": registration.pk}, "person": {"name": "Rae Registrant"}}


def _attend(admin: Person) -> dict:
    occurrence = make_occurrence(start=timezone.now() - timedelta(minutes=30))
    person = make_person(name="Ali Attendee")
    attendance_record(occurrence=occurrence, person=person, mode="online", actor=admin)
    return {"attendance": {"mode": "online"}, "person": {"name": "Ali Attendee"}}


def _publish_recording(admin: Person) -> dict:
    occurrence = make_occurrence(start=timezone.now() - timedelta(days=1))
    resource = resource_create(
        actor=admin,
        kind="recording",
        title="The recording",
        url="https://video.example.org/r",
        session=occurrence.session,
        occurrence=occurrence,
    )
    return {"resource": {"slug": resource.slug}, "session": {"slug": occurrence.session.slug}}


def _complete_path(admin: Person) -> dict:
    path = collection_create(actor=admin, title="Testing path", kind=Collection.Kind.PATH)
    items = [
        collection_item_add(collection=path, actor=admin, session=make_session()) for _ in range(2)
    ]
    learner = make_person(name="Lee Learner")
    for item in items:
        path_item_mark(item=item, person=learner)
    return {"path": {"slug": path.slug}, "person": {"name": "Lee Learner"}}


def _deactivate(admin: Person) -> dict:
    person = make_person(name="Dee Parted")
    person_deactivate(person=person, actor=None)
    return {"person": {"name": "Dee Parted"}}


CAUSES: dict[str, Callable[[Person], dict]] = {
    "session.scheduled": _schedule,
    "occurrence.changed:added": _add_date,
    "occurrence.changed:moved": _move_date,
    "occurrence.cancelled": _cancel_date,
    "registration.created": _register,
    "attendance.recorded": _attend,
    "recording.published": _publish_recording,
    "path.completed": _complete_path,
    "person.deactivated": _deactivate,
}


def _contains(data: dict, expected: dict) -> bool:
    return all(
        _contains(data.get(key) or {}, value) if isinstance(value, dict) else data.get(key) == value
        for key, value in expected.items()
    )


@pytest.mark.parametrize("cause", list(CAUSES))
def test_each_event_reaches_its_subscriber_as_a_valid_body(
    hook_receiver: Receiver, cause: str
) -> None:
    event = cause.split(":")[0]
    admin = make_person(role=Person.Role.ADMIN)
    webhook_create(actor=admin, url=hook_receiver.url, description="", events=[event])
    others = [name for name in SCHEMA["properties"]["type"]["enum"] if name not in (event, "ping")]
    webhook_create(actor=admin, url=hook_receiver.url + "/others", description="", events=others)

    expected = CAUSES[cause](admin)
    outbound_deliver_due(now=timezone.now())

    mine = [r for r in hook_receiver.requests if r.path == "/hooks/knowflow"]
    bodies = [json.loads(r.body) for r in mine]
    assert [body["type"] for body in bodies if _contains(body["data"], expected)] == [event]
    errors = [e.message for body in bodies for e in Draft202012Validator(SCHEMA).iter_errors(body)]
    assert errors == []


def test_a_cancelled_session_announces_each_upcoming_date(hook_receiver: Receiver) -> None:
    admin = make_person(role=Person.Role.ADMIN)
    webhook_create(
        actor=admin, url=hook_receiver.url, description="", events=["occurrence.cancelled"]
    )
    first = make_occurrence()
    session = first.session
    second = make_occurrence(session=session, start=first.start + timedelta(days=7))
    alone = make_occurrence(session=session, start=first.start + timedelta(days=14))
    Session.objects.filter(pk=session.pk).update(status=Session.Status.SCHEDULED)
    session.refresh_from_db()
    occurrence_cancel(occurrence=alone, actor=admin)  # announced on its own, once

    session_cancel(session=session, actor=admin)
    outbound_deliver_due(now=timezone.now())

    bodies = {
        body["occurrence"]["id"]: (body["occurrence"]["cancelled"], body["session"]["status"])
        for body in (json.loads(r.body)["data"] for r in hook_receiver.requests)
    }
    assert len(hook_receiver.requests) == 3
    assert bodies == {
        alone.pk: (True, "scheduled"),
        first.pk: (True, "cancelled"),
        second.pk: (True, "cancelled"),
    }
