"""The exports at pretalx's addresses: schedule.json and schedule.xml valid against the c3voc
schemas, the iCalendar file parsed back, 404 before publication, who may read them, caching per
release, a constant number of queries, and 200 readers at once."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import icalendar
import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve

from knowflow.conferences.models import Release
from knowflow.conferences.services import release_publish, talk_add
from knowflow.events.models import Session
from knowflow.events.services import occurrence_update
from knowflow.feedback.models import Kind, SurveyRequest, SurveyTemplate
from knowflow.integrations.services import calendar_feed_token_regenerate
from tests.conferences.conftest import Built, build_conference
from tests.conftest import signed_in
from tests.factories import (
    make_occurrence,
    make_office,
    make_person,
    make_room,
    make_session,
)

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).resolve().parents[2].parent / "shared" / "schemas" / "c3voc-schedule"
needs_schemas = pytest.mark.skipif(
    not SCHEMAS.is_dir(), reason="../shared/schemas/c3voc-schedule is not next to this checkout"
)


def published(talks: int = 3, slug: str = "devdays") -> Built:
    built = build_conference(talks=talks, slug=slug)
    release_publish(actor=built.enabler, conference=built.conference)
    return built


def events_of(document: dict) -> list[dict]:
    return [
        event
        for day in document["schedule"]["conference"]["days"]
        for events in day["rooms"].values()
        for event in events
    ]


def json_errors(document: dict) -> list[str]:
    import jsonschema

    schema = json.loads((SCHEMAS / "schema.json").read_text())
    # Every format jsonschema knows (the schema uses "uuid", "date" and "color" besides the
    # draft-06 ones, which Draft6Validator.FORMAT_CHECKER alone would let through unchecked).
    validator = jsonschema.Draft6Validator(schema, format_checker=jsonschema.FormatChecker())
    return sorted(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    )


def xml_schema():  # noqa: ANN201 - lxml.etree.XMLSchema
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(SCHEMAS / "schedule.xml.xsd")))


# Validity --------------------------------------------------------------------------------------


@needs_schemas
def test_schedule_json_is_valid_c3voc() -> None:
    built = published(talks=5)
    client = signed_in(built.enabler)

    response = client.get("/devdays/schedule.json")

    assert (response.status_code, response["Content-Type"]) == (
        200,
        "application/json; charset=utf-8",
    )
    document = json.loads(response.content)
    assert json_errors(document) == []
    assert len(events_of(document)) == 5
    # The validator does check formats: a guid that is not a UUID, a colour that is not one.
    events_of(document)[0]["guid"] = "not-a-uuid"
    document["schedule"]["conference"]["tracks"][0]["color"] = "#12345"
    assert json_errors(document) == [
        "schedule/conference/days/0/rooms/Hopper/0/guid: 'not-a-uuid' is not a 'uuid'",
        "schedule/conference/tracks/0/color: '#12345' is not a 'color'",
    ]


@needs_schemas
def test_schedule_json_carries_every_field_apps_need() -> None:
    built = published(talks=1)
    session = built.talks[0].session
    speaker = session.speakers.get()

    [event] = events_of(json.loads(signed_in(built.enabler).get("/devdays/schedule.json").content))

    assert event == {
        "guid": str(built.talks[0].guid),
        "id": session.pk,
        "date": "2030-06-04T10:00:00+02:00",
        "start": "10:00",
        "end": "2030-06-04T10:45:00+02:00",
        "duration": "00:45",
        "room": "Hopper",
        "slug": f"devdays-{session.pk}-talk-number-1",
        "url": f"http://127.0.0.1:8000/sessions/{session.slug}/",
        "title": "Talk number 1",
        "subtitle": "",
        "track": "Platform",
        "type": "talk",
        "language": "en",
        "abstract": "What talk 1 is about.",
        "persons": [
            {
                "guid": event["persons"][0]["guid"],
                "name": "Speaker 1",
                "url": f"http://127.0.0.1:8000/accounts/people/{speaker.slug}/",
                "biography": None,
            }
        ],
        "links": [
            {"type": "web", "url": "https://meet.example.org/devdays", "title": "Join online"}
        ],
        "feedback_url": "http://127.0.0.1:8000/feedback/requests/",
    }


@needs_schemas
def test_schedule_xml_is_valid_frab_xml() -> None:
    from lxml import etree

    built = published(talks=5)

    response = signed_in(built.enabler).get("/devdays/schedule.xml")

    assert (response.status_code, response["Content-Type"]) == (
        200,
        "application/xml; charset=utf-8",
    )
    tree = etree.fromstring(response.content)
    schema = xml_schema()
    assert schema.validate(tree), [str(e) for e in schema.error_log]
    assert [e.findtext("title") for e in tree.iter("event")] == [
        "Talk number 1",
        "Talk number 3",
        "Talk number 5",
        "Talk number 2",
        "Talk number 4",
    ]
    assert [d.get("date") for d in tree.iter("day")] == ["2030-06-04", "2030-06-05", "2030-06-06"]
    # The schema does reject what it should: two events with one guid.
    events = list(tree.iter("event"))
    events[1].set("guid", events[0].get("guid"))
    assert not schema.validate(tree)


@needs_schemas
def test_edge_cases_stay_valid_in_both_formats() -> None:
    """No talk at all; an online-only talk; a title with quotes, accents and a control
    character; a one-letter title; two rooms of one name in two offices."""
    from lxml import etree

    empty = build_conference(talks=0, slug="emptyconf")
    release_publish(actor=empty.enabler, conference=empty.conference)
    built = build_conference(talks=1)
    odd = [
        ("Online only", None),
        ("“Zürich” <rocks> & \x07bells", built.rooms[0]),
        ("X", make_room(office=make_office(name="Munich office"), name="Hopper")),
    ]
    for n, (title, room) in enumerate(odd):
        session = make_session(title=title, status=Session.Status.SCHEDULED)
        make_occurrence(
            session=session,
            start=datetime(2030, 6, 5, 8 + n, 0, tzinfo=UTC),
            room=room,
            online_url="https://meet.example.org/x",
        )
        talk_add(actor=built.enabler, conference=built.conference, session=session)
    release_publish(actor=built.enabler, conference=built.conference)
    client = signed_in(built.enabler)
    schema = xml_schema()

    for slug in ("emptyconf", "devdays"):
        document = json.loads(client.get(f"/{slug}/schedule.json").content)
        tree = etree.fromstring(client.get(f"/{slug}/schedule.xml").content)
        assert json_errors(document) == []
        assert schema.validate(tree), [str(e) for e in schema.error_log]
    rooms = document["schedule"]["conference"]["rooms"]
    assert [(room["name"], room.get("type")) for room in rooms] == [
        ("Hopper (Berlin office devdays)", None),
        ("Hopper (Munich office)", None),
        ("Online", "online"),
    ]
    assert sorted((e["title"], e["room"]) for e in events_of(document)) == [
        ("Online only", "Online"),
        ("Talk number 1", "Hopper (Berlin office devdays)"),
        ("X", "Hopper (Munich office)"),
        ("“Zürich” <rocks> & bells", "Hopper (Berlin office devdays)"),
    ]


def test_schedule_ics_holds_one_event_per_talk_at_the_right_utc_time() -> None:
    built = published(talks=4)

    response = signed_in(built.enabler).get("/devdays/schedule.ics")

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    expected = {str(talk.guid): talk.session.occurrences.get() for talk in built.talks}
    assert sorted(str(e["UID"]) for e in events) == sorted(expected)
    for event in events:
        occurrence = expected[str(event["UID"])]
        assert event.decoded("DTSTART").astimezone(UTC) == occurrence.start
        assert event.decoded("DTEND").astimezone(UTC) == occurrence.end
        assert str(event["SUMMARY"]) == occurrence.session.title
        assert event["SEQUENCE"] == 1
    assert {str(e["DTSTART"].params["TZID"]) for e in events} == {"Europe/Berlin"}


def test_feedback_url_leads_an_attendee_to_their_survey_of_the_talk() -> None:
    built = published(talks=1)
    occurrence = built.talks[0].session.occurrences.get()
    attendee = make_person(name="Ada Attendee")
    survey = SurveyRequest.objects.create(
        occurrence=occurrence,
        person=attendee,
        kind=Kind.AFTER_SESSION,
        template=SurveyTemplate.objects.filter(kind=Kind.AFTER_SESSION).first(),
        mode="room",
        status=SurveyRequest.Status.SENT,
        due_at=occurrence.end,
        sent_at=occurrence.end,
        expires_at=occurrence.end + (occurrence.end - occurrence.start) * 400,
        created_at=occurrence.end,
    )
    client = signed_in(attendee)
    [event] = events_of(json.loads(client.get("/devdays/schedule.json").content))
    path = event["feedback_url"].removeprefix("http://127.0.0.1:8000")

    page = client.get(path)

    assert resolve(path).view_name == "feedback:my_requests"
    assert (
        f'<a href="/feedback/requests/{survey.pk}/">Rate “Talk number 1”</a>'
        in page.content.decode()
    )


# Publication, access, caching ------------------------------------------------------------------


def test_exports_answer_404_with_a_plain_message_before_the_first_release() -> None:
    built = build_conference(talks=2)
    client = signed_in(built.enabler)

    answers = [client.get(f"/devdays/schedule.{fmt}") for fmt in ("json", "xml", "ics")]
    unknown = client.get("/nosuchconf/schedule.json")

    assert [(a.status_code, a["Content-Type"], a.content.decode()) for a in answers] == [
        (404, "text/plain; charset=utf-8", "The programme of DevDays is not published yet.")
    ] * 3
    assert (unknown.status_code, unknown.content.decode()) == (
        404,
        "There is no such conference.",
    )


def test_exports_need_sign_in_or_a_feed_secret() -> None:
    published(talks=1)
    member = make_person()
    token = calendar_feed_token_regenerate(person=member, actor=member)
    anonymous = Client()

    without = anonymous.get("/devdays/schedule.ics")
    with_key = anonymous.get(f"/devdays/schedule.ics?key={token.secret}")
    wrong_key = anonymous.get("/devdays/schedule.ics?key=guessed")

    assert (without.status_code, without["Location"]) == (
        302,
        "/accounts/login/?next=/devdays/schedule.ics",
    )
    assert (with_key.status_code, with_key.content.startswith(b"BEGIN:VCALENDAR")) == (200, True)
    assert (wrong_key.status_code, wrong_key.content.decode()) == (
        404,
        "There is no calendar feed at this address.",
    )


def test_a_new_release_changes_the_export_at_once() -> None:
    built = published(talks=2)
    client = signed_in(built.enabler)
    before = json.loads(client.get("/devdays/schedule.json").content)  # now cached
    occurrence_update(
        occurrence=built.talks[0].session.occurrences.get(),
        actor=built.enabler,
        start=datetime(2030, 6, 5, 12, 0, tzinfo=UTC),
        end=datetime(2030, 6, 5, 12, 45, tzinfo=UTC),
    )
    assert json.loads(client.get("/devdays/schedule.json").content) == before  # not published

    release_publish(actor=built.enabler, conference=built.conference)
    after = json.loads(client.get("/devdays/schedule.json").content)
    ics = icalendar.Calendar.from_ical(client.get("/devdays/schedule.ics").content)

    moved = str(built.talks[0].guid)
    assert (before["schedule"]["version"], after["schedule"]["version"]) == ("1", "2")
    assert [e["date"] for e in events_of(before) if e["guid"] == moved] == [
        "2030-06-04T10:00:00+02:00"
    ]
    assert [e["date"] for e in events_of(after) if e["guid"] == moved] == [
        "2030-06-05T14:00:00+02:00"
    ]
    assert {e["SEQUENCE"] for e in ics.walk("VEVENT")} == {2}


def test_an_unchanged_export_is_answered_304_to_its_etag() -> None:
    built = published(talks=1)
    client = signed_in(built.enabler)
    first = client.get("/devdays/schedule.xml")

    again = client.get("/devdays/schedule.xml", headers={"if-none-match": first["ETag"]})

    assert (again.status_code, again.content) == (304, b"")


def _export_queries(client: Client, url: str, *, cold: bool) -> int:
    client.get(url)  # the session and the person are read once, as every page does
    if cold:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize("fmt", ["json", "xml", "ics"])
def test_exports_take_the_same_queries_for_3_and_30_talks(fmt: str) -> None:
    member = make_person()
    token = calendar_feed_token_regenerate(person=member, actor=member)
    counts = {}
    for size, slug in ((3, "small-conf"), (30, "large-conf")):
        published(talks=size, slug=slug)
        url = f"/{slug}/schedule.{fmt}?key={token.secret}"
        counts[size] = (
            _export_queries(Client(), url, cold=True),
            _export_queries(Client(), url, cold=False),
        )

    # The feed secret, the newest release's number, and (cold) its document.
    assert counts == {3: (3, 2), 30: (3, 2)}


@pytest.mark.django_db(transaction=True)
def test_many_readers_at_once_all_get_the_export() -> None:
    built = published(talks=30)
    token = calendar_feed_token_regenerate(person=built.enabler, actor=built.enabler)
    # 200 on SQLite; on PostgreSQL each thread holds a connection, and the server allows 100.
    readers = 200 if connection.vendor == "sqlite" else 40
    start = threading.Barrier(readers)
    expected = Release.objects.get().number

    def read(n: int) -> tuple[int, str]:
        try:
            start.wait()
            fmt = ("json", "xml", "ics")[n % 3]
            response = Client().get(f"/devdays/schedule.{fmt}?key={token.secret}")
            return response.status_code, response["ETag"]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=readers) as pool:
        answers = list(pool.map(read, range(readers)))

    assert {status for status, _ in answers} == {200}
    assert {etag.split("-")[1] for _, etag in answers} == {str(expected)}
