"""Web benchmark: server-side time of the main pages on the large demo, against the small one.

    .venv/bin/python bench/web_bench.py [--requests 200] [--keep]

For each demo size it loads the demo into a fresh SQLite file under ``var/bench/<size>/``
(timing the load), then requests each page in-process with Django's test ``Client``: the
time measured is the server's (middleware, view, queries, template), not the network's. The
first requests warm the caches and are not counted. The small demo is the baseline: a ratio
large/small near 1 shows a page's cost does not grow with the data.

Each size runs in its own process, because the data directory is read when settings load.
The table is written to ``docs/benchmarks.md`` between ``<!-- BEGIN web -->`` and
``<!-- END web -->``; the rest of that file belongs to other benchmarks and is left alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchdoc import write_section

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "var" / "bench"
TARGET_MEDIAN_MS, TARGET_P95_MS = 50.0, 150.0
WARMUP = 20
PAGES = ("home", "catalogue", "session", "api sessions")


def measure(size: str, requests: int, seed: int, reuse: bool) -> dict[str, Any]:
    """Load the demo of ``size`` into this process's (fresh) database and time the pages."""
    import django

    django.setup()
    import numpy as np
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from knowflow.accounts.models import Person
    from knowflow.accounts.services import api_token_create
    from knowflow.demo.generator import demo_counts, demo_is_loaded, demo_load
    from knowflow.demo.vocabulary import DEMO_PASSWORD
    from knowflow.events.models import Session

    call_command("migrate", verbosity=0, interactive=False)
    previous = Path(os.environ["KNOWFLOW_DATA_DIR"]) / "result.json"
    if reuse and demo_is_loaded() and previous.exists():
        # --keep: measure the pages again without reloading; the load time is the last one.
        load_seconds = json.loads(previous.read_text())["load_seconds"]
    else:
        started = time.perf_counter()
        demo_load(
            seed=seed, size=size, progress=True, out=lambda line: print(line, file=sys.stderr)
        )
        load_seconds = time.perf_counter() - started
    counts = demo_counts()
    # Start the web application the way `knowflow serve` does (knowflow.config.wsgi also
    # freezes the start-up objects out of the garbage collector's view).
    import knowflow.config.wsgi  # noqa: F401

    member = Person.objects.get(user__username="member")
    _, secret = api_token_create(person=member, name="web benchmark")
    # "localhost" is in the development ALLOWED_HOSTS; the test client's "testserver" is not.
    browser = Client(HTTP_HOST="localhost")
    assert browser.login(username="member", password=DEMO_PASSWORD)
    api = Client(HTTP_HOST="localhost", headers={"authorization": f"Bearer {secret}"})
    # Pages of sessions that are still to come (the ones people open), rotating over several
    # so one lucky row in the page cache does not make the figure.
    slugs = list(
        Session.objects.filter(status=Session.Status.SCHEDULED)
        .order_by("slug")
        .values_list("slug", flat=True)[:50]
    )
    topic = "python"
    urls = {
        "home": lambda n: (browser, "/"),
        "catalogue": lambda n: (browser, f"/sessions/?topic={topic}"),
        "session": lambda n: (browser, f"/sessions/{slugs[n % len(slugs)]}/"),
        "api sessions": lambda n: (api, "/api/v1/sessions/"),
    }
    results: dict[str, Any] = {}
    for page, request_for in urls.items():
        client, url = request_for(0)
        # DEBUG's query log is a bounded deque, full after the load: empty it so the capture counts.
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
        times = []
        for n in range(WARMUP + requests):
            client, url = request_for(n)
            reset_queries()  # DEBUG keeps a log of queries; keep it from growing
            t0 = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - t0) * 1000
            assert response.status_code == 200, (url, response.status_code)
            if n >= WARMUP:
                times.append(elapsed)
        results[page] = {
            "url": request_for(0)[1],
            "median_ms": float(np.median(times)),
            "p95_ms": float(np.percentile(times, 95)),
            "queries": len(queries.captured_queries),
            "requests": len(times),
        }
        print(
            f"  {size:<5} {page:<13} median {results[page]['median_ms']:7.1f} ms  "
            f"p95 {results[page]['p95_ms']:7.1f} ms  {results[page]['queries']} queries",
            file=sys.stderr,
        )
    return {
        "size": size,
        "load_seconds": load_seconds,
        "counts": counts,
        "pages": results,
        # The machine may be shared: the load average says how much the figures were contended.
        "loadavg": os.getloadavg()[0],
    }


def run_size(size: str, requests: int, seed: int, keep: bool) -> dict[str, Any]:
    data_dir = BENCH_DIR / size
    if data_dir.exists() and not keep:
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "KNOWFLOW_DEBUG": "1",
        "KNOWFLOW_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "knowflow.config.settings",
    }
    env.pop("DATABASE_URL", None)  # the figures are for the embedded SQLite database
    out = data_dir / "result.json"
    command = [
        sys.executable,
        __file__,
        "--measure",
        size,
        "--requests",
        str(requests),
        "--seed",
        str(seed),
        "--out",
        str(out),
    ] + (["--keep"] if keep else [])
    subprocess.run(command, env=env, check=True)
    return json.loads(out.read_text())


def table(large: dict[str, Any], small: dict[str, Any], requests: int) -> str:
    lines = [
        "## Web pages (server-side time, warm)",
        "",
        "Command: `make bench` (runs `.venv/bin/python bench/web_bench.py`), measured "
        f"{time.strftime('%Y-%m-%d', time.gmtime())} on {platform.machine()} with "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, SQLite (WAL), "
        f"`KNOWFLOW_DEBUG=1`, settings `knowflow.config.settings`. Each page is requested "
        f"{requests} times after {WARMUP} warm-up requests, in-process with Django's test "
        "`Client`, signed in as `member` (the API with a personal token). "
        f"Target: median < {TARGET_MEDIAN_MS:.0f} ms and p95 < {TARGET_P95_MS:.0f} ms on the large demo.",
        "",
        f"Demo load (`knowflow demo --size large`): **{large['load_seconds']:.0f} s** "
        f"(target < 600 s) for {large['counts']['people']:,} people, "
        f"{large['counts']['sessions']:,} sessions, {large['counts']['occurrences']:,} occurrences, "
        f"{large['counts']['registrations']:,} registrations, "
        f"{large['counts']['attendances']:,} attendances. "
        f"Small demo (baseline): {small['load_seconds']:.1f} s. "
        f"Load average (1 min) when measuring: {small['loadavg']:.1f} (small), "
        f"{large['loadavg']:.1f} (large) on {os.cpu_count()} CPUs.",
        "",
        "| page | URL | large median ms | large p95 ms | queries (large) | small median ms "
        "| small p95 ms | queries (small) | median large/small | target |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for page in PAGES:
        big, base = large["pages"][page], small["pages"][page]
        ok = big["median_ms"] < TARGET_MEDIAN_MS and big["p95_ms"] < TARGET_P95_MS
        lines.append(
            f"| {page} | `{big['url'] if page != 'session' else '/sessions/<slug>/'}` "
            f"| {big['median_ms']:.1f} | {big['p95_ms']:.1f} | {big['queries']} "
            f"| {base['median_ms']:.1f} | {base['p95_ms']:.1f} | {base['queries']} "
            f"| {big['median_ms'] / base['median_ms']:.2f} | {'met' if ok else '**missed**'} |"
        )
    lines += [
        "",
        "The session page rotates over 50 scheduled sessions. Query counts are those of one "
        "request; equal counts on both sizes show that no page issues a query per row.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--keep",
        action="store_true",
        help="Reuse the demo already in var/bench/<size> (for profiling only).",
    )
    parser.add_argument("--measure", choices=["small", "large"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        sys.path.insert(0, str(ROOT / "src"))
        result = measure(args.measure, args.requests, args.seed, args.keep)
        Path(args.out).write_text(json.dumps(result, indent=2))
        return 0
    small = run_size("small", args.requests, args.seed, args.keep)
    large = run_size("large", args.requests, args.seed, args.keep)
    text = table(large, small, args.requests)
    write_section("web", text)
    print(text)
    missed = [
        page
        for page in PAGES
        if large["pages"][page]["median_ms"] >= TARGET_MEDIAN_MS
        or large["pages"][page]["p95_ms"] >= TARGET_P95_MS
    ]
    if large["load_seconds"] >= 600:
        missed.append("demo load")
    if missed:
        # Reported, not an exit status: `make bench` runs other benchmarks after this one.
        print(f"Missed the target: {', '.join(missed)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
