"""The problem-A instance format (``"kind": "slot_finding"``) read into plain dataclasses.

The format is the one of ``../shared/bench/scheduling/README.md``; any instance in it must work,
not only the shipped ones, so every field is validated with a message that names it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from knowflow.scheduling.availability import (
    CandidateGrid,
    Invitee,
    SchedulingInputError,
    WorkingHours,
    candidate_grid,
    epoch_seconds,
    load_zone,
    parse_utc,
)

SLOT_FINDING_KIND = "slot_finding"


@dataclass(frozen=True)
class SeriesSpec:
    """A recurring session: ``weeks`` occurrences from ``first_date`` every ``step_days``."""

    first_date: date
    weeks: int
    step_days: int
    granularity_min: int
    duration_min: int


@dataclass(frozen=True)
class SlotInstance:
    """A slot-finding problem: an audience, a UTC window, a step and a duration."""

    name: str
    window_start: datetime
    window_end: datetime
    granularity_min: int
    duration_min: int
    k_values: tuple[int, ...]
    invitees: tuple[Invitee, ...]
    series: SeriesSpec | None

    def grid(self) -> CandidateGrid:
        return candidate_grid(
            window_start=self.window_start,
            window_end=self.window_end,
            step_min=self.granularity_min,
            duration_min=self.duration_min,
        )


def _field(data: Mapping[str, Any], name: str, where: str) -> Any:
    if name not in data:
        raise SchedulingInputError(f"{where}: missing field {name!r}")
    return data[name]


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise SchedulingInputError(f"{name} must be a positive integer, got {value!r}")
    return value


def _invitee_from_json(data: Any, position: int) -> Invitee:
    where = f"invitee #{position}"
    if not isinstance(data, Mapping):
        raise SchedulingInputError(f"{where} is not an object")
    ident = str(data.get("id", position))
    where = f"invitee {ident!r}"
    tz = _field(data, "tz", where)
    if not isinstance(tz, str):
        raise SchedulingInputError(f"{where}: tz must be a string")
    try:
        load_zone(tz)  # fail early, naming the invitee
    except SchedulingInputError as error:
        raise SchedulingInputError(f"{where}: {error}") from error
    workdays = _field(data, "workdays", where)
    if not isinstance(workdays, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) for d in workdays
    ):
        raise SchedulingInputError(f"{where}: workdays must be a list of 0..6")
    try:
        hours = WorkingHours.weekly(
            start=_field(data, "work_start", where),
            end=_field(data, "work_end", where),
            workdays=workdays,
        )
    except SchedulingInputError as error:
        raise SchedulingInputError(f"{where}: {error}") from error
    busy: list[tuple[int, int]] = []
    for pair in data.get("busy") or []:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise SchedulingInputError(f"{where}: a busy block must be [start, end]")
        begin, end = epoch_seconds(parse_utc(pair[0])), epoch_seconds(parse_utc(pair[1]))
        if end <= begin:
            raise SchedulingInputError(f"{where}: busy block {pair!r} ends before it starts")
        busy.append((begin, end))
    weight = data.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight > 0:
        raise SchedulingInputError(f"{where}: weight must be a positive number")
    return Invitee(
        id=ident,
        tz=tz,
        hours=hours,
        weight=float(weight),
        busy=tuple(busy),
        required=bool(data.get("required", False)),
        label=str(data.get("region", "")),
    )


def instance_from_json(data: Any) -> SlotInstance:
    """Validate and convert a decoded problem-A JSON document."""
    if not isinstance(data, Mapping):
        raise SchedulingInputError("the instance must be a JSON object")
    kind = data.get("kind")
    if kind != SLOT_FINDING_KIND:
        raise SchedulingInputError(f"kind is {kind!r}, expected {SLOT_FINDING_KIND!r}")
    where = "instance"
    invitees_json = _field(data, "invitees", where)
    if not isinstance(invitees_json, list) or not invitees_json:
        raise SchedulingInputError("the instance has no invitees")
    k_values = data.get("k_values", [1, 2, 3])
    if not isinstance(k_values, list):
        raise SchedulingInputError("k_values must be a list of positive integers")
    series = None
    if isinstance(data.get("series"), Mapping):
        spec = data["series"]
        try:
            first = date.fromisoformat(_field(spec, "first_date", "series"))
        except (TypeError, ValueError) as error:
            raise SchedulingInputError("series.first_date must be YYYY-MM-DD") from error
        series = SeriesSpec(
            first_date=first,
            weeks=_positive_int(_field(spec, "weeks", "series"), "series.weeks"),
            step_days=_positive_int(spec.get("step_days", 7), "series.step_days"),
            granularity_min=_positive_int(
                spec.get("granularity_min", data.get("granularity_min", 30)),
                "series.granularity_min",
            ),
            duration_min=_positive_int(
                spec.get("duration_min", data.get("duration_min", 60)), "series.duration_min"
            ),
        )
    instance = SlotInstance(
        name=str(data.get("name", "")),
        window_start=parse_utc(_field(data, "window_start", where)),
        window_end=parse_utc(_field(data, "window_end", where)),
        granularity_min=_positive_int(_field(data, "granularity_min", where), "granularity_min"),
        duration_min=_positive_int(_field(data, "duration_min", where), "duration_min"),
        k_values=tuple(_positive_int(k, "k_values") for k in k_values),
        invitees=tuple(_invitee_from_json(inv, n) for n, inv in enumerate(invitees_json)),
        series=series,
    )
    instance.grid()  # a window shorter than the session fails here, before any work
    return instance


def instance_load(path: str | Path) -> SlotInstance:
    """Read and validate an instance file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise SchedulingInputError(f"no such file: {path}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise SchedulingInputError(f"cannot read {path}: {error}") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SchedulingInputError(f"{path} is not valid JSON: {error}") from error
    return instance_from_json(data)
