"""The public API, /api/v1/: documents, token auth, resources, and JSON errors that name the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from knowflow.accounts.models import Person
from knowflow.accounts.services import api_token_create, api_token_revoke
from knowflow.circles.models import Circle, Membership
from knowflow.events.models import Occurrence, Registration, Session
from knowflow.topics.models import Topic
from tests.factories import (
    make_circle,
    make_occurrence,
    make_office,
    make_person,
    make_room,
    make_session,
    make_topic,
    org_unit,
)

pytestmark = pytest.mark.django_db

START = datetime(2030, 6, 3, 9, 0, tzinfo=UTC)


def api_client(person: Person) -> Client:
    _, secret = api_token_create(person=person, name="tests")
    return Client(headers={"Authorization": f"Bearer {secret}"})


def post(client: Client, url: str, payload: object) -> object:
    return client.post(url, data=payload, content_type="application/json")


def patch(client: Client, url: str, payload: object) -> object:
    return client.patch(url, data=payload, content_type="application/json")


# --- documents and auth -----------------------------------------------------------------


def test_openapi_document_has_every_path_and_method() -> None:
    response = api_client(make_person()).get("/api/v1/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    expected = {
        "/api/v1/topics/": {"get", "post"},
        "/api/v1/topics/{topic_id}": {"get", "patch"},
        "/api/v1/circles/": {"get", "post"},
        "/api/v1/circles/{circle_id}": {"get", "patch"},
        "/api/v1/circles/{circle_id}/members": {"post"},
        "/api/v1/sessions/": {"get", "post"},
        "/api/v1/sessions/{session_id}": {"get", "patch"},
        "/api/v1/occurrences/": {"get", "post"},
        "/api/v1/occurrences/{occurrence_id}": {"get", "patch"},
        "/api/v1/registrations/": {"get", "post"},
        "/api/v1/registrations/{registration_id}": {"get", "patch"},
        "/api/v1/people/": {"get"},
        "/api/v1/people/{person_id}": {"get"},
    }
    assert {path: set(paths[path]) for path in expected} == expected


def test_docs_page_serves_the_interactive_docs_without_a_cdn(settings) -> None:  # noqa: ANN001
    settings.KNOWFLOW_API_DOCS_PUBLIC = True
    response = Client().get("/api/v1/docs")

    html = response.content.decode()
    assert response.status_code == 200
    assert "/api/v1/openapi.json" in html
    assert "swagger-ui-bundle.js" in html
    assert "cdn." not in html
    assert "https://" not in html


def test_request_without_a_token_is_401_json() -> None:
    response = Client().get("/api/v1/sessions/")

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication required: send 'Authorization: Bearer <token>'."
    }


def test_request_with_an_unknown_or_revoked_token_is_401() -> None:
    person = make_person()
    token, secret = api_token_create(person=person, name="old")
    api_token_revoke(token=token, actor=person)

    revoked = Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/people/me")
    unknown = Client(headers={"Authorization": "Bearer kf_made-up"}).get("/api/v1/people/me")

    assert (revoked.status_code, unknown.status_code) == (401, 401)


def test_people_me_answers_with_the_token_owner() -> None:
    person = make_person(name="Tia Token", tz="Asia/Kolkata")

    response = api_client(person).get("/api/v1/people/me")

    assert response.status_code == 200
    assert response.json()["display_name"] == "Tia Token"
    assert response.json()["timezone"] == "Asia/Kolkata"


# --- people -----------------------------------------------------------------------------


def test_people_list_and_detail_read_the_directory() -> None:
    rust = make_topic("Rust")
    ada = make_person(
        name="Ada",
        tz="Europe/Berlin",
        office=make_office("Berlin"),
        org_unit=org_unit("Platform"),
        skills=[rust],
    )
    make_person(name="Bo", tz="Asia/Kolkata")
    client = api_client(make_person(name="Viewer"))

    listing = client.get("/api/v1/people/?timezone=Europe/Berlin")
    detail = client.get(f"/api/v1/people/{ada.pk}")

    assert listing.status_code == 200
    assert [p["display_name"] for p in listing.json()["items"]] == ["Ada"]
    assert detail.json() == {
        "id": ada.pk,
        "display_name": "Ada",
        "slug": "ada",
        "timezone": "Europe/Berlin",
        "working_hours": [["09:00", "17:00"]] * 5 + [None, None],
        "office": "Berlin",
        "org_unit": "Platform",
        "languages": [],
        "skills": [rust.slug],
    }


def test_people_are_read_only() -> None:
    client = api_client(make_person())

    response = post(client, "/api/v1/people/", {"display_name": "New"})

    assert response.status_code == 405
    assert Person.objects.count() == 1


# --- topics -----------------------------------------------------------------------------


def test_topics_create_list_detail_and_update_by_an_enabler() -> None:
    client = api_client(make_person(role=Person.Role.ENABLER))

    created = post(
        client, "/api/v1/topics/", {"name": "Machine learning", "synonyms": ["ML", " ml ", "AI/ML"]}
    )
    topic_id = created.json()["id"]
    updated = patch(client, f"/api/v1/topics/{topic_id}", {"description": "Models that learn"})
    listing = client.get("/api/v1/topics/")
    detail = client.get(f"/api/v1/topics/{topic_id}")

    assert created.status_code == 201
    assert created.json() == {
        "id": topic_id,
        "name": "Machine learning",
        "slug": "machine-learning",
        "synonyms": ["AI/ML", "ML"],
        "parent_id": None,
        "description": "",
    }
    assert updated.status_code == 200
    assert [t["name"] for t in listing.json()] == ["Machine learning"]
    assert detail.json()["description"] == "Models that learn"


def test_topics_create_duplicate_is_409_naming_the_field() -> None:
    make_topic("Rust")
    client = api_client(make_person(role=Person.Role.ENABLER))

    response = post(client, "/api/v1/topics/", {"name": "rust"})

    assert response.status_code == 409
    assert response.json() == {"detail": "The topic rust exists already.", "field": "name"}
    assert Topic.objects.count() == 1


# --- circles ----------------------------------------------------------------------------


def test_circles_create_list_detail_and_update() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    champion, topic = make_person(), make_topic("Security")
    client = api_client(enabler)

    created = post(
        client,
        "/api/v1/circles/",
        {
            "name": "Security guild",
            "visibility": "invite_only",
            "topic_ids": [topic.pk],
            "champion_ids": [champion.pk],
        },
    )
    circle_id = created.json()["id"]
    updated = patch(
        api_client(champion), f"/api/v1/circles/{circle_id}", {"mission": "Safer software"}
    )

    assert created.status_code == 201
    assert created.json() == {
        "id": circle_id,
        "name": "Security guild",
        "slug": "security-guild",
        "mission": "",
        "scope": "",
        "cadence": "monthly",
        "visibility": "invite_only",
        "state": "forming",
        "topics": [topic.slug],
    }
    assert updated.status_code == 200
    assert updated.json()["mission"] == "Safer software"
    assert [c["name"] for c in client.get("/api/v1/circles/").json()] == ["Security guild"]
    assert client.get(f"/api/v1/circles/{circle_id}").json()["mission"] == "Safer software"
    assert Membership.objects.get().role == "champion"


def test_circles_join_open_and_refused_for_invite_only() -> None:
    person = make_person()
    open_circle, closed = make_circle(), make_circle(visibility="invite_only")
    client = api_client(person)

    joined = client.post(f"/api/v1/circles/{open_circle.pk}/join")
    refused = client.post(f"/api/v1/circles/{closed.pk}/join")
    left = client.post(f"/api/v1/circles/{open_circle.pk}/leave")

    assert joined.status_code == 201
    assert joined.json() == {"circle_id": open_circle.pk, "person_id": person.pk, "role": "member"}
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "This circle is invite-only: ask one of its champions to add you.",
        "field": None,
    }
    assert left.status_code == 204
    assert Membership.objects.count() == 0


def test_circles_members_added_by_a_champion() -> None:
    champion, newcomer = make_person(), make_person()
    circle = make_circle(visibility="invite_only", champions=[champion])

    response = post(
        api_client(champion), f"/api/v1/circles/{circle.pk}/members", {"person_id": newcomer.pk}
    )
    unknown = post(
        api_client(champion), f"/api/v1/circles/{circle.pk}/members", {"person_id": 999999}
    )

    assert response.status_code == 201
    assert response.json() == {"circle_id": circle.pk, "person_id": newcomer.pk, "role": "member"}
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "There is no person with id 999999.", "field": "person_id"}


# --- sessions ---------------------------------------------------------------------------


def test_sessions_create_list_detail_and_update() -> None:
    speaker, co_speaker, topic = make_person(), make_person(), make_topic("Kotlin")
    client = api_client(speaker)

    created = post(
        client,
        "/api/v1/sessions/",
        {
            "title": "Coroutines",
            "abstract": "*fast*",
            "format": "workshop",
            "topic_ids": [topic.pk],
        },
    )
    session_id = created.json()["id"]
    updated = patch(
        client,
        f"/api/v1/sessions/{session_id}",
        {"title": "Coroutines in depth", "speaker_ids": [speaker.pk, co_speaker.pk]},
    )
    listing = client.get(f"/api/v1/sessions/?topic={topic.slug}")

    assert created.status_code == 201
    assert created.json() == {
        "id": session_id,
        "title": "Coroutines",
        "slug": "coroutines",
        "abstract": "*fast*",
        "format": "workshop",
        "level": "introductory",
        "language": "en",
        "status": "proposed",
        "circle_id": None,
        "topics": [topic.slug],
        "speaker_ids": [speaker.pk],
        "occurrences": [],
    }
    assert updated.status_code == 200
    assert updated.json()["title"] == "Coroutines in depth"
    assert sorted(updated.json()["speaker_ids"]) == sorted([speaker.pk, co_speaker.pk])
    assert listing.json()["count"] == 1
    assert [s["title"] for s in listing.json()["items"]] == ["Coroutines in depth"]
    assert client.get(f"/api/v1/sessions/{session_id}").json()["title"] == "Coroutines in depth"


def test_sessions_update_someone_elses_is_403_and_writes_nothing() -> None:
    session = make_session(title="Theirs")

    response = patch(api_client(make_person()), f"/api/v1/sessions/{session.pk}", {"title": "Mine"})

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only the session's speakers, its circle's champions and enablers can edit it.",
        "field": None,
    }
    assert Session.objects.get(pk=session.pk).title == "Theirs"


# --- occurrences ------------------------------------------------------------------------


def test_occurrences_create_list_detail_and_update() -> None:
    speaker = make_person()
    session = make_session(speakers=[speaker])
    room = make_room(capacity=30)
    client = api_client(speaker)

    created = post(
        client,
        "/api/v1/occurrences/",
        {
            "session_id": session.pk,
            "start": "2030-06-03T14:30:00+05:30",
            "end": "2030-06-03T15:30:00+05:30",
            "room_id": room.pk,
            "capacity": 20,
        },
    )
    occurrence_id = created.json()["id"]
    updated = patch(client, f"/api/v1/occurrences/{occurrence_id}", {"capacity": 25})
    listing = client.get(f"/api/v1/occurrences/?session_id={session.pk}")

    assert created.status_code == 201
    assert created.json() == {
        "id": occurrence_id,
        "session_id": session.pk,
        "start": "2030-06-03T09:00:00Z",
        "end": "2030-06-03T10:00:00Z",
        "room_id": room.pk,
        "online_url": "",
        "capacity": 20,
        "mode": "in the room",
        "cancelled_at": None,
    }
    assert updated.json()["capacity"] == 25
    assert [o["id"] for o in listing.json()["items"]] == [occurrence_id]
    assert client.get(f"/api/v1/occurrences/{occurrence_id}").json()["capacity"] == 25


def test_occurrences_double_booked_room_is_409_naming_room_and_writes_nothing() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    room = make_room(name="Lovelace")
    make_occurrence(session=make_session(title="First"), room=room, start=START)
    session = make_session()

    response = post(
        api_client(enabler),
        "/api/v1/occurrences/",
        {
            "session_id": session.pk,
            "start": "2030-06-03T09:30:00Z",
            "end": "2030-06-03T10:30:00Z",
            "room_id": room.pk,
            "capacity": 5,
        },
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Lovelace is already booked for “First” from 2030-06-03 09:00 to 10:00 UTC.",
        "field": "room",
    }
    assert Occurrence.objects.filter(session=session).count() == 0


def test_occurrences_end_before_start_is_400_naming_end() -> None:
    speaker = make_person()
    session = make_session(speakers=[speaker])

    response = post(
        api_client(speaker),
        "/api/v1/occurrences/",
        {
            "session_id": session.pk,
            "start": "2030-06-03T10:00:00Z",
            "end": "2030-06-03T09:00:00Z",
            "online_url": "https://meet.example.org/x",
            "capacity": 5,
        },
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "The end must be after the start.", "field": "end"}
    assert Occurrence.objects.count() == 0


# --- registrations ----------------------------------------------------------------------


def test_registrations_create_list_detail_and_cancel() -> None:
    person = make_person()
    occurrence = make_occurrence(capacity=1)
    waiting = make_person()
    client = api_client(person)

    created = post(client, "/api/v1/registrations/", {"occurrence_id": occurrence.pk})
    registration_id = created.json()["id"]
    second = post(api_client(waiting), "/api/v1/registrations/", {"occurrence_id": occurrence.pk})
    listing = client.get("/api/v1/registrations/")
    detail = client.get(f"/api/v1/registrations/{registration_id}")
    cancelled = patch(client, f"/api/v1/registrations/{registration_id}", {"status": "cancelled"})

    assert created.status_code == 201
    assert (created.json()["person_id"], created.json()["status"]) == (person.pk, "going")
    assert second.json()["status"] == "waitlisted"
    assert [r["id"] for r in listing.json()["items"]] == [registration_id]
    assert detail.json()["status"] == "going"
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert Registration.objects.get(person=waiting).status == "going"


def test_registrations_twice_is_409_and_writes_nothing() -> None:
    person = make_person(name="Dup Dan")
    occurrence = make_occurrence()
    client = api_client(person)
    post(client, "/api/v1/registrations/", {"occurrence_id": occurrence.pk})

    response = post(client, "/api/v1/registrations/", {"occurrence_id": occurrence.pk})

    assert response.status_code == 409
    assert response.json() == {"detail": "Dup Dan is already registered (going).", "field": None}
    assert Registration.objects.count() == 1


def test_registrations_status_other_than_cancelled_is_refused_naming_status() -> None:
    person = make_person()
    occurrence = make_occurrence()
    client = api_client(person)
    registration_id = post(
        client, "/api/v1/registrations/", {"occurrence_id": occurrence.pk}
    ).json()["id"]

    response = patch(client, f"/api/v1/registrations/{registration_id}", {"status": "going"})

    assert response.status_code == 422
    assert response.json()["field"] == "status"
    assert Registration.objects.get(pk=registration_id).status == Registration.Status.GOING


def test_registrations_of_someone_else_are_hidden_from_a_member() -> None:
    owner = make_person()
    occurrence = make_occurrence()
    registration_id = post(
        api_client(owner), "/api/v1/registrations/", {"occurrence_id": occurrence.pk}
    ).json()["id"]

    response = api_client(make_person()).get(f"/api/v1/registrations/{registration_id}")

    assert response.status_code == 403
    assert response.json() == {"detail": "This is someone else's registration.", "field": None}


# --- bad input --------------------------------------------------------------------------


def test_malformed_json_is_400_naming_the_problem_and_writes_nothing() -> None:
    client = api_client(make_person())

    response = client.post(
        "/api/v1/sessions/", data='{"title": "Broken",', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request body is not valid JSON: Expecting property name enclosed in double quotes (line 1, column 20).",
        "field": None,
    }
    assert Session.objects.count() == 0


def test_missing_field_is_422_naming_it() -> None:
    response = post(api_client(make_person()), "/api/v1/sessions/", {"abstract": "no title"})

    assert response.status_code == 422
    assert response.json() == {
        "detail": "title: Field required",
        "field": "title",
        "errors": [{"field": "title", "message": "Field required"}],
    }
    assert Session.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"capacity": 0}, "capacity", "Input should be greater than or equal to 1"),
        (
            {"capacity": "many"},
            "capacity",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        ({"start": "2030-06-03T10:00:00"}, "start", "Input should have timezone info"),
        ({"start": "next tuesday"}, "start", None),
    ],
)
def test_invalid_field_is_422_naming_it(payload: dict, field: str, message: str | None) -> None:
    speaker = make_person()
    session = make_session(speakers=[speaker])
    body = {
        "session_id": session.pk,
        "start": "2030-06-03T10:00:00Z",
        "end": "2030-06-03T11:00:00Z",
        "online_url": "https://x.example.org",
        "capacity": 5,
    }
    body.update(payload)

    response = post(api_client(speaker), "/api/v1/occurrences/", body)

    assert response.status_code == 422
    assert response.json()["field"] == field
    if message:
        assert response.json()["errors"] == [{"field": field, "message": message}]
    assert Occurrence.objects.count() == 0


def test_invalid_choice_is_422_naming_the_field_and_the_choices() -> None:
    response = post(
        api_client(make_person()), "/api/v1/sessions/", {"title": "Ok", "format": "keynote"}
    )

    assert response.status_code == 422
    assert response.json()["field"] == "format"
    assert "'workshop'" in response.json()["detail"]  # the document's enum, said in the message
    assert Session.objects.count() == 0


def test_unknown_related_id_in_a_list_is_404_naming_the_field() -> None:
    response = post(
        api_client(make_person()), "/api/v1/sessions/", {"title": "Ok", "topic_ids": [424242]}
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "Unknown topic id(s): 424242.", "field": "topic_ids"}
    assert Session.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("/api/v1/topics/987654", "There is no topic with id 987654."),
        ("/api/v1/circles/987654", "There is no circle with id 987654."),
        ("/api/v1/sessions/987654", "There is no session with id 987654."),
        ("/api/v1/occurrences/987654", "There is no occurrence with id 987654."),
        ("/api/v1/registrations/987654", "There is no registration with id 987654."),
        ("/api/v1/people/987654", "There is no person with id 987654."),
    ],
)
def test_unknown_id_is_404_json(url: str, detail: str) -> None:
    response = api_client(make_person()).get(url)

    assert response.status_code == 404
    assert response.json() == {"detail": detail, "field": None}


def test_unknown_id_in_the_body_is_404_naming_the_field() -> None:
    response = post(api_client(make_person()), "/api/v1/registrations/", {"occurrence_id": 987654})

    assert response.status_code == 404
    assert response.json() == {
        "detail": "There is no occurrence with id 987654.",
        "field": "occurrence_id",
    }
    assert Registration.objects.count() == 0


def test_circles_create_by_a_member_makes_them_champion() -> None:
    member = make_person()
    response = post(api_client(member), "/api/v1/circles/", {"name": "Mine", "cadence": "weekly"})

    assert response.status_code == 201
    assert (response.json()["cadence"], response.json()["state"]) == ("weekly", "forming")
    assert list(Membership.objects.values_list("person_id", "role")) == [(member.pk, "champion")]


def test_circles_create_naming_other_champions_as_a_member_is_403_and_writes_nothing() -> None:
    response = post(
        api_client(make_person()),
        "/api/v1/circles/",
        {"name": "Mine", "champion_ids": [make_person().pk]},
    )

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only enablers name other people as a new circle's champions.",
        "field": None,
    }
    assert Circle.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    ["/api/v1/sessions/?limit=50", "/api/v1/occurrences/?limit=50", "/api/v1/people/?limit=50"],
)
def test_list_query_count_does_not_grow_with_rows(
    url: str, django_assert_num_queries: object
) -> None:
    client = api_client(make_person())
    topic = make_topic()

    def add(n: int) -> None:
        for i in range(n):
            session = make_session(speakers=[make_person(skills=[topic]), make_person()])
            session.topics.set([topic])
            make_occurrence(session=session, start=START + timedelta(hours=i))

    add(3)
    client.get(url)  # the first request also stamps the token's last use
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    add(27)

    with django_assert_num_queries(len(small)):
        response = client.get(url)
    assert len(response.json()["items"]) >= 30
