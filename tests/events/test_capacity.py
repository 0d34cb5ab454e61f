"""Lowering a date's capacity below the number going is refused everywhere, and changes nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from knowflow.accounts.services import api_token_create
from knowflow.errors import Conflict
from knowflow.events.models import Occurrence, Registration
from knowflow.events.services import occurrence_update, registration_create
from tests.conftest import signed_in
from tests.factories import make_occurrence, make_person, make_session

pytestmark = pytest.mark.django_db

START = datetime(2030, 6, 3, 10, 0, tzinfo=UTC)
REFUSAL = (
    "6 people are going, so the capacity cannot be lower than 6; "
    "cancel registrations first to make it smaller."
)


@pytest.fixture
def six_going() -> tuple:
    speaker = make_person(tz="UTC")
    occurrence = make_occurrence(session=make_session(speakers=[speaker]), start=START, capacity=10)
    for _ in range(6):
        person = make_person()
        registration_create(occurrence=occurrence, person=person, actor=person)
    return speaker, occurrence


def _state(occurrence: Occurrence) -> tuple:
    occurrence.refresh_from_db()
    statuses = sorted(occurrence.registrations.values_list("status", flat=True))
    return occurrence.capacity, occurrence.sequence, statuses


def test_service_refuses_a_capacity_below_the_number_going(six_going: tuple) -> None:
    speaker, occurrence = six_going
    before = _state(occurrence)

    with pytest.raises(Conflict) as refused:
        occurrence_update(occurrence=occurrence, actor=speaker, capacity=2)

    assert (refused.value.message, refused.value.field) == (REFUSAL, "capacity")
    assert _state(occurrence) == before == (10, 0, ["going"] * 6)


def test_service_accepts_a_capacity_equal_to_the_number_going(six_going: tuple) -> None:
    speaker, occurrence = six_going

    occurrence_update(occurrence=occurrence, actor=speaker, capacity=6)

    assert _state(occurrence) == (6, 0, ["going"] * 6)


def test_edit_page_shows_the_refusal_at_the_capacity_field(six_going: tuple) -> None:
    speaker, occurrence = six_going
    before = _state(occurrence)

    response = signed_in(speaker).post(
        f"/sessions/occurrences/{occurrence.pk}/edit/",
        {
            "start": "2030-06-03T10:00",
            "end": "2030-06-03T11:00",
            "zone": "UTC",
            "room": "",
            "online_url": occurrence.online_url,
            "capacity": "2",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert re.findall(r'<ul class="errorlist"[^>]*><li>([^<]+)</li>', page) == [REFUSAL]
    assert _state(occurrence) == before


def test_api_refuses_with_409_naming_the_capacity(six_going: tuple) -> None:
    speaker, occurrence = six_going
    _, secret = api_token_create(person=speaker, name="tests")
    before = _state(occurrence)

    response = Client(headers={"Authorization": f"Bearer {secret}"}).patch(
        f"/api/v1/occurrences/{occurrence.pk}",
        data={"capacity": 2},
        content_type="application/json",
    )

    assert (response.status_code, response.json()) == (
        409,
        {"detail": REFUSAL, "field": "capacity"},
    )
    assert _state(occurrence) == before
    assert Registration.objects.filter(status="waitlisted").count() == 0
