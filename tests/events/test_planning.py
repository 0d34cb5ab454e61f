"""Finding a time for a real audience: proposals, explanations, repeats, series, bad input."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.accounts.working_hours import WorkingHours
from knowflow.events.models import Occurrence
from knowflow.events.permissions import can_see_availability_of
from knowflow.events.planning import PlanningError
from knowflow.events.planning.audience import AudienceSpec
from knowflow.events.planning.find import time_find
from knowflow.events.planning.proposals import LabelLine
from knowflow.events.planning.services import occurrences_create_from_plan
from tests.factories import make_circle, make_occurrence, make_person, make_session


@pytest.fixture(autouse=True)
def _fixed_clock() -> Iterator[None]:
    """A fixed today (Tuesday 1 December 2026, ticking): find a time proposes nothing inside
    the lead time from today, and the windows below are fixed dates."""
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), tick=True):
        yield


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


# A fixed "now" a week before a series that crosses the spring DST changes of North America
# (14 Mar 2027), Europe (28 Mar) and the autumn change of Sydney (4 Apr).
BEFORE_SPRING = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
SPRING_MONDAYS = [date(2027, 3, 8) + timedelta(days=7 * week) for week in range(6)]


def _local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(zone)).astimezone(UTC)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "zone", ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney"]
)
def test_time_find_series_starts_on_the_organisers_monday_with_the_speaker_in_hours(
    zone: str,
) -> None:
    circle, _ = _global_circle()
    speaker = make_person(name="Local Speaker", tz=zone)

    finding = time_find(
        spec=AudienceSpec(circle=circle.slug, speakers=(speaker.pk,)),
        duration_min=60,
        window_start=_local_midnight(SPRING_MONDAYS[0], zone),
        window_end=_local_midnight(SPRING_MONDAYS[0] + timedelta(days=7), zone),
        heat_zone="UTC",
        plan_zone=zone,
        series_weeks=6,
        now=BEFORE_SPRING,
    )

    local = [start.astimezone(ZoneInfo(zone)) for start in finding.series_zone_starts]
    assert finding.series_first_date == SPRING_MONDAYS[0]
    assert [moment.date() for moment in local] == SPRING_MONDAYS
    assert all(9 <= moment.hour <= 16 for moment in local)
    assert finding.series_notes == []


@pytest.mark.django_db
def test_time_find_series_says_which_dates_a_speaker_cannot_make() -> None:
    circle, _ = _global_circle()
    speaker = make_person(name="Tuesday Tom", tz="Europe/Berlin")
    # Works Tuesday to Friday: a Monday series cannot keep him inside his hours.
    speaker.working_hours = WorkingHours.from_json(
        [None] + [["09:00", "17:00"]] * 4 + [None, None]
    ).to_json()
    speaker.save()

    finding = time_find(
        spec=AudienceSpec(circle=circle.slug, speakers=(speaker.pk,)),
        duration_min=60,
        window_start=_local_midnight(date(2027, 3, 22), "Europe/Berlin"),
        window_end=_local_midnight(date(2027, 3, 29), "Europe/Berlin"),
        plan_zone="Europe/Berlin",
        series_weeks=2,
        now=BEFORE_SPRING,
    )

    assert [note.split(":")[0] for note in finding.series_notes] == [
        "Mon 22 Mar 2027",
        "Mon 29 Mar 2027",
    ]
    assert "outside their hours: Tuesday Tom (Mon " in finding.series_notes[0]


@pytest.mark.django_db
def test_time_find_proposals_one_per_local_day_after_two_working_days() -> None:
    circle, _ = _global_circle()
    thursday_noon = datetime(2027, 3, 4, 12, 0, tzinfo=UTC)

    finding = time_find(
        spec=AudienceSpec(circle=circle.slug),
        duration_min=60,
        window_start=_local_midnight(date(2027, 3, 4), "Asia/Kolkata"),
        window_end=_local_midnight(date(2027, 3, 18), "Asia/Kolkata"),
        plan_zone="Asia/Kolkata",
        now=thursday_noon,
    )

    local = [p.start.astimezone(ZoneInfo("Asia/Kolkata")) for p in finding.proposals]
    days = [moment.date() for moment in local]
    same_hour_next_day = [
        (a, b) for a in local for b in local if (b.date() - a.date()).days == 1 and a.hour == b.hour
    ]
    assert same_hour_next_day == []
    # Thursday + two working days = Monday 8 March in Kolkata: nothing earlier, one a day.
    assert finding.earliest == _local_midnight(date(2027, 3, 8), "Asia/Kolkata")
    assert len(days) == 5
    assert len(set(days)) == 5
    assert min(days) >= date(2027, 3, 8)


@pytest.mark.django_db
def test_time_find_refuses_a_window_inside_the_lead_time() -> None:
    circle, _ = _global_circle()
    before = Occurrence.objects.count()

    with pytest.raises(PlanningError) as raised:
        time_find(
            spec=AudienceSpec(circle=circle.slug),
            duration_min=60,
            window_start=datetime(2027, 3, 4, tzinfo=UTC),
            window_end=datetime(2027, 3, 6, tzinfo=UTC),
            now=datetime(2027, 3, 4, 12, 0, tzinfo=UTC),
        )

    assert raised.value.message == (
        "Nothing is proposed before Mon 08 Mar 2027 (2 working days from today, so people "
        "have notice): choose a window that ends later."
    )
    assert Occurrence.objects.count() == before


@pytest.mark.django_db
def test_time_find_tradeoff_rows_differ_or_collapse_to_one() -> None:
    circle, people = _global_circle()
    sydney = make_person(name="Sydney 0", tz="Australia/Sydney")
    circle.memberships.create(person=sydney)

    spread = time_find(
        spec=AudienceSpec(circle=circle.slug),
        duration_min=60,
        window_start=MONDAY,
        window_end=MONDAY + timedelta(days=7),
        series_weeks=8,
        now=MONDAY - timedelta(days=7),
    )
    berlin_only = time_find(
        spec=AudienceSpec(people=(people[0].pk,)),  # one Berlin colleague
        duration_min=60,
        window_start=MONDAY,
        window_end=MONDAY + timedelta(days=7),
        series_weeks=8,
        now=MONDAY - timedelta(days=7),
    )

    figures = [(p.mean_attendance, p.max_burden) for p in spread.series_tradeoff]
    assert len(figures) >= 2
    assert len(set(figures)) == len(figures)
    assert spread.series_tradeoff_forced is False
    assert [p.shown for p in spread.series_tradeoff].count(True) == 1
    assert len(berlin_only.series_tradeoff) == 1
    assert berlin_only.series_tradeoff_forced is True


@pytest.mark.django_db
def test_time_find_names_only_what_the_viewer_may_see() -> None:
    circle, people = _global_circle()
    kolkata = people[-1]
    member, enabler = make_person(), make_person(role=Person.Role.ENABLER)

    def apac(viewer: object) -> object:
        finding = time_find(
            spec=AudienceSpec(circle=circle.slug),
            duration_min=60,
            window_start=MONDAY,
            window_end=MONDAY + timedelta(days=1),
            viewer=viewer,
            now=MONDAY - timedelta(days=7),
        )
        best = finding.proposals[0]
        return next(line for line in best.explanation if line.label == "APAC"), finding

    as_member, member_finding = apac(member)
    as_enabler, _ = apac(enabler)
    as_self, _ = apac(kolkata)

    assert (as_member.late_count, as_member.late) == (1, [])
    assert member_finding.names_hidden is True
    assert (as_enabler.late_count, as_enabler.late) == (1, ["Kolkata 0 (Mon 19:30 Asia/Kolkata)"])
    assert (as_self.late_count, as_self.late) == (1, ["Kolkata 0 (Mon 19:30 Asia/Kolkata)"])


@pytest.mark.django_db
def test_time_find_tells_an_enabler_why_someone_is_off_and_a_member_only_how_many() -> None:
    circle, _ = _global_circle()
    tina = make_person(name="Tuesday Tina", tz="Europe/Berlin")
    tina.working_hours = WorkingHours.from_json(
        [None] + [["09:00", "17:00"]] * 4 + [None, None]
    ).to_json()
    tina.save()
    circle.memberships.create(person=tina)

    def emea_at_two(viewer: object) -> LabelLine:
        finding = time_find(
            spec=AudienceSpec(circle=circle.slug),
            duration_min=60,
            window_start=MONDAY + timedelta(hours=14),
            window_end=MONDAY + timedelta(hours=15),
            repeat_ks=(),
            viewer=viewer,
            now=MONDAY - timedelta(days=7),
        )
        return next(line for line in finding.proposals[0].explanation if line.label == "EMEA")

    as_enabler = emea_at_two(make_person(role=Person.Role.ENABLER))
    as_member = emea_at_two(make_person())

    assert (as_enabler.off_count, as_enabler.off) == (
        1,
        ["Tuesday Tina (Mon 15:00 Europe/Berlin, day off)"],
    )
    assert (as_member.off_count, as_member.off, as_member.inside) == (1, [], 3)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "sees_others"),
    [
        (Person.Role.ADMIN, True),
        (Person.Role.ENABLER, True),
        (Person.Role.LEADER, False),
        (Person.Role.MEMBER, False),
    ],
)
def test_can_see_availability_of_by_role(role: str, sees_others: bool) -> None:
    actor, colleague = make_person(role=role), make_person()

    assert can_see_availability_of(actor=actor, person_id=colleague.pk) is sees_others
    assert can_see_availability_of(actor=actor, person_id=actor.pk) is True
