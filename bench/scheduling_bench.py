"""Benchmark of ``knowflow.scheduling`` on the shared problem-A instances.

Run by ``make bench`` (``.venv/bin/python bench/scheduling_bench.py``). For A-50, A-500, A-5000
and, unless ``--skip-50000``, A-50000 (generated into a temporary directory by the shared
generator), it measures the median wall time from the loaded instance to the answer (building
the availability matrix included) for k = 1, 2, 3 and the fair series, compares covered weights
with the README's optima, and measures two baselines in the same run: the shared scorer's
feasibility matrix (``score.py``, one Python pass per invitee) and greedy coverage. The table
replaces the ``scheduling`` section of ``docs/benchmarks.md``; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import numpy as np  # noqa: E402
from benchdoc import write_section  # noqa: E402

from knowflow.scheduling.availability import availability_build  # noqa: E402
from knowflow.scheduling.coverage import follow_the_sun  # noqa: E402
from knowflow.scheduling.instance import instance_from_json  # noqa: E402
from knowflow.scheduling.series import fair_series  # noqa: E402

SHARED_BENCH = REPO.parent / "shared" / "bench" / "scheduling"
OPTIMUM = {
    "A-50": {1: 31, 2: 56, 3: 64},
    "A-500": {1: 370, 2: 535, 3: 605},
    "A-5000": {1: 3616, 2: 5355, 3: 5942},
    "A-50000": {1: 35767, 2: 52999, 3: 59075},
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def timed(function: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median wall time over ``repeats`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        began = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def plain_greedy(availability: Any, k: int) -> float:
    """The baseline: best start, then repeatedly the best addition, on the full matrix."""
    covers = availability.covers.astype(np.float64)
    uncovered = availability.weights.copy()
    for _ in range(k):
        best = int(np.argmax(covers @ uncovered))
        uncovered[availability.covers[best]] = 0.0
    return float(availability.weights.sum() - uncovered.sum())


def bench_instance(name: str, data: dict[str, Any], repeats: int, score: Any) -> dict[str, Any]:
    instance = instance_from_json(data)
    grid = instance.grid()
    row: dict[str, Any] = {"name": name, "invitees": len(instance.invitees)}
    row["build"], availability = timed(lambda: availability_build(instance.invitees, grid), repeats)
    row["baseline_build"], _ = timed(lambda: score.feasibility(data), 1)
    log(f"{name}: matrix {row['build']:.3f} s (score.py {row['baseline_build']:.3f} s)")
    for k in (1, 2, 3):

        def solve(k: int = k) -> Any:
            return follow_the_sun(availability_build(instance.invitees, grid), k=k, time_limit=600)

        seconds, plan = timed(solve, repeats)

        def greedy(k: int = k) -> float:
            return plain_greedy(availability_build(instance.invitees, grid), k)

        greedy_seconds, greedy_value = timed(greedy, repeats)
        row[k] = {
            "seconds": seconds,
            "weight": plan.covered_weight,
            "optimal": plan.optimal,
            "greedy": greedy_value,
            "greedy_seconds": greedy_seconds,
        }
        log(f"  k={k}: {plan.covered_weight:g} optimal={plan.optimal} in {seconds:.3f} s")
    spec = instance.series
    if spec is not None:
        seconds, plan = timed(
            lambda: fair_series(
                instance.invitees,
                first_date=spec.first_date,
                weeks=spec.weeks,
                step_days=spec.step_days,
                granularity_min=spec.granularity_min,
                duration_min=spec.duration_min,
            ),
            max(1, repeats // 2),
        )
        row["series"] = {"seconds": seconds, "plan": plan}
        log(f"  series: max burden {plan.max_burden:.4f} in {seconds:.3f} s")
    return row


def table(rows: list[dict[str, Any]], command: str, note: str) -> str:
    lines = [
        "### Scheduling (problem A: slot finding)",
        "",
        f"Command: `{command}` — {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} CPUs. Median wall time from the loaded "
        "instance to the answer, building the availability matrix included. "
        "Baselines measured in the same run: the shared scorer's matrix (`score.py`) and greedy.",
        "",
        "| instance | matrix s (score.py s, ×) | k | weight | README optimum | proven | "
        "time s | greedy weight (gap) | greedy s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        optimum = OPTIMUM.get(row["name"], {})
        for k in (1, 2, 3):
            cell = row[k]
            gap = (cell["weight"] - cell["greedy"]) / cell["weight"] * 100 if cell["weight"] else 0
            matrix = (
                f"{row['build']:.3f} ({row['baseline_build']:.3f}, "
                f"{row['baseline_build'] / row['build']:.0f}×)"
                if k == 1
                else ""
            )
            lines.append(
                f"| {row['name'] if k == 1 else ''} | {matrix} | {k} | {cell['weight']:g} | "
                f"{optimum.get(k, '?')} | {'yes' if cell['optimal'] else 'no'} | "
                f"{cell['seconds']:.3f} | {cell['greedy']:g} (−{gap:.1f} %) | "
                f"{cell['greedy_seconds']:.3f} |"
            )
    lines += [
        "",
        "Fair series (12 weekly dates, minimise the largest region burden, then maximise "
        "mean attendance):",
        "",
        "| instance | time s | mean attendance | best-slot-each-week attendance | burden per region |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        if "series" not in row:
            continue
        plan = row["series"]["plan"]
        burdens = ", ".join(f"{unit} {value:.3f}" for unit, value in plan.burden.items())
        lines.append(
            f"| {row['name']} | {row['series']['seconds']:.2f} | {plan.mean_attendance:.3f} | "
            f"{plan.best_mean_attendance:.3f} | {burdens} |"
        )
    if note:
        lines += ["", note]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-50000", action="store_true", help="leave out A-50000")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "benchmarks.md")
    options = parser.parse_args()
    if not (SHARED_BENCH / "instances").is_dir():
        log(f"{SHARED_BENCH} is absent: nothing to benchmark")
        return 0
    sys.path.insert(0, str(SHARED_BENCH))
    import score  # noqa: PLC0415 - the shared scorer, importable only once ../shared is known

    command = "python bench/scheduling_bench.py" + (" --skip-50000" if options.skip_50000 else "")
    rows = []
    for name in ("A-50", "A-500", "A-5000"):
        data = json.loads((SHARED_BENCH / "instances" / f"{name}.json").read_text("utf-8"))
        rows.append(bench_instance(name, data, options.repeats, score))
    note = ""
    if options.skip_50000:
        note = "A-50000 left out (`--skip-50000`)."
    else:
        with tempfile.TemporaryDirectory() as directory:
            log("generating A-50000 ...")
            subprocess.run(
                [sys.executable, str(SHARED_BENCH / "gen_instances.py"), "--out", directory,
                 "--with-50000"],
                check=True,
                stdout=subprocess.DEVNULL,
            )  # fmt: skip
            data = json.loads((Path(directory) / "A-50000.json").read_text("utf-8"))
        rows.append(bench_instance("A-50000", data, 1, score))
        note = "A-50000 is generated by `gen_instances.py --with-50000` and timed once."
    text = table(rows, command, note)
    write_section("scheduling", text, options.output)
    log(f"wrote {options.output}")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
