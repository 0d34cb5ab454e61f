"""Best slots and follow-the-sun repeats on hand-built audiences, against brute force."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from itertools import combinations

import numpy as np
import pytest

from knowflow.scheduling.availability import (
    Availability,
    Invitee,
    SchedulingInputError,
    WorkingHours,
    availability_build,
    candidate_grid,
    epoch_seconds,
    format_utc,
)
from knowflow.scheduling.coverage import best_slots, follow_the_sun


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def office(
    ident: str, tz: str, *, end: str = "17:00", weight: float = 1.0, required: bool = False
) -> Invitee:
    return Invitee(
        id=ident,
        tz=tz,
        hours=WorkingHours.weekly(start="09:00", end=end, workdays=range(5)),
        weight=weight,
        required=required,
    )


def one_day(invitees: list[Invitee], day: str = "2025-10-28") -> Availability:
    grid = candidate_grid(
        window_start=utc(f"{day}T00:00:00Z"),
        window_end=utc(f"{day}T00:00:00Z") + timedelta(days=1),
        step_min=60,
        duration_min=60,
    )
    return availability_build(invitees, grid)


def random_availability(seed: int, *, invitees: int = 80, hours: int = 48) -> Availability:
    rng = random.Random(seed)
    zones = ["Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney",
             "America/Los_Angeles", "Asia/Tokyo", "Europe/Berlin", "Asia/Kathmandu"]  # fmt: skip
    people = []
    for n in range(invitees):
        start = 7 * 60 + 30 * rng.randint(0, 6)
        busy = []
        for _ in range(rng.randint(0, 3)):
            b0 = utc("2025-10-27T00:00:00Z") + timedelta(minutes=30 * rng.randint(0, 2 * hours))
            busy.append((epoch_seconds(b0), epoch_seconds(b0 + timedelta(minutes=60))))
        people.append(
            Invitee(
                id=f"u{n}",
                tz=rng.choice(zones),
                hours=WorkingHours(windows={d: (start, start + 480) for d in range(5)}),
                weight=rng.choice([1.0, 1.0, 2.0, 3.0]),
                busy=tuple(busy),
            )
        )
    grid = candidate_grid(
        window_start=utc("2025-10-27T00:00:00Z"),
        window_end=utc("2025-10-27T00:00:00Z") + timedelta(hours=hours),
        step_min=60,
        duration_min=60,
    )
    return availability_build(people, grid)


def brute_force(availability: Availability, k: int) -> float:
    covers, weights = availability.covers, availability.weights
    return max(
        float(weights[covers[list(combo)].any(axis=0)].sum())
        for combo in combinations(range(covers.shape[0]), k)
    )


def test_best_slots_rank_by_weight_then_earliest() -> None:
    availability = one_day(
        [office("london", "Europe/London", weight=2), office("ny", "America/New_York")]
    )

    proposals = best_slots(availability, count=3)

    # In the week between the EU and US changes, London is on GMT (09:00Z-17:00Z) but New
    # York still on EDT (13:00Z-21:00Z): four shared hours.
    assert [(format_utc(p.start), p.covered_weight) for p in proposals] == [
        ("2025-10-28T13:00:00Z", 3.0),
        ("2025-10-28T14:00:00Z", 3.0),
        ("2025-10-28T15:00:00Z", 3.0),
    ]


def test_best_slots_min_separation_offers_alternatives() -> None:
    availability = one_day(
        [office("london", "Europe/London", weight=2), office("ny", "America/New_York")]
    )

    proposals = best_slots(availability, count=2, min_separation_min=180)

    assert [format_utc(p.start) for p in proposals] == [
        "2025-10-28T13:00:00Z",
        "2025-10-28T16:00:00Z",
    ]


def test_best_slots_never_propose_a_start_a_required_invitee_cannot_attend() -> None:
    availability = one_day(
        [
            office("london", "Europe/London", weight=5),
            office("ny", "America/New_York", weight=10),
            office("tokyo", "Asia/Tokyo", end="19:00", required=True),  # 00:00Z-10:00Z
        ]
    )

    proposals = best_slots(availability, count=3)

    assert [(format_utc(p.start), p.covered_weight) for p in proposals] == [
        ("2025-10-28T09:00:00Z", 6.0),
        ("2025-10-28T00:00:00Z", 1.0),
        ("2025-10-28T01:00:00Z", 1.0),
    ]


def test_follow_the_sun_respects_required_invitee() -> None:
    availability = one_day(
        [
            office("london", "Europe/London", weight=5),
            office("ny", "America/New_York", weight=10),
            office("tokyo", "Asia/Tokyo", end="19:00", required=True),
        ]
    )

    plan = follow_the_sun(availability, k=2)

    allowed = availability.allowed_candidates()
    assert all(allowed[c] for c in plan.candidates)
    assert (plan.covered_weight, plan.optimal) == (6.0, True)


def test_required_invitee_never_available_is_named_with_the_reason() -> None:
    availability = one_day(
        [office("london", "Europe/London"), office("ana", "Asia/Tokyo", required=True)],
        day="2025-10-25",  # a Saturday: nobody works
    )

    with pytest.raises(
        SchedulingInputError,
        match="^required invitee 'ana' is never inside working hours in the window$",
    ):
        best_slots(availability)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_follow_the_sun_equals_brute_force(seed: int, k: int) -> None:
    availability = random_availability(seed)

    plan = follow_the_sun(availability, k=k)

    assert plan.optimal is True
    assert plan.covered_weight == brute_force(availability, k)
    covered = availability.covers[list(plan.candidates)].any(axis=0)
    assert float(availability.weights[covered].sum()) == plan.covered_weight
    assert len(set(plan.starts)) == k


def test_follow_the_sun_k4_uses_mip_and_equals_brute_force() -> None:
    availability = random_availability(4, invitees=60, hours=24)

    plan = follow_the_sun(availability, k=4)

    assert (plan.covered_weight, plan.optimal) == (brute_force(availability, 4), True)


def test_follow_the_sun_states_bound_when_time_runs_out() -> None:
    availability = random_availability(5)

    plan = follow_the_sun(availability, k=3, time_limit=0.0)

    assert plan.covered_weight <= brute_force(availability, 3) <= plan.upper_bound
    if not plan.optimal:
        assert plan.upper_bound > plan.covered_weight


def test_follow_the_sun_k_larger_than_useful_starts_pads_with_allowed_ones() -> None:
    availability = one_day([office("london", "Europe/London")])

    plan = follow_the_sun(availability, k=3)

    assert (plan.covered_weight, plan.optimal, len(plan.starts)) == (1.0, True, 3)
    assert np.unique(plan.candidates).size == 3
