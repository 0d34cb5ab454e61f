"""Fair rotation of a series, checked against brute force on a tiny audience."""

from __future__ import annotations

from datetime import date
from itertools import product

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
