"""``knowflow programme INSTANCE.json [--time-limit S] [--previous FILE] [--pinned FILE]``.

Solves a problem-B instance and prints exactly one JSON object on stdout, ``{talk_id:
[period_id, room_id]}``, so it can be piped into the scorer; progress, timings and the objective
go to stderr. Exit status:

* 0: a programme was printed (optimal or the best found in the time limit);
* 2: bad input (missing file, bad JSON, wrong kind, dangling id, negative number...), one line;
* 3: the hard constraints cannot all hold; the line names the constraint and the talks;
* 4: no programme found within the time limit, and none proven impossible.

Nothing is printed on stdout unless the status is 0: a partial programme must never be
mistaken for one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import NoReturn

from knowflow.programme import IMPORTS_BEGAN
from knowflow.programme.instance import (
    ProgrammeInputError,
    conference_load,
    json_load,
    placements_from_json,
)
from knowflow.programme.problem import ProgrammeInfeasible
from knowflow.programme.solver import (
    DEFAULT_MOVE_PENALTY,
    ProgrammeNotFound,
    ProgrammeResult,
    programme_solve,
)

# The first run in a process pays for importing OR-Tools and SciPy out of its --time-limit, so
# that `knowflow programme --time-limit 60` returns within 60 s.
_import_seconds = time.perf_counter() - IMPORTS_BEGAN

EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_NOT_FOUND = 4
PROG = "knowflow programme"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse would print the whole usage block; one line is easier to read in a script.
        print(f"{PROG}: {message} (see {PROG} --help)", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Build a conference programme (a period and a room per talk) for a "
        "problem-B instance (../shared/bench/scheduling format). Exit status: 0 programme "
        "printed, 2 bad input, 3 the hard constraints cannot hold, 4 none found in time.",
    )
    parser.add_argument("instance", help="instance JSON file (kind: conference)")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=60.0,
        help="seconds before the best programme found is printed (default 60)",
    )
    parser.add_argument(
        "--previous",
        help="the programme published before ({talk_id: [period_id, room_id]}); "
        "talks stay where they were unless moving them is worth the move penalty",
    )
    parser.add_argument(
        "--move-penalty",
        type=int,
        default=DEFAULT_MOVE_PENALTY,
        help=f"cost of moving one talk away from --previous, in attendee conflicts "
        f"(default {DEFAULT_MOVE_PENALTY})",
    )
    parser.add_argument(
        "--pinned",
        help="talks that must stay where they are ({talk_id: [period_id, room_id or null]})",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    return parser


def _log(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def run(argv: list[str]) -> ProgrammeResult:
    """Solve as asked by ``argv``; raises the domain errors that :func:`main` maps to exits."""
    global _import_seconds
    began = time.perf_counter() - _import_seconds
    _import_seconds = 0.0
    options = _parser().parse_args(argv)
    if not options.time_limit > 0:
        raise ProgrammeInputError(f"--time-limit must be positive, got {options.time_limit:g}")
    if options.move_penalty < 0:
        raise ProgrammeInputError(f"--move-penalty must be 0 or more, got {options.move_penalty}")
    conference = conference_load(options.instance)
    previous = pinned = None
    if options.previous:
        previous = placements_from_json(
            json_load(options.previous, "previous programme"), conference, what="--previous"
        )
    if options.pinned:
        pinned = placements_from_json(
            json_load(options.pinned, "pinned talks"), conference, what="--pinned", pin=True
        )
    # No progress line before the instance is known to be solvable: a refusal is one line.
    result = programme_solve(
        conference,
        time_limit=options.time_limit - (time.perf_counter() - began),
        pinned=pinned,
        previous=previous,
        move_penalty=options.move_penalty,
        seed=options.seed,
        log=_log,
    )
    moved = f", {result.moved_talks} talks moved" if previous is not None else ""
    _log(
        f"objective {result.objective} ({result.audience_conflicts} audience conflicts, "
        f"{result.preference_violations} speaker-preference violations{moved}), "
        f"{result.status}, lower bound {result.bound}, {time.perf_counter() - began:.1f} s"
    )
    return result


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``knowflow programme``; ``argv`` excludes the word ``programme``."""
    try:
        result = run(sys.argv[1:] if argv is None else list(argv))
    except ProgrammeInputError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ProgrammeInfeasible as error:
        print(f"{PROG}: no programme is possible: {error}", file=sys.stderr)
        return EXIT_INFEASIBLE
    except ProgrammeNotFound as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return EXIT_NOT_FOUND
    except SystemExit as exit_:
        return int(exit_.code or 0)
    json.dump({talk: list(place) for talk, place in result.assignment.items()}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
