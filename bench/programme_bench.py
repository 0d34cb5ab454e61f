"""Conference programme benchmark (problem B): ``knowflow programme`` against the best known.

    .venv/bin/python bench/programme_bench.py [--time-limit 60] [--reference-factor 5]
                                              [--only NAME] [--no-write]

For B-small, B-medium and B-large (``../shared/bench/scheduling/instances``) and four instances
generated here with the shared generator and seeds it was never tuned on (3001-3004, the last
one larger than B-large: 600 talks, 12 rooms, 4 days x 14 periods, 3,000 attendees), the command
runs in its own process as a user would run it (``knowflow programme INSTANCE --time-limit
60``); its stdout is scored by the shared ``score.py`` (hard violations included) and its wall
time measured from outside. Generated instances have no best known value, so each is also run
``--reference-factor`` times longer (skipped when the first run is proven optimal) as the best
we know. The table replaces the ``programme`` section of ``docs/benchmarks.md``; progress goes
to stderr.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from benchdoc import write_section

ROOT = Path(__file__).resolve().parents[1]
SHARED_BENCH = ROOT.parent / "shared" / "bench" / "scheduling"
# README of ../shared/bench/scheduling: best known objective and PyCon UK conference-scheduler.
KNOWN = {"B-small": (158, 259), "B-medium": (265, 829), "B-large": (70, 2361)}
UNSEEN = [("small", 3001), ("medium", 3002), ("large", 3003), ("xlarge", 3004)]
XLARGE = {"talks": 600, "rooms": 12, "days": 4, "periods": 14, "attendees": 3000, "interests": 6}
FINAL_LINE = re.compile(
    r"objective (?P<objective>\d+) .*?, (?P<status>optimal|feasible), lower bound (?P<bound>\d+)"
)
ANNEALING = re.compile(r"annealing: .* best (?P<best>\d+)")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def instances(directory: Path) -> list[tuple[str, Path]]:
    """The three shared instances, then the unseen ones written into ``directory``."""
    found = [(name, SHARED_BENCH / "instances" / f"{name}.json") for name in KNOWN]
    generator = _module(SHARED_BENCH / "gen_instances.py", "gen_instances")
    generator.B_SIZES["xlarge"] = XLARGE
    for size, seed in UNSEEN:
        data = generator.gen_b(size, seed=seed)
        name = f"B-{size} seed {seed}"
        path = directory / f"B-{size}-{seed}.json"
        generator.write(data, path)
        found.append((name, path))
    return found


def run(path: Path, seconds: float) -> dict[str, Any]:
    """One ``knowflow programme`` process; its programme, stderr figures and wall time."""
    began = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "knowflow.cli",
            "programme",
            str(path),
            "--time-limit",
            f"{seconds:g}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{path.name}: exit {done.returncode}: {done.stderr.strip()}")
    final = FINAL_LINE.search(done.stderr)
    annealing = ANNEALING.search(done.stderr)
    assert final is not None, done.stderr
    return {
        "programme": json.loads(done.stdout),
        "seconds": wall,
        "status": final["status"],
        "bound": int(final["bound"]),
        "reported": int(final["objective"]),
        "annealing": int(annealing["best"]) if annealing else None,
    }


def scored(scorer: ModuleType, path: Path, programme: dict[str, Any]) -> dict[str, Any]:
    instance = json.loads(path.read_text())
    talks = {t["id"]: i for i, t in enumerate(instance["talks"])}
    rooms = {r["id"]: i for i, r in enumerate(instance["rooms"])}
    schedule = {talks[t]: (p, rooms[r]) for t, (p, r) in programme.items()}
    result: dict[str, Any] = scorer.evaluate_b(instance, schedule)
    result["talks"] = len(instance["talks"])
    return result


def table(rows: list[dict[str, Any]], command: str, limit: float, factor: float) -> str:
    load = os.getloadavg()[0]
    lines = [
        "## Conference programme (problem B)",
        "",
        f"Command: {command} — CPython {platform.python_version()}, {os.cpu_count()} CPUs "
        f"(CP-SAT on 2 workers); load average (1 min) at the end: {load:.1f}. Each run is "
        f"`knowflow programme INSTANCE --time-limit {limit:g}` in its own process; the objective "
        "and the hard violations are those of the shared `score.py` on its stdout; seconds are "
        "the process's wall time. Best known and PyCon UK `conference-scheduler` (CBC) figures "
        "are the README's. Generated instances use the shared generator with seeds it was "
        f'never tuned on; their reference is our own run {factor:g} times longer. "annealing" '
        'is the warm start handed to CP-SAT; "bound" is CP-SAT\'s proven lower bound.',
        "",
        "| instance | talks | objective | best known | peer | hard violations | seconds "
        "| status | bound | annealing | reference |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    for row in rows:
        best, peer = KNOWN.get(row["name"], (None, None))
        reference = row.get("reference")
        lines.append(
            f"| {row['name']} | {row['talks']} | {row['objective']} | {best or '—'} "
            f"| {peer if peer is not None else '—'} | {row['hard_violations']} "
            f"| {row['seconds']:.1f} | {row['status']} | {row['bound']} "
            f"| {row['annealing'] if row['annealing'] is not None else '—'} "
            f"| {reference if reference is not None else '—'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument(
        "--reference-factor",
        type=float,
        default=5.0,
        help="run generated instances this many times longer as their reference (0: skip)",
    )
    parser.add_argument("--only", help="run only the instance whose name contains this")
    parser.add_argument("--no-write", action="store_true", help="print the table, do not write it")
    args = parser.parse_args()
    scorer = _module(SHARED_BENCH / "score.py", "shared_score")
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        for name, path in instances(Path(directory)):
            if args.only and args.only not in name:
                continue
            run_ = run(path, args.time_limit)
            score = scored(scorer, path, run_["programme"])
            if score["objective"] != run_["reported"]:
                raise SystemExit(
                    f"{name}: reported {run_['reported']}, scored {score['objective']}"
                )
            row = {"name": name, **run_, **score}
            log(
                f"{name}: {score['objective']} ({score['hard_violations']} hard violations), "
                f"{run_['status']}, bound {run_['bound']}, {run_['seconds']:.1f} s"
            )
            if name not in KNOWN and args.reference_factor > 0 and run_["status"] != "optimal":
                longer = run(path, args.time_limit * args.reference_factor)
                row["reference"] = scored(scorer, path, longer["programme"])["objective"]
                log(f"  reference ({longer['seconds']:.0f} s): {row['reference']}")
            rows.append(row)
    arguments = " ".join(sys.argv[1:])
    command = f"make bench (runs .venv/bin/python bench/programme_bench.py{' ' + arguments if arguments else ''})"
    text = table(rows, command, args.time_limit, args.reference_factor)
    print(text)
    if not args.no_write and not args.only:
        write_section("programme", text)


if __name__ == "__main__":
    main()
