"""Finding a time for a real audience: proposals, explanations, repeats, series, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from knowflow.accounts.working_hours import WorkingHours
from knowflow.events.models import Occurrence
from knowflow.events.planning import (
    AudienceSpec,
    PlanningError,
    occurrences_create_from_plan,
    time_find,
)
from tests.factories import make_circle, make_occurrence, make_person, make_session

# A week in January: no DST change, so the expected times are easy to read.
MONDAY = datetime(2027, 1, 11, tzinfo=UTC)


def _global_circle() -> tuple[object, list]:
    berlin = [make_person(name=f"Berlin {n}", tz="Europe/Berlin") for n in range(3)]
    new_york = [make_person(name=f"New York {n}", tz="America/New_York") for n in range(2)]
    kolkata = [make_person(name="Kolkata 0", tz="Asia/Kolkata")]
    circle = make_circle(name="Global guild")
    for person in berlin + new_york + kolkata:
        circle.memberships.create(person=person)
    return circle, berlin + new_york + kolkata


@pytest.mark.django_db
def test_time_find_best_proposal_covers_berlin_and_new_york_overlap() -> None:
    circle, people = _global_circle()

    finding = time_find(
        spec=AudienceSpec(circle=circle.slug),
        duration_min=60,
        window_start=MONDAY,
        window_end=MONDAY + timedelta(days=1),
    )

    best = finding.proposals[0]
    # 14:00 UTC = 15:00 Berlin, 09:00 New York; 19:30 in Kolkata is after hours.
    assert best.start == datetime(2027, 1, 11, 14, 0, tzinfo=UTC)
    assert best.covered_people == 5
    by_label = {line.label: line for line in best.explanation}
    assert (by_label["EMEA"].inside, by_label["EMEA"].total) == (3, 3)
    assert (by_label["AMER"].inside, by_label["AMER"].total) == (2, 2)
    assert by_label["APAC"].late == ["Kolkata 0 (Mon 19:30 Asia/Kolkata)"]


@pytest.mark.django_db
def test_time_find_two_repeats_cover_everyone_and_say_what_each_adds() -> None:
    circle, _ = _global_circle()

    finding = time_find(
        spec=AudienceSpec(circle=circle.slug),
        duration_min=60,
        window_start=MONDAY,
        window_end=MONDAY + timedelta(days=1),
    )

    two = finding.repeats[0]
    assert two.k == 2
    assert two.optimal is True
    assert two.share == 1.0
    added = dict(two.added_by_label)
    assert sum(added["APAC"]) == 1
    assert sum(added["EMEA"]) == 3


@pytest.mark.django_db
def test_time_find_speaker_weighs_three_and_is_required() -> None:
    circle, _ = _global_circle()
    speaker = make_person(name="Sydney Speaker", tz="Australia/Sydney")

    finding = time_find(
        spec=AudienceSpec(circle=circle.slug, speakers=(speaker.pk,)),
        duration_min=60,
        window_start=MONDAY,
        window_end=MONDAY + timedelta(days=2),
    )

    for proposal in finding.proposals:
        local = proposal.start.astimezone(speaker.zone)
        assert local.hour >= 9 and (
            proposal.end.astimezone(speaker.zone).hour,
            proposal.end.astimezone(speaker.zone).minute,
        ) <= (17, 0)
    assert finding.total_weight == 6 + 3


@pytest.mark.django_db
def test_time_find_names_the_speaker_who_is_never_available() -> None:
    circle, _ = _global_circle()
    speaker = make_person(name="Weekend Wanda", tz="Europe/London")
    speaker.working_hours = WorkingHours.from_json([None] * 5 + [["10:00", "12:00"]] * 2).to_json()
    speaker.save()

    with pytest.raises(PlanningError) as raised:
        time_find(
            spec=AudienceSpec(circle=circle.slug, speakers=(speaker.pk,)),
            duration_min=60,
            window_start=MONDAY,
            window_end=MONDAY + timedelta(days=1),
        )
    assert (
        raised.value.message
        == "The speaker Weekend Wanda is never inside working hours in the window."
    )


@pytest.mark.django_db
def test_time_find_speaker_busy_with_another_talk_is_named() -> None:
    circle, _ = _global_circle()
    speaker = make_person(name="Busy Bea", tz="Europe/Berlin")
    other = make_session(speakers=[speaker])
    make_occurrence(session=other, start=MONDAY + timedelta(hours=8), minutes=8 * 60)

    with pytest.raises(PlanningError) as raised:
        time_find(
            spec=AudienceSpec(circle=circle.slug, speakers=(speaker.pk,)),
            duration_min=60,
            window_start=MONDAY,
            window_end=MONDAY + timedelta(days=1),
        )
    assert raised.value.message == "The speaker Busy Bea is busy whenever inside working hours."


@pytest.mark.parametrize(
    ("duration", "hours", "message"),
    [
        (0, 24, "The duration must be at least one minute."),
        (120, 1, "The window is shorter than the session."),
    ],
)
@pytest.mark.django_db
def test_time_find_refuses_bad_windows(duration: int, hours: int, message: str) -> None:
    circle, _ = _global_circle()
    with pytest.raises(PlanningError) as raised:
        time_find(
            spec=AudienceSpec(circle=circle.slug),
            duration_min=duration,
            window_start=MONDAY,
            window_end=MONDAY + timedelta(hours=hours),
        )
    assert raised.value.message == message


@pytest.mark.django_db
def test_time_find_refuses_an_empty_audience() -> None:
    empty = make_circle(name="Nobody here")
    with pytest.raises(PlanningError) as raised:
        time_find(
            spec=AudienceSpec(circle=empty.slug),
            duration_min=60,
            window_start=MONDAY,
            window_end=MONDAY + timedelta(days=1),
        )
    assert raised.value.message.startswith("The audience is empty")


@pytest.mark.django_db
def test_time_find_fair_series_spreads_the_burden() -> None:
    circle, _ = _global_circle()
    finding = time_find(
        spec=AudienceSpec(circle=circle.slug),
        duration_min=60,
        window_start=MONDAY,
        window_end=MONDAY + timedelta(days=1),
        series_weeks=6,
    )
    assert finding.series is not None
    assert len(finding.series_zone_starts) == 6
    assert finding.series.max_burden == max(finding.series.burden.values())
    # Nobody can be suited every week, but nobody carries the whole burden either.
    assert finding.series.max_burden < 1.0


@pytest.mark.django_db
def test_occurrences_create_from_plan_creates_all_or_nothing() -> None:
    speaker = make_person(role="member")
    session = make_session(speakers=[speaker])
    future = timezone.now() + timedelta(days=5)

    with pytest.raises(PlanningError):
        occurrences_create_from_plan(
            session=session,
            actor=speaker,
            starts=[future, timezone.now() - timedelta(days=1)],
            duration_min=60,
            capacity=20,
            online_url="https://meet.example.org/a",
            room_ids=[None, None],
        )
    assert Occurrence.objects.filter(session=session).count() == 0

    created = occurrences_create_from_plan(
        session=session,
        actor=speaker,
        starts=[future, future + timedelta(hours=8)],
        duration_min=45,
        capacity=20,
        online_url="https://meet.example.org/a",
        room_ids=[None, None],
    )
    assert [o.end - o.start for o in created] == [timedelta(minutes=45)] * 2
