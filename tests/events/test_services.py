"""Sessions, occurrences and registrations: the rules, and refusals that write nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.errors import DomainError, Forbidden
from knowflow.events.attendance import (
    attendance_record,
)
from knowflow.events.models import Attendance, Occurrence, Registration, Session
from knowflow.events.services import (
    AlreadyRegistered,
    RegistrationClosed,
    RoomAlreadyBooked,
    SpeakerNotRegistered,
    occurrence_create,
    occurrence_update,
    registration_cancel,
    registration_create,
    session_create,
    session_update,
)
from tests.factories import make_occurrence, make_person, make_room, make_session, make_topic

pytestmark = pytest.mark.django_db

START = datetime(2030, 6, 3, 12, 0, tzinfo=UTC)


def statuses(occurrence: Occurrence) -> list[tuple[str, str]]:
    return [
        (r.person.display_name, r.status)
        for r in occurrence.registrations.select_related("person").order_by("requested_at", "id")
    ]


def test_session_create_without_speakers_makes_the_proposer_the_speaker() -> None:
    proposer, topic = make_person(name="Pat Proposer"), make_topic("Testing")

    session = session_create(actor=proposer, title="  Property-based testing ", topics=[topic])

    assert session.title == "Property-based testing"
    assert session.slug == "property-based-testing"
    assert session.status == Session.Status.PROPOSED
    assert list(session.speakers.all()) == [proposer]
    assert list(session.topics.all()) == [topic]


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"title": "  "}, "title", "A session needs a title."),
        ({"title": "x" * 201}, "title", "The title is longer than 200 characters."),
        (
            {"title": "Ok", "format": "keynote"},
            "format",
            "'keynote' is not a valid format; use one of: talk, workshop, lightning, demo, panel, ama, course_module.",
        ),
        ({"title": "Ok", "level": "expert"}, "level", None),
    ],
)
def test_session_create_bad_fields_are_refused_and_write_nothing(
    kwargs: dict, field: str, message: str | None
) -> None:
    actor = make_person()

    with pytest.raises(DomainError) as error:
        session_create(actor=actor, **kwargs)

    assert error.value.field == field
    if message:
        assert error.value.message == message
    assert Session.objects.count() == 0


def test_session_update_by_speaker_changes_the_session() -> None:
    speaker = make_person()
    session = make_session(speakers=[speaker], title="Old")

    session_update(session=session, actor=speaker, title="New", status=Session.Status.SCHEDULED)

    session.refresh_from_db()
    assert (session.title, session.status) == ("New", "scheduled")


def test_session_update_someone_elses_session_is_refused_and_writes_nothing() -> None:
    session = make_session(speakers=[make_person()], title="Theirs")
    stranger = make_person()

    with pytest.raises(Forbidden) as error:
        session_update(session=session, actor=stranger, title="Mine now", speakers=[stranger])

    assert (
        error.value.message
        == "Only the session's speakers, its circle's champions and enablers can edit it."
    )
    row = Session.objects.get(pk=session.pk)
    assert row.title == "Theirs"
    assert stranger not in row.speakers.all()


def test_session_update_bad_status_is_refused_and_writes_nothing() -> None:
    speaker = make_person()
    session = make_session(speakers=[speaker], title="Keep")

    with pytest.raises(DomainError) as error:
        session_update(session=session, actor=speaker, title="Changed", status="postponed")

    assert error.value.field == "status"
    assert Session.objects.get(pk=session.pk).title == "Keep"


def test_occurrence_create_schedules_a_proposed_session() -> None:
    speaker = make_person()
    session = make_session(speakers=[speaker])
    room = make_room(capacity=30)

    occurrence = occurrence_create(
        session=session,
        actor=speaker,
        start=START,
        end=START + timedelta(hours=1),
        room=room,
        capacity=25,
    )

    assert occurrence.mode == "in the room"
    assert Session.objects.get(pk=session.pk).status == Session.Status.SCHEDULED


def test_occurrence_create_end_before_start_is_refused_and_writes_nothing() -> None:
    speaker = make_person()
    session = make_session(speakers=[speaker])

    with pytest.raises(DomainError) as error:
        occurrence_create(
            session=session,
            actor=speaker,
            start=START,
            end=START - timedelta(minutes=30),
            online_url="https://meet.example.org/a",
            capacity=10,
        )

    assert (error.value.field, error.value.message) == ("end", "The end must be after the start.")
    assert Occurrence.objects.count() == 0
    assert Session.objects.get(pk=session.pk).status == Session.Status.PROPOSED


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"online_url": ""}, "room", "Give a room, an online link, or both."),
        ({"capacity": 0}, "capacity", "The capacity must be at least 1."),
        (
            {"start": datetime(2030, 6, 3, 12, 0)},  # noqa: DTZ001 - naive on purpose
            "start",
            "Give start and end with their time zone.",
        ),  # noqa: DTZ001
        (
            {"end": START + timedelta(days=6)},
            "end",
            "A date cannot last more than five days.",
        ),
    ],
)
def test_occurrence_create_bad_fields_are_refused(kwargs: dict, field: str, message: str) -> None:
    speaker = make_person()
    session = make_session(speakers=[speaker])
    values = {
        "start": START,
        "end": START + timedelta(hours=1),
        "online_url": "https://x.example.org",
        "capacity": 5,
    }
    values.update(kwargs)

    with pytest.raises(DomainError) as error:
        occurrence_create(session=session, actor=speaker, **values)

    assert (error.value.field, error.value.message) == (field, message)
    assert Occurrence.objects.count() == 0


def test_occurrence_create_capacity_above_room_without_online_link_is_refused() -> None:
    speaker = make_person()
    room = make_room(capacity=12, name="Small room")

    with pytest.raises(DomainError) as error:
        occurrence_create(
            session=make_session(speakers=[speaker]),
            actor=speaker,
            start=START,
            end=START + timedelta(hours=1),
            room=room,
            capacity=40,
        )

    assert (
        error.value.message
        == "Small room holds 12 people; lower the capacity or add an online link."
    )
    assert Occurrence.objects.count() == 0


def test_occurrence_create_overlapping_booking_of_a_room_is_refused_and_writes_nothing() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    room = make_room(name="Ada")
    first = make_session(title="Kafka basics")
    occurrence_create(
        session=first,
        actor=enabler,
        start=START,
        end=START + timedelta(hours=1),
        room=room,
        capacity=10,
    )
    second = make_session(title="Other talk")

    with pytest.raises(RoomAlreadyBooked) as error:
        occurrence_create(
            session=second,
            actor=enabler,
            start=START + timedelta(minutes=30),
            end=START + timedelta(minutes=90),
            room=room,
            capacity=10,
        )

    assert error.value.status_code == 409
    assert error.value.field == "room"
    assert (
        error.value.message
        == "Ada is already booked for “Kafka basics” from 2030-06-03 12:00 to 13:00 UTC."
    )
    assert Occurrence.objects.filter(session=second).count() == 0
    assert Session.objects.get(pk=second.pk).status == Session.Status.PROPOSED


@pytest.mark.parametrize(
    ("offset_minutes", "minutes"),
    [(-30, 60), (15, 30), (-60, 180)],
    ids=["overlaps-start", "inside", "encloses"],
)
def test_occurrence_create_any_overlap_is_refused(offset_minutes: int, minutes: int) -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    room = make_room()
    make_occurrence(room=room, start=START, minutes=60)
    start = START + timedelta(minutes=offset_minutes)

    with pytest.raises(RoomAlreadyBooked):
        occurrence_create(
            session=make_session(),
            actor=enabler,
            start=start,
            end=start + timedelta(minutes=minutes),
            room=room,
            capacity=5,
        )

    assert Occurrence.objects.count() == 1


def test_occurrence_create_back_to_back_in_the_same_room_is_allowed() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    room = make_room()
    make_occurrence(room=room, start=START, minutes=60)

    before = occurrence_create(
        session=make_session(),
        actor=enabler,
        start=START - timedelta(hours=1),
        end=START,
        room=room,
        capacity=5,
    )
    after = occurrence_create(
        session=make_session(),
        actor=enabler,
        start=START + timedelta(hours=1),
        end=START + timedelta(hours=2),
        room=room,
        capacity=5,
    )

    assert Occurrence.objects.filter(room=room).count() == 3
    assert (before.end, after.start) == (START, START + timedelta(hours=1))


def test_occurrence_create_same_time_in_another_room_is_allowed() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    make_occurrence(room=make_room(), start=START)

    occurrence_create(
        session=make_session(),
        actor=enabler,
        start=START,
        end=START + timedelta(hours=1),
        room=make_room(),
        capacity=5,
    )

    assert Occurrence.objects.count() == 2


def test_occurrence_update_into_a_booked_slot_is_refused_and_writes_nothing() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    room = make_room()
    make_occurrence(room=room, start=START)
    moving = make_occurrence(room=room, start=START + timedelta(hours=2))

    with pytest.raises(RoomAlreadyBooked):
        occurrence_update(
            occurrence=moving,
            actor=enabler,
            start=START + timedelta(minutes=30),
            end=START + timedelta(minutes=90),
        )

    assert Occurrence.objects.get(pk=moving.pk).start == START + timedelta(hours=2)


def test_occurrence_update_larger_capacity_promotes_the_waitlist() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    occurrence = make_occurrence(capacity=1)
    people = [make_person(name=f"P{i}") for i in range(3)]
    for person in people:
        registration_create(occurrence=occurrence, person=person, actor=person)

    occurrence_update(occurrence=occurrence, actor=enabler, capacity=2)

    assert statuses(occurrence) == [("P0", "going"), ("P1", "going"), ("P2", "waitlisted")]


def test_registration_create_registers_going_while_there_is_room() -> None:
    person = make_person()
    occurrence = make_occurrence(capacity=2)

    registration = registration_create(occurrence=occurrence, person=person, actor=person)

    assert registration.status == Registration.Status.GOING
    assert registration.requested_at <= timezone.now()


def test_registration_create_refuses_a_speaker_of_the_session_and_writes_nothing() -> None:
    speaker = make_person(name="Sam Speaker")
    enabler = make_person(role=Person.Role.ENABLER)
    occurrence = make_occurrence(session=make_session(speakers=[speaker]))

    with pytest.raises(SpeakerNotRegistered) as own:
        registration_create(occurrence=occurrence, person=speaker, actor=speaker)
    with pytest.raises(SpeakerNotRegistered) as for_them:
        registration_create(occurrence=occurrence, person=speaker, actor=enabler)

    assert (own.value.status_code, own.value.message) == (
        400,
        "You are a speaker of this session: speakers do not register for it.",
    )
    assert for_them.value.message == (
        "Sam Speaker is a speaker of this session: speakers do not register for it."
    )
    assert Registration.objects.count() == 0


def test_registration_create_twice_is_refused_and_writes_nothing() -> None:
    person = make_person(name="Twice Tom")
    occurrence = make_occurrence()
    first = registration_create(occurrence=occurrence, person=person, actor=person)

    with pytest.raises(AlreadyRegistered) as error:
        registration_create(occurrence=occurrence, person=person, actor=person)

    assert error.value.status_code == 409
    assert error.value.message == "Twice Tom is already registered (going)."
    assert list(Registration.objects.values_list("pk", "status", "requested_at")) == [
        (first.pk, "going", first.requested_at)
    ]


def test_registration_create_beyond_capacity_goes_to_the_waitlist() -> None:
    occurrence = make_occurrence(capacity=2)
    people = [make_person(name=f"P{i}") for i in range(4)]

    results = [registration_create(occurrence=occurrence, person=p, actor=p).status for p in people]

    assert results == ["going", "going", "waitlisted", "waitlisted"]


def test_registration_cancel_promotes_the_first_waitlisted_in_arrival_order() -> None:
    occurrence = make_occurrence(capacity=2)
    a, b, c, d = (make_person(name=name) for name in "ABCD")
    for person in (a, b, c, d):
        registration_create(occurrence=occurrence, person=person, actor=person)

    registration_cancel(occurrence=occurrence, person=a, actor=a)

    assert statuses(occurrence) == [
        ("A", "cancelled"),
        ("B", "going"),
        ("C", "going"),
        ("D", "waitlisted"),
    ]


def test_registration_cancel_of_a_waitlisted_person_promotes_nobody() -> None:
    occurrence = make_occurrence(capacity=1)
    a, b, c = (make_person(name=name) for name in "ABC")
    for person in (a, b, c):
        registration_create(occurrence=occurrence, person=person, actor=person)

    registration_cancel(occurrence=occurrence, person=b, actor=b)

    assert statuses(occurrence) == [("A", "going"), ("B", "cancelled"), ("C", "waitlisted")]


def test_registration_create_after_cancelling_goes_to_the_back_of_the_queue() -> None:
    occurrence = make_occurrence(capacity=1)
    a, b = make_person(name="A"), make_person(name="B")
    registration_create(occurrence=occurrence, person=a, actor=a)
    registration_create(occurrence=occurrence, person=b, actor=b)
    registration_cancel(occurrence=occurrence, person=a, actor=a)

    again = registration_create(occurrence=occurrence, person=a, actor=a)

    assert again.status == Registration.Status.WAITLISTED
    assert statuses(occurrence) == [("B", "going"), ("A", "waitlisted")]


def test_registration_cancel_when_not_registered_is_refused() -> None:
    person = make_person(name="Never")

    with pytest.raises(DomainError) as error:
        registration_cancel(occurrence=make_occurrence(), person=person, actor=person)

    assert error.value.message == "Never is not registered for this date."


def test_registration_create_for_someone_else_by_a_member_is_refused() -> None:
    member, other = make_person(), make_person()
    occurrence = make_occurrence()

    with pytest.raises(Forbidden):
        registration_create(occurrence=occurrence, person=other, actor=member)

    assert Registration.objects.count() == 0


def test_registration_cancel_someone_elses_place_by_a_member_is_refused() -> None:
    owner, other = make_person(), make_person()
    occurrence = make_occurrence()
    registration_create(occurrence=occurrence, person=owner, actor=owner)

    with pytest.raises(Forbidden):
        registration_cancel(occurrence=occurrence, person=owner, actor=other)

    assert Registration.objects.get().status == Registration.Status.GOING


def test_registration_create_for_a_past_or_cancelled_occurrence_is_refused() -> None:
    person = make_person()
    past = make_occurrence(start=timezone.now() - timedelta(days=2))
    cancelled = make_occurrence(session=make_session(status=Session.Status.CANCELLED))

    with pytest.raises(RegistrationClosed) as over:
        registration_create(occurrence=past, person=person, actor=person)
    with pytest.raises(RegistrationClosed) as off:
        registration_create(occurrence=cancelled, person=person, actor=person)

    assert over.value.message == "This date is over; registration is closed."
    assert off.value.message == "This session was cancelled."
    assert Registration.objects.count() == 0


def test_attendance_record_by_a_speaker_and_self_reported_recording() -> None:
    speaker, learner, late = make_person(), make_person(), make_person()
    occurrence = make_occurrence(
        session=make_session(speakers=[speaker]), start=timezone.now() - timedelta(hours=2)
    )

    attendance_record(occurrence=occurrence, person=learner, mode="room", actor=speaker)
    attendance_record(occurrence=occurrence, person=late, mode="recording", actor=late)

    assert sorted(Attendance.objects.values_list("person_id", "mode")) == sorted(
        [(learner.pk, "room"), (late.pk, "recording")]
    )


def test_attendance_record_in_the_room_by_oneself_is_refused() -> None:
    learner = make_person()
    occurrence = make_occurrence(start=timezone.now() - timedelta(hours=2))

    with pytest.raises(Forbidden):
        attendance_record(occurrence=occurrence, person=learner, mode="room", actor=learner)

    assert Attendance.objects.count() == 0


def test_attendance_record_before_the_start_is_refused() -> None:
    speaker = make_person()
    occurrence = make_occurrence(session=make_session(speakers=[speaker]))

    with pytest.raises(DomainError) as error:
        attendance_record(occurrence=occurrence, person=make_person(), mode="online", actor=speaker)

    assert error.value.message == "Attendance can be recorded once the date has started."
    assert Attendance.objects.count() == 0
