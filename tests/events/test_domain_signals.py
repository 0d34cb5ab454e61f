"""The domain signals other apps (chat, webhooks, xAPI) follow: sent once per real change, with
what happened, inside the change's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from knowflow.events import signals
from knowflow.events.attendance import attendance_record
from knowflow.events.services import (
    occurrence_cancel,
    occurrence_create,
    occurrence_update,
    registration_create,
    session_update,
)
from knowflow.library import signals as library_signals
from knowflow.library.models import Collection, CollectionItem, Resource
from knowflow.library.services import path_item_mark, resource_create
from tests.factories import make_occurrence, make_person, make_session

pytestmark = pytest.mark.django_db

SIGNALS = {
    "session_scheduled": signals.session_scheduled,
    "occurrence_changed": signals.occurrence_changed,
    "occurrence_cancelled": signals.occurrence_cancelled,
    "session_cancelled": signals.session_cancelled,
    "registration_created": signals.registration_created,
    "attendance_recorded": signals.attendance_recorded,
    "recording_published": library_signals.recording_published,
    "path_completed": library_signals.path_completed,
}


@pytest.fixture
def heard() -> Iterator[list[tuple[str, dict]]]:
    events: list[tuple[str, dict]] = []
    receivers = {}
    for name, signal in SIGNALS.items():

        def receiver(sender, _name=name, **kwargs):  # noqa: ANN001, ANN202
            kwargs.pop("signal", None)
            events.append((_name, kwargs))

        receivers[name] = receiver
        signal.connect(receiver, weak=False)
    yield events
    for name, signal in SIGNALS.items():
        signal.disconnect(receivers[name])


def names(heard: list[tuple[str, dict]]) -> list[str]:
    return [name for name, _ in heard]


def test_a_first_date_schedules_the_session_and_later_dates_are_added(heard) -> None:
    speaker = make_person()
    session = make_session(speakers=[speaker], status="proposed")
    start = timezone.now() + timedelta(days=5)

    first = occurrence_create(
        session=session,
        actor=speaker,
        start=start,
        end=start + timedelta(hours=1),
        capacity=10,
        online_url="https://meet.example.org/a",
    )
    second = occurrence_create(
        session=session,
        actor=speaker,
        start=start + timedelta(days=7),
        end=start + timedelta(days=7, hours=1),
        capacity=10,
        online_url="https://meet.example.org/a",
    )

    assert heard == [
        ("session_scheduled", {"session": session, "occurrence": first}),
        ("occurrence_changed", {"occurrence": second, "change": "added"}),
    ]


def test_moving_a_date_is_a_change_but_resizing_it_is_not(heard) -> None:
    occurrence = make_occurrence(capacity=5)
    speaker = occurrence.session.speakers.first()

    occurrence_update(occurrence=occurrence, actor=speaker, capacity=8)
    occurrence_update(
        occurrence=occurrence,
        actor=speaker,
        start=occurrence.start + timedelta(hours=1),
        end=occurrence.end + timedelta(hours=1),
    )

    assert names(heard) == ["occurrence_changed"]
    assert heard[0][1]["change"] == "moved"


def test_cancelling_a_date_and_a_session(heard) -> None:
    occurrence = make_occurrence()
    session = occurrence.session
    speaker = session.speakers.first()
    other = make_occurrence(session=session, start=occurrence.start + timedelta(days=1))

    occurrence_cancel(occurrence=occurrence, actor=speaker)
    session_update(session=session, actor=speaker, status="cancelled")

    assert heard == [
        ("occurrence_cancelled", {"occurrence": occurrence}),
        ("session_cancelled", {"session": session}),
    ]
    assert other.cancelled_at is None


def test_a_registration_and_an_attendance_each_say_so_once(heard) -> None:
    occurrence = make_occurrence(start=timezone.now() - timedelta(minutes=10))
    # Registration is closed once a date has started: register on a later date.
    later = make_occurrence(session=occurrence.session)
    person = make_person()
    speaker = occurrence.session.speakers.first()

    registration = registration_create(occurrence=later, person=person, actor=person)
    attendance = attendance_record(occurrence=occurrence, person=person, mode="room", actor=speaker)
    attendance_record(occurrence=occurrence, person=person, mode="room", actor=speaker)

    assert heard == [
        ("registration_created", {"registration": registration}),
        ("attendance_recorded", {"attendance": attendance}),
    ]


def test_a_recording_attached_to_a_session_is_published(heard) -> None:
    session = make_session()
    enabler = make_person(role="enabler")

    resource = resource_create(
        actor=enabler,
        kind=Resource.Kind.RECORDING,
        title="Recording",
        url="https://video.example.org/1",
        session=session,
    )
    resource_create(
        actor=enabler,
        kind=Resource.Kind.ARTICLE,
        title="A link",
        url="https://example.org/",
        session=session,
    )

    assert heard == [("recording_published", {"resource": resource})]


def test_ticking_the_last_item_of_a_path_completes_it_once(heard) -> None:
    person = make_person()
    path = Collection.objects.create(
        title="Path", slug="path", kind=Collection.Kind.PATH, owner=make_person()
    )
    items = [
        CollectionItem.objects.create(collection=path, session=make_session(), position=n)
        for n in range(2)
    ]

    path_item_mark(item=items[0], person=person)
    assert heard == []
    path_item_mark(item=items[1], person=person)
    path_item_mark(item=items[1], person=person)

    assert heard == [("path_completed", {"collection": path, "person": person})]
