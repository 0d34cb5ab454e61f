"""Concurrent requests against the real database (SQLite file or PostgreSQL).

Each thread has its own connection, as each web process would; the services must hold the
invariants under that: never more people going than places, never two bookings of one room.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.errors import DomainError
from knowflow.events.models import Occurrence, Registration
from knowflow.events.services import RoomAlreadyBooked, occurrence_create, registration_create
from tests.factories import make_occurrence, make_person, make_room, make_session

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(jobs: list[Callable[[], object]]) -> list[object]:
    """Run every job in its own thread, released at once; return results (or exceptions)."""
    results: list[object] = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def worker(index: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_registration_create_fifty_at_once_for_ten_places() -> None:
    occurrence = make_occurrence(capacity=10)
    people = [make_person(name=f"Person {i:02d}") for i in range(50)]

    def register(person: Person) -> Callable[[], Registration]:
        return lambda: registration_create(occurrence=occurrence, person=person, actor=person)

    results = run_together([register(person) for person in people])

    assert [r for r in results if isinstance(r, Exception)] == []
    rows = list(Registration.objects.filter(occurrence=occurrence).order_by("requested_at", "id"))
    assert len(rows) == 50
    assert sum(r.status == "going" for r in rows) == 10
    assert sum(r.status == "waitlisted" for r in rows) == 40
    # Arrival order: the first ten to ask got the places, everyone after them waits.
    assert [r.status for r in rows] == ["going"] * 10 + ["waitlisted"] * 40
    assert len({r.requested_at for r in rows}) == 50


def test_occurrence_create_two_overlapping_bookings_at_once_one_wins() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    room = make_room(name="Turing")
    sessions = [make_session(title="First"), make_session(title="Second")]
    start = timezone.now() + timedelta(days=7)

    def book(index: int) -> Callable[[], Occurrence]:
        offset = timedelta(minutes=30 * index)
        return lambda: occurrence_create(
            session=sessions[index],
            actor=enabler,
            start=start + offset,
            end=start + offset + timedelta(hours=1),
            room=room,
            capacity=10,
        )

    results = run_together([book(0), book(1)])

    booked = [r for r in results if isinstance(r, Occurrence)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(booked) == 1
    assert len(refused) == 1
    assert isinstance(refused[0], RoomAlreadyBooked)
    assert refused[0].field == "room"
    assert Occurrence.objects.filter(room=room).count() == 1
