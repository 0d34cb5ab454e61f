"""``programme_check``: a hand-edited programme scored as the solver scores it, each broken hard
constraint named in words."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from knowflow.programme import conference_from_json, conference_load, programme_solve
from knowflow.programme.check import programme_check
from tests.programme.test_solver import conference_json, period, speaker, talk

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "bench" / "scheduling"


def small() -> dict:
    return conference_json(
        periods=[period(0), period(1), period(2, minutes=30)],
        rooms={"Hopper": 50, "Lovelace": 10},
        speakers=[speaker("ada", [0, 1, 2], preferred=[0]), speaker("bob", [1, 2])],
        talks=[talk("t1", "ada", audience=40), talk("t2", "bob"), talk("t3", "ada")],
        interests=[["t1", "t2"], ["t1", "t2"], ["t2", "t3"]],
    )


def test_a_good_programme_has_no_violation_and_the_solvers_score() -> None:
    conference = conference_from_json(small())
    result = programme_solve(conference, time_limit=5)
    checked = programme_check(conference, result.assignment)
    assert checked.violations == ()
    assert checked.feasible
    assert (checked.objective, checked.audience_conflicts, checked.preference_violations) == (
        result.objective,
        result.audience_conflicts,
        result.preference_violations,
    )


def test_costs_are_counted_per_attendee_pair_and_per_talk_outside_preferences() -> None:
    conference = conference_from_json(small())
    # t1 and t2 at once: two attendees want both; t3 at 1 is outside ada's preferred period 0.
    checked = programme_check(
        conference, {"t1": (1, "Hopper"), "t2": (1, "Lovelace"), "t3": (0, "Lovelace")}
    )
    assert (checked.audience_conflicts, checked.preference_violations) == (2, 1)
    assert checked.objective == 2 * 1 + 1 * 10
    assert checked.violations == ()


def test_every_hard_constraint_is_named_with_readable_names() -> None:
    conference = conference_from_json(small())
    names = {"t1": "“Keynote”", "t2": "“Kafka”", "t3": "“SQL”", "ada": "Ada", "bob": "Bob"}
    checked = programme_check(
        conference,
        # t1 (40 people) in the 10-seat room; t2 with t3 in one room; bob unavailable at 0;
        # ada gives t1 and t3 at once.
        {"t1": (0, "Lovelace"), "t2": (0, "Hopper"), "t3": (0, "Hopper")},
        names=names,
    )
    assert set(checked.violations) == {
        "“Keynote” expects 40 people; Lovelace holds 10.",
        "Bob is not available then for “Kafka”.",
        "“Kafka”, “SQL” are in Hopper at the same time.",
        "Ada would give “Keynote”, “SQL” at the same time.",
    }
    short = programme_check(
        conference, {"t1": (0, "Hopper"), "t2": (1, "Hopper"), "t3": (2, "Hopper")}, names=names
    )
    assert short.violations == ("“SQL” lasts 45 minutes; the period has 30.",)
    missing = programme_check(conference, {"t1": (0, "Hopper"), "t2": (9, "Hopper")}, names=names)
    assert set(missing.violations) == {
        "“SQL” has no place in the programme.",
        "“Kafka” is placed in a period or room that does not exist.",
    }


@pytest.mark.shared
@pytest.mark.skipif(not SHARED.exists(), reason="../shared/bench/scheduling is not here")
def test_the_check_agrees_with_the_shared_scorer_on_an_edited_programme() -> None:
    path = SHARED / "instances" / "B-small.json"
    conference = conference_load(str(path))
    result = programme_solve(conference, time_limit=5)
    edited = dict(result.assignment)
    first, second = sorted(edited)[:2]
    edited[first] = edited[second]  # two talks in one room and period: a hard violation
    checked = programme_check(conference, edited)
    out = subprocess.run(
        [sys.executable, str(SHARED / "score.py"), "B", str(path), "/dev/stdin"],
        input=json.dumps({k: list(v) for k, v in edited.items()}),
        capture_output=True,
        text=True,
        check=True,
    )
    scored = json.loads(out.stdout.strip().splitlines()[-1])
    assert checked.objective == scored["objective"]
    assert checked.audience_conflicts == scored["audience_conflicts"]
    assert checked.preference_violations == scored["speaker_pref_violations"]
    assert (len(checked.violations) > 0) == (scored["hard_violations"] > 0)
