"""``knowflow slots``: one JSON object on stdout, one-line errors with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowflow.scheduling.cli import main

INSTANCE = {
    "kind": "slot_finding",
    "schema_version": 1,
    "name": "tiny",
    "window_start": "2025-10-28T00:00:00Z",
    "window_end": "2025-10-29T00:00:00Z",
    "granularity_min": 60,
    "duration_min": 60,
    "k_values": [1, 2],
    "series": {"first_date": "2025-10-22", "weeks": 2, "step_days": 7,
               "granularity_min": 60, "duration_min": 60},
    "invitees": [
        {"id": "a", "tz": "Europe/London", "region": "EMEA", "work_start": "09:00",
         "work_end": "17:00", "workdays": [0, 1, 2, 3, 4], "weight": 2, "busy": []},
        {"id": "b", "tz": "Asia/Tokyo", "region": "APAC", "work_start": "09:00",
         "work_end": "17:00", "workdays": [0, 1, 2, 3, 4], "weight": 1,
         "busy": [["2025-10-28T00:00:00Z", "2025-10-28T01:00:00Z"]]},
    ],
}  # fmt: skip


def write(tmp_path: Path, data: object) -> str:
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_slots_prints_one_json_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main([write(tmp_path, INSTANCE), "--series"])

    out, err = capsys.readouterr()
    answer = json.loads(out)
    assert code == 0
    assert answer["k"] == {
        "1": {"starts": ["2025-10-28T09:00:00Z"], "covered_weight": 2.0, "optimal": True},
        "2": {
            "starts": ["2025-10-28T01:00:00Z", "2025-10-28T09:00:00Z"],
            "covered_weight": 3.0,
            "optimal": True,
        },
    }
    assert answer["series"]["burden"] == {"APAC": 0.5, "EMEA": 0.5}
    assert answer["series"]["mean_attendance"] == 0.5
    assert len(answer["series"]["starts"]) == 2
    assert "k=2" in err


def test_slots_k_option_overrides_instance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([write(tmp_path, INSTANCE), "--k", "2"])

    answer = json.loads(capsys.readouterr().out)
    assert (code, list(answer["k"]), "series" in answer) == (0, ["2"], False)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: {**d, "kind": "conference"}, "kind is 'conference', expected 'slot_finding'"),
        (
            lambda d: {**d, "invitees": [{**d["invitees"][0], "tz": "Mars/Olympus"}]},
            "invitee 'a': unknown time zone 'Mars/Olympus'",
        ),
        (lambda d: {**d, "invitees": []}, "the instance has no invitees"),
        (lambda d: {**d, "duration_min": 0}, "duration_min must be a positive integer, got 0"),
    ],
)
def test_slots_bad_instance_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mutate: object, message: str
) -> None:
    code = main([write(tmp_path, mutate(INSTANCE))])  # type: ignore[operator]

    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", f"knowflow slots: {message}\n")


def test_slots_missing_file_and_invalid_json_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")

    codes = [main([str(tmp_path / "absent.json")]), main([str(broken)])]

    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert (codes, out) == ([2, 2], "")
    assert lines[0] == f"knowflow slots: no such file: {tmp_path / 'absent.json'}"
    assert lines[1].startswith(f"knowflow slots: {broken} is not valid JSON: ")
    assert len(lines) == 2
