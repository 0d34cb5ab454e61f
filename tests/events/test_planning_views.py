"""The find-a-time page: what an organiser sees, and the one-click creation."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from django.utils import timezone

from knowflow.events.models import Occurrence
from tests.conftest import signed_in
from tests.factories import make_circle, make_person, make_session


def _audience() -> tuple[object, object]:
    speaker = make_person(name="Sam Speaker", tz="Europe/Berlin")
    circle = make_circle(name="Data guild")
    for n, tz in enumerate(
        ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]
    ):
        circle.memberships.create(person=make_person(name=f"Member {n}", tz=tz))
    session = make_session(speakers=[speaker], circle=circle, title="Query plans")
    return speaker, session


def _query(session: object, **extra: str) -> dict:
    monday = (timezone.now() + timedelta(days=7)).date()
    params = {
        "circle": session.circle.slug,
        "speakers": ",".join(s.slug for s in session.speakers.all()),
        "duration": "60",
        "first_day": monday.isoformat(),
        "days": "7",
        "step": "30",
        "label_by": "region",
        "tz": "Europe/Berlin",
        "series_weeks": "4",
        "series_step": "7",
    }
    params.update(extra)
    return params


@pytest.mark.django_db
def test_find_time_page_shows_heatmap_proposals_repeats_and_series() -> None:
    speaker, session = _audience()

    response = signed_in(speaker).get(f"/sessions/{session.slug}/find-a-time/", _query(session))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<svg class="heatmap"' in page
    assert page.count("Create this occurrence") == 5
    assert "2 occurrences:" in page and "3 occurrences:" in page
    assert "Fair rotation for the series" in page
    assert page.count("use this plan") == 4  # the curve has five points; the fairest is shown
    assert "<strong>5</strong> people in the audience" in page


@pytest.mark.django_db
def test_find_time_page_names_field_for_an_unknown_speaker() -> None:
    speaker, session = _audience()

    response = signed_in(speaker).get(
        f"/sessions/{session.slug}/find-a-time/", _query(session, speakers="nobody-at-all")
    )

    assert response.status_code == 200
    assert "Unknown people: nobody-at-all." in response.content.decode()
    assert '<svg class="heatmap"' not in response.content.decode()


@pytest.mark.django_db
def test_find_time_page_says_which_speaker_is_never_available() -> None:
    speaker, session = _audience()
    speaker.working_hours = [None] * 7
    speaker.save()

    response = signed_in(speaker).get(f"/sessions/{session.slug}/find-a-time/", _query(session))

    assert response.status_code == 200
    page = response.content.decode()
    assert "The speaker Sam Speaker is never inside working hours in the window." in page
    assert '<svg class="heatmap"' not in page


@pytest.mark.django_db
def test_create_from_plan_creates_occurrences_for_the_speaker() -> None:
    speaker, session = _audience()
    start = (timezone.now() + timedelta(days=10)).replace(microsecond=0)

    response = signed_in(speaker).post(
        f"/sessions/{session.slug}/find-a-time/create/",
        {
            "start": [start.isoformat(), (start + timedelta(hours=9)).isoformat()],
            "duration": "60",
            "capacity": "40",
            "online_url": "https://meet.example.org/q",
        },
    )

    assert response.status_code == 302
    assert sorted(o.start for o in Occurrence.objects.filter(session=session)) == [
        start,
        start + timedelta(hours=9),
    ]


@pytest.mark.django_db
def test_create_from_plan_is_refused_to_someone_who_cannot_edit_the_session() -> None:
    _, session = _audience()
    stranger = make_person(name="Stranger")
    start = timezone.now() + timedelta(days=10)

    client = signed_in(stranger)
    response = client.post(
        f"/sessions/{session.slug}/find-a-time/create/",
        {
            "start": [start.isoformat()],
            "duration": "60",
            "capacity": "40",
            "online_url": "https://x.example.org",
        },
        follow=True,
    )

    assert Occurrence.objects.filter(session=session).count() == 0
    assert "Only the session's speakers" in html.unescape(response.content.decode())
