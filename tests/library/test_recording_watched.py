"""“I watched the recording”: a later viewer counts as attending and is asked for feedback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from knowflow.errors import Conflict, DomainError
from knowflow.events.models import Attendance
from knowflow.feedback.models import SurveyRequest
from knowflow.feedback.services.requests import feedback_requests_create_due
from knowflow.library.models import Resource
from knowflow.library.services import recording_watched
from tests.conftest import signed_in
from tests.factories import make_occurrence, make_person, make_session
from tests.feedback.helpers import ended_occurrence

pytestmark = pytest.mark.django_db


def recorded_session(title: str = "Kafka basics"):
    occurrence = ended_occurrence(session=make_session(title=title, status="done"), days_ago=3)
    Resource.objects.create(
        kind="recording",
        title=f"{title} (recording)",
        slug="kafka-basics-recording",
        url="https://video.example.org/kafka",
        session=occurrence.session,
    )
    return occurrence.session, occurrence


def test_watching_the_recording_is_a_self_reported_attendance_asked_for_feedback() -> None:
    session, occurrence = recorded_session()
    viewer = make_person(name="Val Viewer")

    recording_watched(session=session, person=viewer)
    recording_watched(session=session, person=viewer)  # pressing twice changes nothing
    feedback_requests_create_due(now=timezone.now() + timedelta(minutes=5))

    assert list(
        Attendance.objects.values_list("occurrence_id", "person_id", "mode", "self_reported")
    ) == [(occurrence.pk, viewer.pk, "recording", True)]
    assert SurveyRequest.objects.filter(person=viewer, occurrence=occurrence).exists()


def test_watching_is_refused_without_a_recording_or_before_the_session_took_place() -> None:
    not_recorded = ended_occurrence(session=make_session(status="done")).session
    upcoming = make_occurrence().session
    Resource.objects.create(
        kind="recording",
        title="Trailer",
        slug="trailer",
        url="https://v.example.org/t",
        session=upcoming,
    )
    viewer = make_person()

    with pytest.raises(DomainError) as no_recording:
        recording_watched(session=not_recorded, person=viewer)
    with pytest.raises(DomainError) as not_yet:
        recording_watched(session=upcoming, person=viewer)

    assert no_recording.value.message == "This session has no recording yet."
    assert not_yet.value.message == (
        "This session has not taken place yet, so there is no recording of it."
    )
    assert Attendance.objects.count() == 0


def test_someone_who_was_there_keeps_their_attendance() -> None:
    session, occurrence = recorded_session()
    ada = make_person()
    Attendance.objects.create(occurrence=occurrence, person=ada, mode="room")

    with pytest.raises(Conflict) as error:
        recording_watched(session=session, person=ada)

    assert error.value.message == (
        "You are already recorded as attending in the room; that counts for this session."
    )
    assert list(Attendance.objects.values_list("mode", "self_reported")) == [("room", False)]


def test_session_page_offers_the_button_and_then_thanks_the_viewer() -> None:
    session, occurrence = recorded_session()
    client = signed_in(make_person())
    url = f"/sessions/{session.slug}/"

    before = client.get(url).content.decode()
    after = client.post(f"/library/sessions/{session.pk}/watched/", follow=True).content.decode()

    assert "<button>I watched the recording</button>" in before
    assert '<a href="/library/kafka-basics-recording/">Kafka basics (recording)</a>' in before
    assert "Thank you: you count as a viewer of the recording." in after
    assert "<button>I watched the recording</button>" not in after
    assert 'id="recording-watched"' in after


def test_session_page_has_no_button_for_a_session_without_recording() -> None:
    session = ended_occurrence(session=make_session(status="done")).session

    html = signed_in(make_person()).get(f"/sessions/{session.slug}/").content.decode()

    assert "I watched the recording" not in html
