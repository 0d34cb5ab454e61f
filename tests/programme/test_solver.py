"""``programme_solve`` on small hand-built conferences, checked by brute force and by hand."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest

from knowflow.programme import (
    ProgrammeInfeasible,
    ProgrammeResult,
    conference_from_json,
    programme_solve,
)
from knowflow.programme.problem import (
    ALL_SPEAKERS_AVAILABLE,
    ONE_TALK_PER_ROOM,
    ROOM_CAPACITY,
    SPEAKER_NOT_DOUBLE_BOOKED,
    TALK_FITS_PERIOD,
    interchangeable_periods,
    problem_build,
)

TIME_LIMIT = 10.0


def period(ident: int, minutes: int = 45) -> dict[str, Any]:
    """Period ``ident`` starts at 06:00 UTC plus ``ident`` hours on 10 June 2025."""
    return {"id": ident, "day": 0, "start": f"2025-06-10T{6 + ident:02d}:00:00Z", "duration_min": minutes}  # fmt: skip


def speaker(
    ident: str, available: Sequence[int], preferred: Sequence[int] | None = None
) -> dict[str, Any]:
    preferred = available if preferred is None else preferred
    return {"id": ident, "available_periods": list(available), "preferred_periods": list(preferred)}


def talk(ident: str, *speakers: str, audience: int = 10, minutes: int = 45) -> dict[str, Any]:
    return {
        "id": ident,
        "track": "data",
        "speakers": list(speakers),
        "duration_min": minutes,
        "expected_audience": audience,
    }


def conference_json(
    *,
    periods: Sequence[dict[str, Any]],
    rooms: dict[str, int],
    speakers: Sequence[dict[str, Any]],
    talks: Sequence[dict[str, Any]],
    interests: Sequence[Sequence[str]] = (),
) -> dict[str, Any]:
    """A problem-B instance in the shared format (``kind: conference``)."""
    return {
        "kind": "conference",
        "schema_version": 1,
        "name": "hand-built",
        "periods": list(periods),
        "rooms": [{"id": room, "capacity": capacity} for room, capacity in rooms.items()],
        "tracks": ["data"],
        "speakers": list(speakers),
        "talks": list(talks),
        "attendees": [{"id": f"a{n}", "interests": list(wanted)} for n, wanted in enumerate(interests)],
        "objective_weights": {"audience_conflict": 1, "speaker_pref_violation": 10, "same_track_parallel": 0},
    }  # fmt: skip


def hard_violations(data: dict[str, Any], programme: dict[str, tuple[int, str]]) -> list[str]:
    """Every hard constraint of the README, checked on the JSON alone (not with our code)."""
    found = []
    talks = {t["id"]: t for t in data["talks"]}
    speakers = {s["id"]: s for s in data["speakers"]}
    rooms = {r["id"]: r["capacity"] for r in data["rooms"]}
    lengths = {p["id"]: p["duration_min"] for p in data["periods"]}
    if sorted(programme) != sorted(talks):
        found.append("each talk exactly once")
    for slot, count in Counter(programme.values()).items():
        if count > 1:
            found.append(f"room clash at {slot}")
    booked = Counter((name, p) for t, (p, _) in programme.items() for name in talks[t]["speakers"])
    found += [f"{name} double-booked in {p}" for (name, p), count in booked.items() if count > 1]
    for t, (p, room) in programme.items():
        if any(p not in speakers[name]["available_periods"] for name in talks[t]["speakers"]):
            found.append(f"{t} in unavailable period {p}")
        if rooms[room] < talks[t]["expected_audience"]:
            found.append(f"{t} too big for {room}")
        if talks[t]["duration_min"] > lengths[p]:
            found.append(f"{t} longer than period {p}")
    return found


def score(data: dict[str, Any], periods: dict[str, int]) -> int:
    """``score.py``'s objective, written out again: conflicts + 10 per preference violation."""
    talks = {t["id"]: t for t in data["talks"]}
    speakers = {s["id"]: s for s in data["speakers"]}
    conflicts = sum(
        1
        for attendee in data["attendees"]
        for a, b in itertools.combinations(attendee["interests"], 2)
        if periods[a] == periods[b]
    )
    violations = sum(
        1
        for t, p in periods.items()
        if any(p not in speakers[name]["preferred_periods"] for name in talks[t]["speakers"])
    )
    return conflicts + 10 * violations


def brute_force_optimum(data: dict[str, Any]) -> int:
    """The best score over every period vector whose talks can all get rooms."""
    talks = data["talks"]
    speakers = {s["id"]: s for s in data["speakers"]}
    capacities = sorted((r["capacity"] for r in data["rooms"]), reverse=True)
    options = [
        [
            p["id"]
            for p in data["periods"]
            if all(p["id"] in speakers[n]["available_periods"] for n in t["speakers"])
            and p["duration_min"] >= t["duration_min"]
        ]
        for t in talks
    ]
    best = None
    for choice in itertools.product(*options):
        booked = Counter((n, p) for t, p in zip(talks, choice, strict=True) for n in t["speakers"])
        if any(count > 1 for count in booked.values()):
            continue
        fits = True
        for p in set(choice):
            audiences = sorted(
                (t["expected_audience"] for t, q in zip(talks, choice, strict=True) if q == p),
                reverse=True,
            )
            if len(audiences) > len(capacities) or any(
                a > c for a, c in zip(audiences, capacities, strict=False)
            ):
                fits = False
        if fits:
            value = score(data, {t["id"]: p for t, p in zip(talks, choice, strict=True)})
            best = value if best is None else min(best, value)
    assert best is not None
    return best


def solve(data: dict[str, Any], **options: Any) -> ProgrammeResult:
    return programme_solve(conference_from_json(data), time_limit=TIME_LIMIT, **options)


# Eight talks, four periods, a big and a small room; speaker s1 gives two talks, s5 and s6
# share one, audiences that only the big room holds, preferences that cannot all be met.
MIXED = conference_json(
    periods=[period(p) for p in range(4)],
    rooms={"R0": 100, "R1": 30},
    speakers=[
        speaker("s1", [0, 1, 2], [0]),
        speaker("s2", [0, 1, 2, 3], [0, 1]),
        speaker("s3", [1, 2, 3], [3]),
        speaker("s4", [0, 1, 2, 3]),
        speaker("s5", [0, 1, 3], [1]),
        speaker("s6", [1, 2, 3], [1, 2]),
        speaker("s7", [0, 3], [3]),
    ],
    talks=[
        talk("t1", "s1", audience=80),
        talk("t2", "s1", audience=20),
        talk("t3", "s2", audience=90),
        talk("t4", "s3", audience=60),
        talk("t5", "s4", audience=25),
        talk("t6", "s5", "s6", audience=70),
        talk("t7", "s7", audience=30),
        talk("t8", "s4", audience=15),
    ],
    interests=[
        ["t1", "t3", "t6"],
        ["t1", "t3"],
        ["t2", "t5", "t8"],
        ["t4", "t6", "t7"],
        ["t1", "t4"],
        ["t3", "t6", "t8"],
        ["t5", "t7"],
    ],
)


def test_solve_mixed_keeps_hard_constraints_and_is_optimal() -> None:
    result = solve(MIXED)

    assert hard_violations(MIXED, dict(result.assignment)) == []
    periods = {t: p for t, (p, _) in result.assignment.items()}
    assert result.objective == score(MIXED, periods) == brute_force_optimum(MIXED)
    assert (result.optimal, result.bound) == (True, result.objective)


def test_solve_separates_talks_with_a_shared_audience() -> None:
    data = conference_json(
        periods=[period(0), period(1)],
        rooms={"R0": 50, "R1": 50},
        speakers=[speaker("s1", [0, 1]), speaker("s2", [0, 1])],
        talks=[talk("t1", "s1"), talk("t2", "s2")],
        interests=[["t1", "t2"]] * 3,
    )

    result = solve(data)

    assert result.assignment["t1"][0] != result.assignment["t2"][0]
    assert (result.objective, result.audience_conflicts, result.optimal) == (0, 0, True)


def test_solve_follows_a_speaker_preference() -> None:
    data = conference_json(
        periods=[period(p) for p in range(3)],
        rooms={"R0": 50},
        speakers=[speaker("s1", [0, 1, 2], [2])],
        talks=[talk("t1", "s1")],
    )

    assert dict(solve(data).assignment) == {"t1": (2, "R0")}


def test_solve_never_double_books_a_speaker_even_at_a_cost() -> None:
    data = conference_json(
        periods=[period(0), period(1)],
        rooms={"R0": 50, "R1": 50},
        speakers=[speaker("s1", [0, 1], [0])],
        talks=[talk("t1", "s1"), talk("t2", "s1")],
    )

    result = solve(data)

    assert {result.assignment["t1"][0], result.assignment["t2"][0]} == {0, 1}
    assert (result.objective, result.preference_violations) == (10, 1)


def test_solve_gives_each_big_audience_the_big_room() -> None:
    # Both talks prefer period 0, but only one room holds 80: one of them must move.
    data = conference_json(
        periods=[period(0), period(1)],
        rooms={"small": 10, "big": 100},
        speakers=[speaker("s1", [0, 1], [0]), speaker("s2", [0, 1], [0])],
        talks=[talk("t1", "s1", audience=80), talk("t2", "s2", audience=80)],
    )

    result = solve(data)

    assert sorted(result.assignment.values()) == [(0, "big"), (1, "big")]
    assert result.objective == 10


def test_solve_puts_a_long_talk_in_a_long_enough_period() -> None:
    data = conference_json(
        periods=[period(0), period(1, minutes=90), period(3)],
        rooms={"R0": 50},
        speakers=[speaker("s1", [0, 1, 3], [0])],
        talks=[talk("workshop", "s1", minutes=90), talk("short", "s1")],
    )

    result = solve(data)

    assert result.assignment["workshop"] == (1, "R0")
    assert hard_violations(data, dict(result.assignment)) == []


def test_solve_orders_interchangeable_periods_without_losing_the_optimum() -> None:
    data = conference_json(
        periods=[period(p) for p in range(3)],
        rooms={"R0": 50, "R1": 20},
        speakers=[speaker(f"s{n}", [0, 1, 2]) for n in range(6)],
        talks=[talk(f"t{n}", f"s{n}", audience=30 if n < 3 else 10) for n in range(6)],
        # Six talks for six room-slots: every talk shares a period with another, and every
        # pair has someone interested in both, so the optimum is above zero.
        interests=[
            ["t0", "t1", "t2", "t3", "t4", "t5"],
            ["t0", "t3"],
            ["t1", "t4", "t5"],
            ["t2", "t5"],
        ],
    )
    problem = problem_build(conference_from_json(data))

    result = solve(data)

    assert interchangeable_periods(problem) == [[0, 1, 2]]
    assert result.objective == brute_force_optimum(data) == 3
    assert hard_violations(data, dict(result.assignment)) == []


@pytest.mark.parametrize(
    ("data", "constraint", "talks"),
    [
        pytest.param(
            conference_json(
                periods=[period(0), period(1)],
                rooms={"R0": 50},
                speakers=[speaker("s1", [0]), speaker("s2", [1])],
                talks=[talk("t1", "s1", "s2"), talk("t2", "s1")],
            ),
            ALL_SPEAKERS_AVAILABLE,
            ("t1",),
            id="speakers-share-no-period",
        ),
        pytest.param(
            conference_json(
                periods=[period(p) for p in range(3)],
                rooms={"R0": 50, "R1": 50},
                speakers=[speaker("s1", [0, 1]), speaker("s2", [0, 1, 2])],
                talks=[talk("a", "s1"), talk("b", "s1"), talk("c", "s1"), talk("d", "s2")],
            ),
            SPEAKER_NOT_DOUBLE_BOOKED,
            ("a", "b", "c"),
            id="speaker-has-more-talks-than-periods",
        ),
        pytest.param(
            conference_json(
                periods=[period(0), period(1)],
                rooms={"R0": 50},
                speakers=[speaker(f"s{n}", [0, 1]) for n in range(3)],
                talks=[talk(f"t{n}", f"s{n}") for n in range(3)],
            ),
            ONE_TALK_PER_ROOM,
            ("t0", "t1", "t2"),
            id="more-talks-than-room-slots",
        ),
        pytest.param(
            conference_json(
                periods=[period(0), period(1)],
                rooms={"R0": 100, "R1": 40},
                speakers=[speaker("s1", [0, 1])],
                talks=[talk("t1", "s1", audience=100), talk("t2", "s1", audience=150)],
            ),
            ROOM_CAPACITY,
            ("t2",),
            id="audience-exceeds-every-room",
        ),
        pytest.param(
            conference_json(
                periods=[period(p) for p in range(3)],
                rooms={"R0": 100, "R1": 40},
                speakers=[speaker(f"s{n}", [0, 1, 2]) for n in range(4)],
                talks=[talk(f"t{n}", f"s{n}", audience=90 if n < 3 else 20) for n in range(4)]
                + [talk("t4", "s3", audience=95)],
            ),
            ROOM_CAPACITY,
            ("t0", "t1", "t2", "t4"),
            id="more-big-audiences-than-big-room-slots",
        ),
        pytest.param(
            conference_json(
                periods=[period(0), period(1)],
                rooms={"R0": 50},
                speakers=[speaker("s1", [0, 1])],
                talks=[talk("t1", "s1", minutes=90)],
            ),
            TALK_FITS_PERIOD,
            ("t1",),
            id="talk-longer-than-every-period",
        ),
        pytest.param(
            # Prechecks pass (a and b can take periods 0 and 1, c and d fill period 0), but a
            # and b cannot both run in period 1: CP-SAT proves it, the core names the four.
            conference_json(
                periods=[period(p) for p in range(3)],
                rooms={"R0": 50, "R1": 50},
                speakers=[
                    speaker("x", [0, 1]),
                    speaker("y", [0]),
                    speaker("z", [0]),
                    speaker("w", [0, 1, 2]),
                ],
                talks=[
                    talk("a", "x"),
                    talk("b", "x"),
                    talk("c", "y"),
                    talk("d", "z"),
                    talk("e", "w"),
                ],
            ),
            SPEAKER_NOT_DOUBLE_BOOKED,
            ("a", "b", "c", "d"),
            id="speakers-and-rooms-together",
        ),
    ],
)
def test_solve_refuses_an_impossible_programme_naming_the_talks(
    data: dict[str, Any], constraint: str, talks: tuple[str, ...]
) -> None:
    with pytest.raises(ProgrammeInfeasible) as refused:
        solve(data)

    assert (refused.value.constraint, refused.value.talks) == (constraint, talks)


def test_solve_keeps_pinned_talks_where_they_are_pinned() -> None:
    free = solve(MIXED)
    moved_away = next(p for p in (0, 1, 2) if p != free.assignment["t1"][0])

    result = solve(MIXED, pinned={"t1": (moved_away, "R0"), "t5": (3, None)})

    assert result.assignment["t1"] == (moved_away, "R0")
    assert result.assignment["t5"][0] == 3
    assert hard_violations(MIXED, dict(result.assignment)) == []
    assert result.objective >= free.objective


def test_solve_refuses_two_talks_pinned_to_one_room_slot() -> None:
    with pytest.raises(ProgrammeInfeasible) as refused:
        solve(MIXED, pinned={"t3": (1, "R0"), "t5": (1, "R0")})

    assert (refused.value.constraint, refused.value.talks) == (ONE_TALK_PER_ROOM, ("t3", "t5"))


def test_solve_refuses_a_pin_outside_the_speakers_availability() -> None:
    with pytest.raises(ProgrammeInfeasible) as refused:
        solve(MIXED, pinned={"t7": (1, None)})

    assert (refused.value.constraint, refused.value.talks) == (ALL_SPEAKERS_AVAILABLE, ("t7",))


# Twelve talks by twelve speakers, four periods, three rooms, all interchangeable at first:
# many programmes are equally good, so without --previous a re-run may pick any of them.
STABLE = conference_json(
    periods=[period(p) for p in range(4)],
    rooms={"R0": 60, "R1": 60, "R2": 60},
    speakers=[speaker(f"s{n}", [0, 1, 2, 3]) for n in range(12)],
    talks=[talk(f"t{n}", f"s{n}") for n in range(12)],
    interests=[[f"t{n}", f"t{(n + 1) % 12}"] for n in range(12)],
)


def test_solve_with_previous_keeps_an_unchanged_programme() -> None:
    first = solve(STABLE)

    again = solve(STABLE, previous=first.assignment)

    assert dict(again.assignment) == dict(first.assignment)
    assert (again.moved_talks, again.objective) == (0, first.objective)


def test_solve_with_previous_moves_few_talks_after_a_change() -> None:
    first = solve(STABLE)
    gone = first.assignment["t0"][0]
    changed = {
        **STABLE,
        "speakers": [
            speaker("s0", [p for p in range(4) if p != gone]),
            *STABLE["speakers"][1:],
        ],
    }

    result = solve(changed, previous=first.assignment)

    moved = sorted(t for t in first.assignment if result.assignment[t] != first.assignment[t])
    assert result.assignment["t0"][0] != gone
    assert "t0" in moved and len(moved) <= 3
    assert result.moved_talks == len(moved)
    assert result.objective == solve(changed).objective == 0
    assert hard_violations(changed, dict(result.assignment)) == []


@pytest.mark.parametrize(
    ("penalty", "moved"),
    [(5, [["t4"]]), (2, [["t1", "t4"], ["t2", "t4"]]), (11, [[]])],
)
def test_solve_with_previous_moves_a_talk_only_when_it_pays_more_than_the_penalty(
    penalty: int, moved: list[list[str]]
) -> None:
    # Previously t1 and t2 ran together (3 attendees' conflict) and t4 outside its speaker's
    # preferred period (10): each fix moves one talk.
    data = conference_json(
        periods=[period(p) for p in range(3)],
        rooms={"R0": 50, "R1": 50},
        speakers=[speaker("s1", [0, 1, 2]), speaker("s2", [0, 1, 2], [0, 2]), speaker("s3", [0, 1, 2]),
                  speaker("s4", [0, 1, 2], [1])],
        talks=[talk("t1", "s1"), talk("t2", "s2"), talk("t3", "s3"), talk("t4", "s4")],
        interests=[["t1", "t2"]] * 3,
    )  # fmt: skip
    previous = {"t1": (0, "R0"), "t2": (0, "R1"), "t3": (1, "R0"), "t4": (2, "R0")}

    result = solve(data, previous=previous, move_penalty=penalty)

    changed = sorted(t for t in previous if result.assignment[t] != previous[t])
    assert changed in moved
    assert result.moved_talks == len(changed)
