"""``knowflow programme``: one JSON programme on stdout, or one line on stderr and exit 2 or 3."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from knowflow.programme.cli import main
from tests.programme.test_solver import conference_json, hard_violations, period, speaker, talk

SHARED_BENCH = Path(__file__).resolve().parents[2].parent / "shared" / "bench" / "scheduling"
B_SMALL_BEST_KNOWN = 158

SMALL = conference_json(
    periods=[period(p) for p in range(3)],
    rooms={"R0": 100, "R1": 40},
    speakers=[speaker("s1", [0, 1, 2], [0]), speaker("s2", [1, 2]), speaker("s3", [0, 1, 2])],
    talks=[
        talk("t1", "s1", audience=80),
        talk("t2", "s2", audience=30),
        talk("t3", "s3", audience=60),
        talk("t4", "s1"),
    ],
    interests=[["t1", "t3"], ["t1", "t2", "t3"], ["t2", "t4"]],
)


def write(path: Path, data: object) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def knowflow(*args: str) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "knowflow.cli", "programme", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def shared_scorer() -> ModuleType:
    if not SHARED_BENCH.is_dir():
        pytest.skip("../shared is not next to this checkout (a user's clone has no shared data)")
    spec = importlib.util.spec_from_file_location("shared_score", SHARED_BENCH / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def scored(scorer: ModuleType, instance: dict[str, Any], programme: dict[str, Any]) -> Any:
    talks = {t["id"]: i for i, t in enumerate(instance["talks"])}
    rooms = {r["id"]: i for i, r in enumerate(instance["rooms"])}
    schedule = {talks[t]: (p, rooms[r]) for t, (p, r) in programme.items()}
    return scorer.evaluate_b(instance, schedule)


def test_programme_b_small_scores_at_most_the_best_known(tmp_path: Path) -> None:
    scorer = shared_scorer()
    path = SHARED_BENCH / "instances" / "B-small.json"

    done = knowflow(str(path), "--time-limit", "10")

    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1
    programme = json.loads(done.stdout)
    score = scored(scorer, json.loads(path.read_text()), programme)
    assert (score["hard_violations"], score["hard_detail"]) == (0, {})
    assert score["objective"] <= B_SMALL_BEST_KNOWN
    assert f"objective {score['objective']} " in done.stderr


def test_programme_hand_built_is_scored_alike_by_the_shared_scorer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scorer = shared_scorer()

    code = main([write(tmp_path / "small.json", SMALL), "--time-limit", "10"])

    out, err = capsys.readouterr()
    programme = json.loads(out)
    score = scored(scorer, SMALL, programme)
    assert (code, score["hard_violations"]) == (0, 0)
    assert f"objective {score['objective']} " in err
    assert hard_violations(SMALL, {t: tuple(p) for t, p in programme.items()}) == []


def _mutated(change: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(SMALL))
    change(data)
    return data


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "instance '{path}' does not exist"),
        ("{not json", "instance '{path}' is not valid JSON (line 1: Expecting property name enclosed in double quotes)"),
        ({**SMALL, "kind": "slot_finding"}, "kind is 'slot_finding', expected 'conference'"),
        (_mutated(lambda d: d["talks"][0].update(speakers=["nobody"])), "talk 't1' names unknown speaker 'nobody'"),
        (_mutated(lambda d: d["rooms"][1].update(capacity=-5)), "room 'R1' capacity must be at least 1, got -5"),
        (_mutated(lambda d: d["talks"][2].update(expected_audience=-1)), "talk 't3' expected_audience must be at least 0, got -1"),
        (_mutated(lambda d: d["attendees"][0].update(interests=["t1", "t9"])), "attendee 'a0' is interested in unknown talk 't9'"),
        (_mutated(lambda d: d["speakers"][1].update(available_periods=[1, 7])), "speaker 's2' available_periods names unknown period 7"),
        (_mutated(lambda d: d["periods"][1].update(start="2025-06-10T06:30:00Z")), "periods 0 and 1 overlap in time; parallel sessions are rooms of one period, not overlapping periods"),
        (_mutated(lambda d: d["talks"].append(dict(d["talks"][0]))), "two talks have the id 't1'"),
    ],
)  # fmt: skip
def test_programme_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: Any, message: str
) -> None:
    path = tmp_path / "instance.json"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif content is not None:
        write(path, content)

    code = main([str(path), "--time-limit", "5"])

    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == f"knowflow programme: {message.format(path=path)}\n"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--time-limit", "0"], "--time-limit must be positive, got 0"),
        (["--time-limit", "soon"], "argument --time-limit: invalid float value: 'soon' (see knowflow programme --help)"),
        (["--previous", "{tmp}/absent.json"], "previous programme '{tmp}/absent.json' does not exist"),
    ],
)  # fmt: skip
def test_programme_bad_option_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    code = main([write(tmp_path / "small.json", SMALL), *(o.format(tmp=tmp_path) for o in options)])

    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == f"knowflow programme: {message.format(tmp=tmp_path)}\n"


def test_programme_bad_input_through_the_command_has_no_traceback(tmp_path: Path) -> None:
    done = knowflow(write(tmp_path / "bad.json", {**SMALL, "rooms": [{"id": "R0"}]}))

    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "knowflow programme: room #0: missing field 'capacity'\n"


def test_programme_impossible_names_the_constraint_and_talks_and_exits_3(
    tmp_path: Path,
) -> None:
    data = _mutated(lambda d: d["talks"].append(talk("t5", "s2", audience=150)))

    done = knowflow(write(tmp_path / "impossible.json", data), "--time-limit", "5")

    assert (done.returncode, done.stdout) == (3, "")
    assert done.stderr == (
        "knowflow programme: no programme is possible: 'room capacity >= expected_audience' "
        "cannot hold for talk t5: the expected audience exceeds every room that could be "
        "free for it\n"
    )


def test_programme_speaker_overbooked_exits_3_naming_the_talks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _mutated(lambda d: d["talks"].extend([talk("t5", "s2"), talk("t6", "s2")]))

    code = main([write(tmp_path / "impossible.json", data), "--time-limit", "5"])

    out, err = capsys.readouterr()
    assert (code, out) == (3, "")
    assert err == (
        "knowflow programme: no programme is possible: 'speaker not double-booked' cannot hold "
        "for talks t2, t5, t6: speaker s2 gives 3 talks but can only do them in 2 periods\n"
    )


def test_programme_previous_keeps_an_unchanged_programme(tmp_path: Path) -> None:
    instance = write(tmp_path / "small.json", SMALL)
    first = knowflow(instance, "--time-limit", "5")
    previous = tmp_path / "published.json"
    previous.write_text(first.stdout, encoding="utf-8")

    again = knowflow(instance, "--time-limit", "5", "--previous", str(previous))

    assert (first.returncode, again.returncode) == (0, 0)
    assert json.loads(again.stdout) == json.loads(first.stdout)
    assert "0 talks moved" in again.stderr


def test_programme_previous_moves_only_the_talk_that_must_move(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([write(tmp_path / "small.json", SMALL), "--time-limit", "5"]) == 0
    first = json.loads(capsys.readouterr().out)
    gone = first["t2"][0]
    # Speaker s2 can no longer make the period of t2.
    changed = _mutated(
        lambda d: d["speakers"][1].update(available_periods=[p for p in (1, 2) if p != gone])
    )
    previous = write(tmp_path / "published.json", first)

    code = main(
        [write(tmp_path / "changed.json", changed), "--time-limit", "5", "--previous", previous]
    )

    out, err = capsys.readouterr()
    result = json.loads(out)
    moved = sorted(t for t in first if result[t] != first[t])
    assert code == 0
    assert moved[0] == "t2" and len(moved) <= 2
    assert f"{len(moved)} talks moved" in err
    assert hard_violations(changed, {t: tuple(p) for t, p in result.items()}) == []


def test_programme_pinned_talk_stays_put(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pinned = write(tmp_path / "pinned.json", {"t1": [2, "R0"], "t3": [0, None]})

    code = main([write(tmp_path / "small.json", SMALL), "--time-limit", "5", "--pinned", pinned])

    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (result["t1"], result["t3"][0]) == ([2, "R0"], 0)
    assert hard_violations(SMALL, {t: tuple(p) for t, p in result.items()}) == []


def test_programme_is_listed_in_the_knowflow_help(capsys: pytest.CaptureFixture[str]) -> None:
    from knowflow.cli import main as knowflow_main

    code = knowflow_main(["help"])

    assert code == 0
    assert "knowflow programme INSTANCE.json [--time-limit S]" in capsys.readouterr().out
