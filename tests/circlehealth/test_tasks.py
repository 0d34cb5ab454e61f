"""The lifecycle pass: forming → active → dormant by dates (a fixed ``now``), the quiet prompt
sent once per quiet spell, sunset and proposed circles left alone, and a second pass a no-op."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from knowflow.circlehealth.tasks import circle_lifecycle_tick
from knowflow.circles.models import Circle, Membership
from knowflow.circles.services import circle_revive, circle_state_apply, circle_sunset
from knowflow.mail.models import OutboxMessage
from tests.factories import make_circle, make_occurrence, make_person, make_session

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def started(circle: Circle, when: datetime) -> Circle:
    """A circle started at ``when`` with its memberships dated then too."""
    Circle.objects.filter(pk=circle.pk).update(created_at=when, started_at=when)
    Membership.objects.filter(circle=circle).update(joined_at=when)
    circle.refresh_from_db()
    return circle


def add_members(circle: Circle, count: int, when: datetime) -> None:
    for _ in range(count):
        Membership.objects.create(circle=circle, person=make_person())
    Membership.objects.filter(circle=circle).update(joined_at=when)


def held(circle: Circle, when: datetime) -> None:
    make_occurrence(session=make_session(circle=circle), start=when)
    from knowflow.events.models import Occurrence

    Occurrence.objects.filter(session__circle=circle).update(created_at=when - timedelta(days=7))


def state_of(circle: Circle) -> str:
    return Circle.objects.get(pk=circle.pk).state


def quiet_prompts() -> list[tuple[str, str]]:
    return list(
        OutboxMessage.objects.filter(kind="circles.quiet")
        .order_by("recipient")
        .values_list("recipient", "subject")
    )


def test_new_circle_with_too_few_members_stays_forming() -> None:
    circle = started(make_circle(name="Tiny", champions=[make_person()]), NOW - timedelta(days=5))
    held(circle, NOW - timedelta(days=2))

    assert circle_lifecycle_tick(now=NOW) == {}
    assert state_of(circle) == "forming"


def test_circle_with_three_members_and_a_session_becomes_active() -> None:
    circle = make_circle(name="Growing", champions=[make_person()])
    add_members(circle, 2, NOW - timedelta(days=20))
    circle = started(circle, NOW - timedelta(days=20))
    held(circle, NOW - timedelta(days=3))

    assert circle_lifecycle_tick(now=NOW) == {"active": 1}
    assert state_of(circle) == "active"
    assert circle_lifecycle_tick(now=NOW) == {}


def test_monthly_circle_quiet_for_91_days_goes_dormant_and_prompts_champions_once() -> None:
    champion = make_person(name="Cy Champion")
    circle = make_circle(name="Quiet ones", champions=[champion])
    add_members(circle, 2, NOW - timedelta(days=200))
    circle = started(circle, NOW - timedelta(days=200))
    held(circle, NOW - timedelta(days=91))
    Circle.objects.filter(pk=circle.pk).update(state="active")

    # 90 days after the last session a monthly circle is still active (3 × 30 days).
    assert circle_lifecycle_tick(now=NOW - timedelta(days=1)) == {}
    assert circle_lifecycle_tick(now=NOW) == {"dormant": 1}
    assert circle_lifecycle_tick(now=NOW + timedelta(days=1)) == {}
    assert circle_lifecycle_tick(now=NOW + timedelta(days=2)) == {}

    assert state_of(circle) == "dormant"
    assert quiet_prompts() == [(champion.email, "Quiet ones has gone quiet")]
    body = OutboxMessage.objects.get(kind="circles.quiet").body
    assert "Nothing has happened in Quiet ones for 90 days" in body


def test_weekly_circle_goes_dormant_after_three_weeks() -> None:
    circle = make_circle(name="Weekly", champions=[make_person()])
    Circle.objects.filter(pk=circle.pk).update(cadence="weekly", state="active")
    add_members(circle, 2, NOW - timedelta(days=60))
    circle = started(circle, NOW - timedelta(days=60))
    held(circle, NOW - timedelta(days=22))

    assert circle_lifecycle_tick(now=NOW) == {"dormant": 1}


def test_dormant_circle_wakes_up_and_a_second_quiet_spell_prompts_again() -> None:
    champion = make_person()
    circle = make_circle(name="Sleepy", champions=[champion])
    add_members(circle, 2, NOW - timedelta(days=300))
    circle = started(circle, NOW - timedelta(days=300))
    held(circle, NOW - timedelta(days=200))
    assert circle_lifecycle_tick(now=NOW) == {"dormant": 1}

    held(circle, NOW + timedelta(days=5))  # a new session, planned and held
    assert circle_lifecycle_tick(now=NOW + timedelta(days=6)) == {"active": 1}
    assert circle_lifecycle_tick(now=NOW + timedelta(days=100)) == {"dormant": 1}

    assert [r for r, _ in quiet_prompts()] == [champion.email, champion.email]


def test_a_racing_second_worker_changes_nothing_and_prompts_nobody() -> None:
    circle = make_circle(name="Raced", champions=[make_person()])
    stale = Circle.objects.get(pk=circle.pk)  # what a second worker read before the first wrote

    assert circle_state_apply(circle=circle, state="dormant", now=NOW) is True
    assert circle_state_apply(circle=stale, state="dormant", now=NOW) is False
    assert len(quiet_prompts()) == 1


def test_sunset_and_proposed_circles_are_left_alone() -> None:
    enabler = make_person(role="enabler")
    sunset = started(make_circle(name="Done", champions=[make_person()]), NOW - timedelta(days=900))
    circle_sunset(circle=sunset, actor=enabler, now=NOW - timedelta(days=800))
    proposed = started(make_circle(name="Maybe"), NOW - timedelta(days=900))
    Circle.objects.filter(pk=proposed.pk).update(state="proposed")

    assert circle_lifecycle_tick(now=NOW) == {}
    assert (state_of(sunset), state_of(proposed)) == ("sunset", "proposed")
    assert quiet_prompts() == []


def test_a_revived_circle_is_forming_not_dormant() -> None:
    enabler = make_person(role="enabler")
    circle = started(make_circle(name="Back", champions=[make_person()]), NOW - timedelta(days=900))
    circle_sunset(circle=circle, actor=enabler, now=NOW - timedelta(days=800))

    circle_revive(circle=circle, actor=enabler, now=NOW - timedelta(days=1))

    assert circle_lifecycle_tick(now=NOW) == {}
    assert state_of(circle) == "forming"
