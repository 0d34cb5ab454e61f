"""Fair rotation of a series, checked against brute force on a tiny audience."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from itertools import product
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from knowflow.scheduling.availability import Invitee, WorkingHours
from knowflow.scheduling.series import _series_model, fair_series, series_tradeoff


def office(ident: str, tz: str, label: str, weight: float = 1.0) -> Invitee:
    return Invitee(
        id=ident,
        tz=tz,
        hours=WorkingHours.weekly(start="09:00", end="17:00", workdays=range(5)),
        weight=weight,
        label=label,
    )


AUDIENCE = [
    office("l1", "Europe/London", "EMEA", 2),
    office("b1", "Europe/Berlin", "EMEA"),
    office("n1", "America/New_York", "AMER"),
    office("s1", "America/Los_Angeles", "AMER", 3),
    office("t1", "Asia/Tokyo", "APAC"),
    office("k1", "Asia/Kolkata", "APAC", 2),
]
SERIES = dict(first_date=date(2025, 10, 22), weeks=3, step_days=7, granularity_min=180)


def brute_force(burden_by: str) -> tuple[float, float]:
    model = _series_model(AUDIENCE, duration_min=60, burden_by=burden_by, **SERIES)  # type: ignore[arg-type]
    weeks, options = model.attendance.shape
    best: tuple[float, float] | None = None
    for choice in product(range(options), repeat=weeks):
        picked = np.asarray(choice)
        burden = 1.0 - model.share[:, np.arange(weeks), picked].mean(axis=1)
        attendance = model.attendance[np.arange(weeks), picked].mean()
        key = (round(float(burden.max()), 9), -round(float(attendance), 9))
        best = key if best is None or key < best else best
    assert best is not None
    return best[0], -best[1]


@pytest.mark.parametrize("burden_by", ["region", "person"])
def test_fair_series_is_lexicographic_min_max_then_attendance(burden_by: str) -> None:
    plan = fair_series(AUDIENCE, duration_min=60, burden_by=burden_by, **SERIES)  # type: ignore[arg-type]

    assert (round(plan.max_burden, 9), round(plan.mean_attendance, 9)) == brute_force(burden_by)


def test_fair_series_reports_burden_per_region_and_starts_on_series_dates() -> None:
    plan = fair_series(AUDIENCE, duration_min=60, **SERIES)  # type: ignore[arg-type]

    assert sorted(plan.burden) == ["AMER", "APAC", "EMEA"]
    assert [o.start // 86_400 for o in plan.occurrences] == [20383, 20390, 20397]
    assert plan.max_burden == max(plan.burden.values())


def test_series_tradeoff_trades_fairness_for_attendance_monotonically() -> None:
    curve = series_tradeoff(AUDIENCE, duration_min=60, tolerances=(0.0, 0.2, 1.0), **SERIES)  # type: ignore[arg-type]

    burdens = [plan.max_burden for _, plan in curve]
    attendance = [plan.mean_attendance for _, plan in curve]
    assert burdens == sorted(burdens, reverse=True)
    assert attendance == sorted(attendance, reverse=True)
    assert curve[0][1].mean_attendance == pytest.approx(curve[0][1].best_mean_attendance)


@pytest.mark.parametrize("burden_by", ["region", "person"])
def test_fair_series_within_a_time_limit_is_still_lexicographic_and_says_so(burden_by: str) -> None:
    plan = fair_series(AUDIENCE, duration_min=60, burden_by=burden_by, time_limit=10.0, **SERIES)  # type: ignore[arg-type]

    assert (round(plan.max_burden, 9), round(plan.mean_attendance, 9)) == brute_force(burden_by)
    assert plan.optimal is True


def _year_audience() -> list[Invitee]:
    zones = ["Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]
    labels = ["EMEA", "AMER", "APAC", "APAC"]
    return [
        Invitee(
            id=str(n),
            tz=zones[n % 4],
            hours=WorkingHours.weekly(
                start=f"{8 + n % 3:02d}:00", end=f"{16 + n % 3:02d}:00", workdays=range(5)
            ),
            label=labels[n % 4],
        )
        for n in range(400)
    ]


def test_fair_series_of_a_year_for_400_people_stops_at_its_time_limit_with_a_fair_plan() -> None:
    began = time.monotonic()
    plan = fair_series(
        _year_audience(),
        first_date=date(2027, 1, 11),
        weeks=52,
        granularity_min=15,
        duration_min=60,
        time_limit=1.0,
    )
    elapsed = time.monotonic() - began

    assert elapsed < 5.0
    assert len(plan.starts) == 52
    # Better than every week at its best start, which leaves a region out of hours all year.
    assert plan.max_burden < 1.0
    assert plan.mean_attendance <= plan.best_mean_attendance


def test_series_tradeoff_within_a_time_limit_covers_every_tolerance() -> None:
    curve = series_tradeoff(
        _year_audience(),
        first_date=date(2027, 1, 11),
        weeks=52,
        granularity_min=30,
        duration_min=60,
        tolerances=(0.0, 0.2, 1.0),
        time_limit=0.6,
    )

    assert [tolerance for tolerance, _ in curve] == [0.0, 0.2, 1.0]
    best = curve[0][1]
    assert best.mean_attendance == pytest.approx(best.best_mean_attendance)
    assert all(plan.mean_attendance >= 0.8 * plan.best_mean_attendance for _, plan in curve[:2])


# Organisers east and west of UTC, planning six Mondays across the spring DST changes of North
# America (14 Mar 2027) and Europe (28 Mar) and the autumn change of Sydney (4 Apr).
SPRING_MONDAYS = [date(2027, 3, 8) + timedelta(days=7 * week) for week in range(6)]


def worker(ident: str, tz: str, *, required: bool = False) -> Invitee:
    return Invitee(
        id=ident,
        tz=tz,
        hours=WorkingHours.weekly(start="09:00", end="17:00", workdays=range(5)),
        weight=3.0 if required else 1.0,
        label=ident,
        required=required,
    )


GLOBAL = [
    worker("ny", "America/New_York"),
    worker("berlin", "Europe/Berlin"),
    worker("kolkata", "Asia/Kolkata"),
    worker("sydney", "Australia/Sydney"),
]


@pytest.mark.parametrize(
    "zone", ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney"]
)
def test_fair_series_in_a_zone_falls_on_the_organisers_local_dates(zone: str) -> None:
    plan = fair_series(
        GLOBAL,
        first_date=SPRING_MONDAYS[0],
        weeks=6,
        granularity_min=60,
        duration_min=60,
        zone=zone,
    )

    local = [datetime.fromtimestamp(start, tz=ZoneInfo(zone)) for start in plan.starts]
    assert [moment.date() for moment in local] == SPRING_MONDAYS


def test_fair_series_without_a_zone_keeps_the_utc_dates_of_knowflow_slots() -> None:
    plan = fair_series(GLOBAL, first_date=SPRING_MONDAYS[0], weeks=6, granularity_min=60)

    utc_dates = [datetime.fromtimestamp(start, tz=UTC).date() for start in plan.starts]
    assert utc_dates == SPRING_MONDAYS


@pytest.mark.parametrize(
    ("zone", "speaker_zone"),
    [
        ("America/New_York", "America/New_York"),
        ("Europe/Berlin", "Europe/Berlin"),
        ("Asia/Kolkata", "Asia/Kolkata"),
        ("Australia/Sydney", "Europe/Berlin"),
    ],
)
def test_fair_series_keeps_a_required_speaker_inside_their_hours_on_every_date(
    zone: str, speaker_zone: str
) -> None:
    audience = [*GLOBAL, worker("speaker", speaker_zone, required=True)]

    free = fair_series(audience, first_date=SPRING_MONDAYS[0], weeks=6, granularity_min=60)
    plan = fair_series(
        audience,
        first_date=SPRING_MONDAYS[0],
        weeks=6,
        granularity_min=60,
        zone=zone,
        required_inside=True,
    )

    def speaker_hours(starts: tuple[int, ...]) -> list[int]:
        return [datetime.fromtimestamp(s, tz=ZoneInfo(speaker_zone)).hour for s in starts]

    # The fair rotation alone sends the speaker outside 09:00-17:00 on some dates ...
    assert not all(9 <= hour <= 16 for hour in speaker_hours(free.starts))
    # ... with the speaker required, every date is inside their day (and still on Mondays).
    assert all(9 <= hour <= 16 for hour in speaker_hours(plan.starts))
    local_dates = [datetime.fromtimestamp(s, tz=ZoneInfo(zone)).date() for s in plan.starts]
    assert local_dates == SPRING_MONDAYS


def test_fair_series_in_berlin_keeps_ten_oclock_across_the_dst_change() -> None:
    berlin_team = [worker(f"b{n}", "Europe/Berlin") for n in range(3)]
    # Berlin alone: any start between 09:00 and 16:00 is as good; the first kept is 09:00.
    plan = fair_series(
        berlin_team, first_date=date(2027, 3, 22), weeks=2, granularity_min=60, zone="Europe/Berlin"
    )

    local = [datetime.fromtimestamp(s, tz=ZoneInfo("Europe/Berlin")) for s in plan.starts]
    assert [f"{moment:%a %d %b %H:%M %Z}" for moment in local] == [
        "Mon 22 Mar 09:00 CET",
        "Mon 29 Mar 09:00 CEST",
    ]
    assert plan.mean_attendance == 1.0
