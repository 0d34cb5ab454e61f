"""The JSON each event sends: exact fields for a scheduled session, and every event's envelope
valid against the JSON Schema shipped for integrators (knowflow/webhooks/schema)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

import knowflow.webhooks
from knowflow.events.models import Attendance, Registration
from knowflow.library.models import Collection, Resource
from knowflow.webhooks import payloads
from tests.factories import (
    make_circle,
    make_occurrence,
    make_person,
    make_room,
    make_session,
    make_topic,
)

pytestmark = pytest.mark.django_db

SCHEMA = json.loads(
    (Path(knowflow.webhooks.__file__).parent / "schema" / "deliveries.schema.json").read_text()
)
NOW = datetime(2026, 12, 3, 18, 0, 5, 123456, tzinfo=UTC)


@pytest.fixture
def hybrid_date(settings: object) -> object:
    settings.KNOWFLOW_BASE_URL = "https://knowflow.example.org"
    ada = make_person(name="Ada Lovelace")
    session = make_session(
        title="Property-based testing",
        speakers=[ada],
        circle=make_circle(name="Testing guild"),
    )
    session.topics.set([make_topic("Testing"), make_topic("Python")])
    return make_occurrence(
        session=session,
        start=datetime(2027, 1, 12, 14, 0, tzinfo=UTC),
        minutes=90,
        room=make_room(name="Turing"),
        online_url="https://meet.example.org/pbt",
    )


def test_a_scheduled_session_sends_its_fields_and_dates(hybrid_date: object) -> None:
    session = hybrid_date.session
    body = json.loads(
        payloads.envelope(
            event="session.scheduled", data=payloads.session_scheduled(session), now=NOW
        )
    )

    assert body["type"] == "session.scheduled"
    assert body["created_at"] == "2026-12-03T18:00:05Z"
    assert body["data"] == {
        "session": {
            "id": session.pk,
            "slug": session.slug,
            "title": "Property-based testing",
            "format": "talk",
            "level": "introductory",
            "language": "en",
            "status": "proposed",
            "url": f"https://knowflow.example.org/sessions/{session.slug}/",
            "circle": {
                "id": session.circle.pk,
                "slug": session.circle.slug,
                "name": "Testing guild",
            },
            "topics": [
                {"id": t.pk, "slug": t.slug, "name": t.name}
                for t in sorted(session.topics.all(), key=lambda t: t.name)
            ],
            "speakers": [
                {"id": p.pk, "slug": p.slug, "name": "Ada Lovelace"} for p in session.speakers.all()
            ],
        },
        "occurrences": [
            {
                "id": hybrid_date.pk,
                "session_id": session.pk,
                "start": "2027-01-12T14:00:00Z",
                "end": "2027-01-12T15:30:00Z",
                "mode": "hybrid",
                "room": "Turing",
                "online_url": "https://meet.example.org/pbt",
                "capacity": 10,
                "cancelled": False,
                "sequence": 0,
                "url": f"https://knowflow.example.org/sessions/{session.slug}/",
            }
        ],
    }
    assert [t["name"] for t in body["data"]["session"]["topics"]] == ["Python", "Testing"]


def test_every_event_matches_the_published_schema(hybrid_date: object) -> None:
    occurrence = hybrid_date
    person = make_person(name="Bo Learner")
    registration = Registration.objects.create(
        occurrence=occurrence, person=person, status="waitlisted", requested_at=NOW
    )
    attendance = Attendance.objects.create(occurrence=occurrence, person=person, mode="online")
    recording = Resource.objects.create(
        kind="recording",
        title="Recording",
        slug="recording",
        url="https://video.example.org/1",
        session=occurrence.session,
        occurrence=occurrence,
    )
    path = Collection.objects.create(
        kind="path", title="Testing path", slug="testing-path", owner=person
    )
    online = make_occurrence(online_url="https://meet.example.org/other")
    examples = {
        "session.scheduled": payloads.session_scheduled(occurrence.session),
        "occurrence.changed": payloads.occurrence_changed(online, "moved"),
        "occurrence.cancelled": payloads.occurrence_cancelled(occurrence),
        "registration.created": payloads.registration_created(registration),
        "attendance.recorded": payloads.attendance_recorded(attendance),
        "recording.published": payloads.recording_published(recording),
        "path.completed": payloads.path_completed(path, person),
        "person.deactivated": payloads.person_deactivated(person),
        "ping": payloads.ping(webhook_id=3),
    }
    validator = Draft202012Validator(SCHEMA)
    Draft202012Validator.check_schema(SCHEMA)

    errors = {
        event: [
            e.message
            for e in validator.iter_errors(
                json.loads(payloads.envelope(event=event, data=data, now=NOW))
            )
        ]
        for event, data in examples.items()
    }

    assert errors == {event: [] for event in examples}
    assert examples["occurrence.changed"]["occurrence"]["mode"] == "online"
    assert examples["registration.created"]["registration"]["status"] == "waitlisted"


def test_the_schema_refuses_a_wrong_body(hybrid_date: object) -> None:
    validator = Draft202012Validator(SCHEMA)
    good = json.loads(
        payloads.envelope(
            event="occurrence.cancelled",
            data=payloads.occurrence_cancelled(hybrid_date),
            now=NOW,
        )
    )
    wrong_time = json.loads(json.dumps(good))
    wrong_time["data"]["occurrence"]["start"] = "2027-01-12 14:00"
    wrong_type = {**good, "type": "session.deleted"}

    assert list(validator.iter_errors(good)) == []
    assert list(validator.iter_errors(wrong_time)) != []
    assert list(validator.iter_errors(wrong_type)) != []
