"""The same pages and the same scheduling instances timed on two commits, in turns, in one run.

    .venv/bin/python bench/before_after_bench.py --before /path/to/older/checkout [--rounds 5]

What a refactor must not cost (issue 12: no page, search or scheduling figure more than 10 %
slower). ``--before`` is another checkout with its own ``.venv`` (``git worktree add
../kf-before <commit>`` then ``make .venv/.installed`` there). Each checkout serves its own copy
of the large demo (``var/bench/load-sqlite/``, made by ``bench/load_bench.py``; the older one
gets a copy migrated by its own code), and a child process of each checkout's Python times, in
process with Django's test client as a signed-in member, the session page across sessions,
home, the catalogue and search with queries as people type them, then the scheduling
benchmark's instances. The rounds alternate the two checkouts so that the machine's load
falls on both alike; the figure per page is the median over all requests of all rounds, the
ratio is after / before. The table goes to ``docs/benchmarks.md`` between
``<!-- BEGIN refactor -->`` and ``<!-- END refactor -->``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from benchdoc import write_section
from http_pages_bench import QUERIES
from load_bench import BENCH_DIR, _environment

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KINDS = ("session page", "home", "catalogue", "search")

CHILD = r"""
import json, os, statistics, sys, time
import django
django.setup()
from django.contrib.auth import get_user_model
from django.test import Client

plan = json.loads(sys.argv[1])
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(get_user_model().objects.get(username="member"))
out = {}
for kind, paths in plan["pages"].items():
    for path in paths[:3]:
        client.get(path)  # warm the caches
    timings = []
    for path in paths:
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")
    out[kind] = timings
print(json.dumps(out))
"""


RELATED = r"""
import json, sys
import django
django.setup()
try:
    from knowflow.library.related import refresh
except ImportError:  # before the search app: the library kept it in its search package
    from knowflow.library.search.related import refresh
from knowflow.events.models import Session

slugs = json.loads(sys.argv[1])
refresh([("session", pk) for pk in Session.objects.filter(slug__in=slugs).values_list("pk", flat=True)])
"""


def _python(checkout: Path) -> str:
    return str(checkout / ".venv" / "bin" / "python")


def _prepare_before(before: Path) -> dict[str, str]:
    """A copy of the large demo for the older checkout, migrated by its own code."""
    source = _environment("sqlite", "", "large")
    env = {**source, "KNOWFLOW_DATA_DIR": str(before / "var" / "bench" / "load-sqlite")}
    target = Path(env["KNOWFLOW_DATA_DIR"])
    target.mkdir(parents=True, exist_ok=True)
    database = target / "knowflow.sqlite3"
    if not database.exists():
        shutil.copy(Path(source["KNOWFLOW_DATA_DIR"]) / "knowflow.sqlite3", database)
    _migrate(before, env)
    return env


def _migrate(checkout: Path, env: dict[str, str]) -> None:
    """The checkout's migrations and static files (production settings serve them hashed)."""
    knowflow = str(checkout / ".venv" / "bin" / "knowflow")
    for command in (["migrate"], ["collectstatic"]):
        subprocess.run([knowflow, *command, "--no-input", "-v", "0"], env=env, check=True)


def _analyse(env: dict[str, str]) -> None:
    """Fresh planner statistics and a merged full-text index in both copies, so neither is
    measured with stale statistics or with the segments an earlier reindex left."""
    import sqlite3

    connection = sqlite3.connect(Path(env["KNOWFLOW_DATA_DIR"]) / "knowflow.sqlite3")
    connection.execute("ANALYZE")
    connection.execute("INSERT INTO library_search_fts(library_search_fts) VALUES ('optimize')")
    connection.commit()
    connection.close()


def _pages(requests: int) -> dict[str, list[str]]:
    plan = json.loads((BENCH_DIR / "load-sqlite" / "plan.json").read_text())
    sessions = plan["sessions"][:requests]
    return {
        "session page": [f"/sessions/{slug}/" for slug in sessions],
        "home": ["/"] * requests,
        "catalogue": ["/sessions/"] * requests,
        "search": [
            "/search/?q=" + QUERIES[i % len(QUERIES)].replace(" ", "+") for i in range(requests)
        ],
    }


def _refresh_related(checkout: Path, env: dict[str, str], slugs: list[str]) -> None:
    """The same "More on this" stored in both copies for the sessions measured, each computed
    by its checkout's code: a copy holding it for fewer sessions would do less per page."""
    subprocess.run(
        [_python(checkout), "-c", RELATED, json.dumps(slugs)],
        env=env, check=True, capture_output=True, cwd=checkout,
    )  # fmt: skip


def _time_pages(checkout: Path, env: dict[str, str], pages: dict[str, list[str]]) -> dict:
    result = subprocess.run(
        [_python(checkout), "-c", CHILD, json.dumps({"pages": pages})],
        env=env, capture_output=True, text=True, cwd=checkout,
    )  # fmt: skip
    if result.returncode:
        raise SystemExit(f"{checkout}: the pages could not be timed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _time_scheduling(checkout: Path) -> float:
    """Seconds the checkout's `knowflow slots` takes over the shared problem-A instances (all of them,
    one process each), or 0 when ../shared is absent."""
    instances = sorted(
        (ROOT.parent / "shared" / "bench" / "scheduling" / "instances").glob("A-*.json")
    )
    total = 0.0
    for instance in instances:
        started = datetime.now(UTC)
        completed = subprocess.run(
            [str(checkout / ".venv" / "bin" / "knowflow"), "slots", str(instance)],
            capture_output=True, text=True, cwd=checkout,
        )  # fmt: skip
        if completed.returncode == 0:
            total += (datetime.now(UTC) - started).total_seconds()
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="the older checkout")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=20, help="per kind of page and round")
    parser.add_argument("--no-doc", action="store_true", help="print the table, leave the doc")
    args = parser.parse_args()
    before, after = args.before.resolve(), ROOT
    env_after = _environment("sqlite", "", "large")
    env_before = _prepare_before(before)
    _migrate(after, env_after)
    for env in (env_after, env_before):
        _analyse(env)
    pages = _pages(args.requests)
    slugs = [path.split("/")[2] for path in pages["session page"]]
    for checkout, env in ((before, env_before), (after, env_after)):
        _refresh_related(checkout, env, slugs)
    timings: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
    scheduling: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(args.rounds):
        for name, checkout, env in (("before", before, env_before), ("after", after, env_after)):
            for kind, values in _time_pages(checkout, env, pages).items():
                timings[name].setdefault(kind, []).extend(values)
            scheduling[name].append(_time_scheduling(checkout))
    commits = {
        name: subprocess.run(
            ["git", "-C", str(path), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()  # fmt: skip
        for name, path in (("before", before), ("after", after))
    }
    text = report(timings, scheduling, commits, args)
    print(text)
    if not args.no_doc:
        write_section("refactor", text)
    return 0


def report(
    timings: dict[str, dict[str, list[float]]],
    scheduling: dict[str, list[float]],
    commits: dict[str, str],
    args: argparse.Namespace,
) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    lines = [
        "## Before and after a refactor (large demo, SQLite, in process)",
        "",
        f"Command: `.venv/bin/python bench/before_after_bench.py --before ../kf-before --rounds "
        f"{args.rounds} --requests {args.requests}`, measured {when} on {platform.machine()} "
        f"with {os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} at the end), "
        f"Python {platform.python_version()}: before = `{commits['before']}`, after = "
        f"`{commits['after']}`, in alternating rounds. Milliseconds per request, in process "
        "(Django's test client, a signed-in member); median over every request of every round.",
        "",
        "| page | before median ms | after median ms | after / before |",
        "| --- | ---: | ---: | ---: |",
    ]
    for kind in KINDS:
        b = statistics.median(timings["before"][kind])
        a = statistics.median(timings["after"][kind])
        lines.append(f"| {kind} | {b:.1f} | {a:.1f} | {a / b:.2f} |")
    b, a = statistics.median(scheduling["before"]), statistics.median(scheduling["after"])
    if b:
        lines.append(
            f"| `knowflow slots` over the shared instances (s, median of rounds) | {b:.1f} | "
            f"{a:.1f} | {a / b:.2f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
