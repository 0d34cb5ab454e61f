"""``knowflow slots INSTANCE.json [--k 1,2,3] [--series]``: solve a problem-A instance.

Prints one JSON object on stdout (and nothing else there, so it can be piped); progress and
timings go to stderr. Bad input gives a one-line message on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, NoReturn

from knowflow.scheduling.availability import (
    SchedulingInputError,
    availability_build,
    format_utc,
)
from knowflow.scheduling.coverage import follow_the_sun
from knowflow.scheduling.instance import instance_load
from knowflow.scheduling.series import fair_series

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse would print the whole usage block; one line is easier to read in a script.
        print(f"knowflow slots: {message} (see knowflow slots --help)", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="knowflow slots",
        description="Best session starts, follow-the-sun repeats and a fair series rotation "
        "for a slot-finding instance (../shared/bench/scheduling format).",
    )
    parser.add_argument("instance", help="instance JSON file (kind: slot_finding)")
    parser.add_argument(
        "--k", help="comma-separated numbers of repeats, e.g. 1,2,3 (default: the instance's)"
    )
    parser.add_argument("--series", action="store_true", help="also plan the fair series")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=60.0,
        help="seconds per k before the best plan found is returned with its proven bound",
    )
    return parser


def _k_values(text: str | None, default: tuple[int, ...]) -> list[int]:
    if text is None:
        return list(default)
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise SchedulingInputError(f"--k expects numbers like 1,2,3, got {text!r}") from error
    if not values or any(k < 1 for k in values):
        raise SchedulingInputError(f"--k expects positive numbers, got {text!r}")
    return values


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(argv: list[str]) -> dict[str, Any]:
    """Solve as asked by ``argv`` and return the JSON-ready answer."""
    options = _parser().parse_args(argv)
    began = time.perf_counter()
    instance = instance_load(options.instance)
    k_values = _k_values(options.k, instance.k_values)
    _log(f"{instance.name or options.instance}: {len(instance.invitees)} invitees")
    mark = time.perf_counter()
    availability = availability_build(instance.invitees, instance.grid())
    _log(
        f"availability {availability.grid.count} starts x {len(instance.invitees)} invitees "
        f"in {time.perf_counter() - mark:.3f} s"
    )
    answer: dict[str, Any] = {"k": {}}
    for k in k_values:
        mark = time.perf_counter()
        plan = follow_the_sun(availability, k=k, time_limit=options.time_limit)
        entry: dict[str, Any] = {
            "starts": [format_utc(start) for start in plan.starts],
            "covered_weight": plan.covered_weight,
            "optimal": plan.optimal,
        }
        if not plan.optimal:
            entry["upper_bound"] = plan.upper_bound
        answer["k"][str(k)] = entry
        _log(
            f"k={k}: {plan.covered_weight:g} ({plan.method}) in {time.perf_counter() - mark:.3f} s"
        )
    if options.series:
        spec = instance.series
        if spec is None:
            raise SchedulingInputError("--series given but the instance has no 'series' object")
        mark = time.perf_counter()
        series = fair_series(
            instance.invitees,
            first_date=spec.first_date,
            weeks=spec.weeks,
            step_days=spec.step_days,
            granularity_min=spec.granularity_min,
            duration_min=spec.duration_min,
        )
        answer["series"] = {
            "starts": [format_utc(start) for start in series.starts],
            "mean_attendance": round(series.mean_attendance, 6),
            "burden": {unit: round(value, 6) for unit, value in series.burden.items()},
            "max_burden": round(series.max_burden, 6),
            "best_mean_attendance": round(series.best_mean_attendance, 6),
        }
        _log(
            f"series: max burden {series.max_burden:.4f}, mean attendance "
            f"{series.mean_attendance:.4f} in {time.perf_counter() - mark:.3f} s"
        )
    _log(f"total {time.perf_counter() - began:.3f} s")
    return answer


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``knowflow slots``; ``argv`` excludes the word ``slots``."""
    try:
        answer = run(sys.argv[1:] if argv is None else list(argv))
    except SchedulingInputError as error:
        print(f"knowflow slots: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SystemExit as exit_:
        return int(exit_.code or 0)
    json.dump(answer, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
