"""Finding a time through the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.accounts.services import api_token_create
from knowflow.events.models import Occurrence
from tests.factories import make_circle, make_person, make_session


@pytest.fixture(autouse=True)
def _fixed_clock() -> Iterator[None]:
    """A fixed today (Tuesday 1 December 2026, ticking): find a time proposes nothing inside
    the lead time from today, and the windows below are fixed dates."""
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), tick=True):
        yield


def _client(person: object) -> Client:
    _, secret = api_token_create(person=person, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _circle_with_three_zones() -> object:
    circle = make_circle(name="Frontend guild")
    for tz in ["Europe/Berlin", "Europe/Paris", "America/New_York"]:
        circle.memberships.create(person=make_person(tz=tz))
    return circle


@pytest.mark.django_db
def test_find_a_time_returns_explained_proposals_and_optimal_repeats() -> None:
    circle = _circle_with_three_zones()
    client = _client(make_person())
    body = {
        "audience": {"circle": circle.slug},
        "duration_min": 60,
        "window_start": "2027-01-11T00:00:00Z",
        "window_end": "2027-01-12T00:00:00Z",
        "series_weeks": 4,
    }

    response = client.post(
        "/api/v1/planning/find-a-time", json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 200
    data = response.json()
    assert data["audience_size"] == 3
    best = data["proposals"][0]
    assert best["covered_people"] == 3
    assert datetime.fromisoformat(best["start"]) == datetime(2027, 1, 11, 14, 0, tzinfo=UTC)
    assert {line["label"]: (line["inside"], line["total"]) for line in best["explanation"]} == {
        "AMER": (1, 1),
        "EMEA": (2, 2),
    }
    assert [r["k"] for r in data["repeats"]] == [2, 3]
    assert all(r["optimal"] and r["share"] == 1.0 for r in data["repeats"])
    assert len(data["series"]["starts"]) == 4


@pytest.mark.django_db
def test_find_a_time_with_empty_audience_is_a_400_naming_the_audience() -> None:
    empty = make_circle(name="Empty")
    client = _client(make_person())
    body = {
        "audience": {"circle": empty.slug},
        "duration_min": 60,
        "window_start": "2027-01-11T00:00:00Z",
        "window_end": "2027-01-12T00:00:00Z",
    }

    response = client.post(
        "/api/v1/planning/find-a-time", json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["field"] == "audience"


@pytest.mark.django_db
def test_find_a_time_with_zero_duration_is_a_422_naming_the_field() -> None:
    client = _client(make_person())
    body = {
        "audience": {"people": [1]},
        "duration_min": 0,
        "window_start": "2027-01-11T00:00:00Z",
        "window_end": "2027-01-12T00:00:00Z",
    }

    response = client.post(
        "/api/v1/planning/find-a-time", json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 422
    assert response.json()["field"] == "duration_min"


@pytest.mark.django_db
def test_create_plan_via_api_creates_occurrences_and_refuses_the_past() -> None:
    speaker = make_person()
    session = make_session(speakers=[speaker])
    client = _client(speaker)
    future = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    past = timezone.now() - timedelta(days=3)

    refused = client.post(
        f"/api/v1/planning/sessions/{session.pk}/occurrences",
        json.dumps(
            {
                "starts": [future.isoformat(), past.isoformat()],
                "duration_min": 30,
                "capacity": 9,
                "online_url": "https://m.example.org",
            }
        ),
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["field"] == "starts"
    assert Occurrence.objects.filter(session=session).count() == 0

    created = client.post(
        f"/api/v1/planning/sessions/{session.pk}/occurrences",
        json.dumps(
            {
                "starts": [future.isoformat()],
                "duration_min": 30,
                "capacity": 9,
                "online_url": "https://m.example.org",
            }
        ),
        content_type="application/json",
    )
    assert created.status_code == 201
    occurrence = Occurrence.objects.get(pk=created.json()["occurrence_ids"][0])
    assert (occurrence.start, occurrence.end - occurrence.start) == (future, timedelta(minutes=30))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "midnight"),
    [
        ("America/New_York", "2027-03-08T00:00:00-05:00"),
        ("Asia/Kolkata", "2027-03-08T00:00:00+05:30"),
    ],
)
def test_find_a_time_series_starts_on_the_organisers_local_monday(zone: str, midnight: str) -> None:
    circle = _circle_with_three_zones()
    member = make_person(tz=zone)
    body = {
        "audience": {"circle": circle.slug},
        "duration_min": 60,
        "window_start": midnight,
        "window_end": "2027-03-15T00:00:00Z",
        "series_weeks": 3,
    }

    response = _client(member).post(
        "/api/v1/planning/find-a-time", json.dumps(body), content_type="application/json"
    )

    data = response.json()
    assert data["series"]["first_date"] == "2027-03-08"
    local = [datetime.fromisoformat(s).astimezone(ZoneInfo(zone)) for s in data["series"]["starts"]]
    # New York changes to daylight saving on 14 March: still Mondays there.
    assert [f"{moment:%a %d %b}" for moment in local] == ["Mon 08 Mar", "Mon 15 Mar", "Mon 22 Mar"]
    days = [
        datetime.fromisoformat(p["start"]).astimezone(ZoneInfo(zone)).date()
        for p in data["proposals"]
    ]
    assert len(set(days)) == len(days) == 5


@pytest.mark.django_db
def test_find_a_time_gives_a_member_counts_not_names() -> None:
    circle = _circle_with_three_zones()
    body = {
        "audience": {"circle": circle.slug},
        "duration_min": 60,
        "window_start": "2027-01-11T13:00:00Z",
        "window_end": "2027-01-11T14:00:00Z",
        "repeats": [],
    }

    def amer(person: object) -> dict:
        response = _client(person).post(
            "/api/v1/planning/find-a-time", json.dumps(body), content_type="application/json"
        )
        lines = response.json()["proposals"][0]["explanation"]
        return next(line for line in lines if line["label"] == "AMER")

    as_member = amer(make_person())
    as_enabler = amer(make_person(role=Person.Role.ENABLER))

    assert (as_member["early_count"], as_member["early"]) == (1, [])
    assert as_enabler["early_count"] == 1
    assert [name.split(" (")[1] for name in as_enabler["early"]] == ["Mon 08:00 America/New_York)"]
