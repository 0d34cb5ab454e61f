"""The statements themselves: what an LRS receives for each fact, checked against the xAPI
statement rules (tests/xapi/statement.schema.json) and field by field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from knowflow.events.models import Attendance, Session
from knowflow.library.models import Collection
from knowflow.topics.models import Topic
from knowflow.xapi import statements
from tests.factories import make_occurrence, make_person, make_session
from tests.xapi.helpers import BASE
from tests.xapi.lrs import statement_errors

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def _topic(name: str) -> Topic:
    slug = name.lower().replace(" ", "-")
    return Topic.objects.get_or_create(slug=slug, defaults={"name": name})[0]


def _attendance(mode: str = Attendance.Mode.ONLINE, *, email: bool = True) -> Attendance:
    speaker = make_person(name="Ada Speaker")
    session = make_session(title="Kafka in practice", speakers=[speaker])
    session.topics.set([_topic("Streaming"), _topic("Apache Kafka")])
    occurrence = make_occurrence(session=session, start=START, minutes=90)
    person = make_person(name="Grace Learner")
    if not email:
        person.email = ""
        person.save(update_fields=["email"])
    return Attendance.objects.create(occurrence=occurrence, person=person, mode=mode)


def test_attended_online_is_a_valid_statement_naming_the_session_topics_and_mode() -> None:
    attendance = _attendance(Attendance.Mode.ONLINE)
    occurrence, person = attendance.occurrence, attendance.person
    session = occurrence.session

    statement = statements.attended(attendance, base_url=BASE)

    assert statement_errors(statement) == []
    assert statement["actor"] == {
        "objectType": "Agent",
        "name": "Grace Learner",
        "mbox": f"mailto:{person.email}",
    }
    assert statement["verb"] == {
        "id": "http://adlnet.gov/expapi/verbs/attended",
        "display": {"en-US": "attended"},
    }
    assert statement["object"] == {
        "objectType": "Activity",
        "id": f"{BASE}/sessions/{session.slug}/",
        "definition": {
            "name": {"en": "Kafka in practice"},
            "type": "http://adlnet.gov/expapi/activities/meeting",
            "moreInfo": f"{BASE}/sessions/{session.slug}/",
        },
    }
    context = statement["context"]
    assert context["platform"] == "Knowflow"
    assert context["contextActivities"]["other"] == [
        {
            "objectType": "Activity",
            "id": f"{BASE}/topics/apache-kafka/",
            "definition": {"name": {"en": "Apache Kafka"}},
        },
        {
            "objectType": "Activity",
            "id": f"{BASE}/topics/streaming/",
            "definition": {"name": {"en": "Streaming"}},
        },
    ]
    assert context["extensions"] == {
        f"{BASE}/xapi/extensions/attendance-mode": "online",
        f"{BASE}/xapi/extensions/occurrence": {
            "start": "2026-03-02T14:00:00.000Z",
            "end": "2026-03-02T15:30:00.000Z",
        },
    }
    assert context["instructor"]["name"] == "Ada Speaker"
    assert statement["timestamp"] == "2026-03-02T14:00:00.000Z"
    assert statement["result"] == {"duration": "PT1H30M"}


def test_each_mode_is_said_in_words_and_a_recording_has_no_duration() -> None:
    room = statements.attended(_attendance(Attendance.Mode.ROOM), base_url=BASE)
    recording = statements.attended(_attendance(Attendance.Mode.RECORDING), base_url=BASE)

    mode = f"{BASE}/xapi/extensions/attendance-mode"
    assert room["context"]["extensions"][mode] == "in person"
    assert recording["context"]["extensions"][mode] == "recording"
    assert "result" not in recording
    assert statement_errors(room) == statement_errors(recording) == []


def test_a_person_without_email_is_named_by_their_account() -> None:
    attendance = _attendance(email=False)

    statement = statements.attended(attendance, base_url=BASE)

    assert statement["actor"] == {
        "objectType": "Agent",
        "name": "Grace Learner",
        "account": {"homePage": f"{BASE}/", "name": attendance.person.slug},
    }
    assert statement_errors(statement) == []


def test_the_same_fact_has_the_same_id_and_another_fact_another() -> None:
    attendance = _attendance()
    first = statements.attended(attendance, base_url=BASE)
    again = statements.attended(attendance, base_url=BASE)
    attendance.mode = Attendance.Mode.RECORDING
    corrected = statements.attended(attendance, base_url=BASE)
    elsewhere = statements.attended(attendance, base_url="https://other.example.org")

    assert statements.statement_json(first) == statements.statement_json(again)
    assert len({first["id"], corrected["id"], elsewhere["id"]}) == 3
    # The date's registration is the same whatever the mode: the LRS can put them together.
    assert first["context"]["registration"] == corrected["context"]["registration"]


def test_a_course_module_is_a_module_and_an_odd_language_is_undetermined() -> None:
    attendance = _attendance()
    session = attendance.occurrence.session
    session.format = Session.Format.COURSE_MODULE
    session.language = "pt_BR"
    session.save(update_fields=["format", "language"])
    attendance.occurrence.refresh_from_db()

    statement = statements.attended(attendance, base_url=BASE)

    assert statement["object"]["definition"]["type"] == (
        "http://adlnet.gov/expapi/activities/module"
    )
    assert statement["object"]["definition"]["name"] == {"und": "Kafka in practice"}
    assert statement_errors(statement) == []


def test_path_completed_names_the_path_as_a_course_with_its_topic() -> None:
    owner = make_person()
    person = make_person(name="Lin Learner")
    path = Collection.objects.create(
        kind=Collection.Kind.PATH,
        title="Platform basics",
        slug="platform-basics",
        owner=owner,
        topic=_topic("Platform engineering"),
    )

    statement = statements.path_completed(
        path, person, at=datetime(2026, 4, 1, 9, 30, 15, 250000, tzinfo=UTC), base_url=BASE
    )

    assert statement_errors(statement) == []
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
    assert statement["object"] == {
        "objectType": "Activity",
        "id": f"{BASE}/library/collections/platform-basics/",
        "definition": {
            "name": {"en": "Platform basics"},
            "type": "http://adlnet.gov/expapi/activities/course",
            "moreInfo": f"{BASE}/library/collections/platform-basics/",
        },
    }
    assert statement["result"] == {"completion": True}
    assert statement["context"]["contextActivities"]["other"][0]["id"] == (
        f"{BASE}/topics/platform-engineering/"
    )
    assert statement["timestamp"] == "2026-04-01T09:30:15.250Z"


def test_applied_carries_the_word_applied_and_nothing_else_of_the_answer() -> None:
    attendance = _attendance()
    occurrence, person = attendance.occurrence, attendance.person

    statement = statements.applied(
        occurrence, person, days=30, at=START + timedelta(days=31), base_url=BASE
    )

    assert statement_errors(statement) == []
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/answered"
    session_iri = f"{BASE}/sessions/{occurrence.session.slug}/"
    assert statement["object"]["id"] == f"{session_iri}#applied-after-30-days"
    assert statement["context"]["contextActivities"]["parent"][0]["id"] == session_iri
    assert statement["result"] == {"response": "applied"}
    attended = statements.attended(attendance, base_url=BASE)
    assert statement["context"]["registration"] == attended["context"]["registration"]


def test_the_schema_refuses_what_an_lrs_would_refuse() -> None:
    """The checker itself: a test LRS that accepted anything would prove nothing."""
    good = statements.attended(_attendance(), base_url=BASE)

    def broken(change: dict) -> dict:
        statement = json.loads(json.dumps(good))
        for path, value in change.items():
            *parents, last = path.split(".")
            target = statement
            for part in parents:
                target = target[part]
            if value is None:
                del target[last]
            else:
                target[last] = value
        return statement

    cases = {
        "id": broken({"id": "not-a-uuid"}),
        "actor": broken({"actor": None}),
        "verb": broken({"verb.id": "attended"}),
        "object": broken({"object.id": "sessions/kafka/"}),
        "name": broken({"object.definition.name": {"en_GB": "Kafka"}}),
        "timestamp": broken({"timestamp": "2026-03-02 14:00"}),
        "duration": broken({"result.duration": "90 minutes"}),
        "mbox": broken({"actor.mbox": "grace@example.org"}),
        "two ids": broken({"actor.account": {"homePage": BASE, "name": "grace"}}),
        "registration": broken({"context.registration": "123"}),
    }
    assert {name: bool(statement_errors(case)) for name, case in cases.items()} == dict.fromkeys(
        cases, True
    )
