"""The shared benchmark instances: our answers must equal the README's optimal weights.

A-5000 is left to ``bench/scheduling_bench.py`` to keep the suite fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from knowflow.scheduling.availability import availability_build, format_utc
from knowflow.scheduling.coverage import follow_the_sun
from knowflow.scheduling.instance import instance_load
from knowflow.scheduling.series import fair_series

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
BENCH = SHARED / "bench" / "scheduling"
OPTIMUM = {"A-50": {1: 31.0, 2: 56.0, 3: 64.0}, "A-500": {1: 370.0, 2: 535.0, 3: 605.0}}

pytestmark = pytest.mark.shared


def bench_dir() -> Path:
    if not (BENCH / "instances").is_dir():
        pytest.skip("../shared/bench/scheduling is absent (a user's clone has no shared data)")
    return BENCH


@pytest.mark.parametrize("name", ["A-50", "A-500"])
def test_follow_the_sun_equals_readme_optimum(name: str) -> None:
    instance = instance_load(bench_dir() / "instances" / f"{name}.json")
    availability = availability_build(instance.invitees, instance.grid())

    plans = {k: follow_the_sun(availability, k=k) for k in (1, 2, 3)}

    assert {k: (p.covered_weight, p.optimal) for k, p in plans.items()} == {
        k: (weight, True) for k, weight in OPTIMUM[name].items()
    }


def test_feasibility_equals_score_py_cell_for_cell() -> None:
    bench = bench_dir()
    sys.path.insert(0, str(bench))
    try:
        import score  # the shared scorer defines the problem
    finally:
        sys.path.remove(str(bench))
    path = bench / "instances" / "A-500.json"
    instance = instance_load(path)
    starts, reference, _ = score.feasibility(json.loads(path.read_text(encoding="utf-8")))

    availability = availability_build(instance.invitees, instance.grid())

    assert [format_utc(s) for s in availability.starts] == [score.iso(s) for s in starts]
    assert (availability.covers == reference.T).all()
    plan = follow_the_sun(availability, k=3)
    assert (
        score.covered_weight(
            json.loads(path.read_text(encoding="utf-8")), [format_utc(s) for s in plan.starts]
        )[0]
        == plan.covered_weight
    )


def test_fair_series_on_a500() -> None:
    instance = instance_load(bench_dir() / "instances" / "A-500.json")
    spec = instance.series
    assert spec is not None

    plan = fair_series(
        instance.invitees,
        first_date=spec.first_date,
        weeks=spec.weeks,
        step_days=spec.step_days,
        granularity_min=spec.granularity_min,
        duration_min=spec.duration_min,
    )

    # Both figures are unique optima (per-region burdens may tie between optimal plans).
    assert (round(plan.max_burden, 4), round(plan.mean_attendance, 4)) == (0.5799, 0.4271)
    assert sorted(plan.burden) == ["AMER", "APAC", "EMEA", "OTHER"]
