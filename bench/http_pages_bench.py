"""Pages over HTTP, one client at a time: the large demo served by `knowflow serve`.

    .venv/bin/python bench/http_pages_bench.py [--requests 40] [--workers 4] [--no-doc]

What one person waits for, measured the way they meet it: the large demo (SQLite, see
``bench/load_bench.py``, whose helpers build it and start the server) served by ``knowflow
serve --workers 4`` with production settings, and one client sending plain HTTP requests
(urllib) with a signed-in session cookie, one after the other. Per kind of page: the session
page across many sessions, home (members who attended recently), the catalogue, and search
with queries as people type them. Each kind is measured twice where it can be: the session
page with its "More on this" read from what the worker stored, and without it (the rows
deleted), which is the floor the block adds to; search as typed. Also the CSS and
JavaScript each page makes a browser fetch (same-origin stylesheets and scripts, summed,
uncompressed). The table goes to ``docs/benchmarks.md`` between ``<!-- BEGIN pages -->`` and
``<!-- END pages -->``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from benchdoc import write_section
from load_bench import BENCH_DIR, BIN, _environment, _free_port, _wait_healthy

# What people type into a search box (not the talks' tags): short, lower-case, often a phrase.
QUERIES = [
    "kubernetes", "how to write good tests", "python async", "onboarding new engineers",
    "incident postmortem", "react hooks", "data pipeline", "security review", "docker",
    "machine learning in production", "code review", "terraform", "career growth",
    "graphql api", "observability",
]  # fmt: skip
TARGETS = {"session page": 50, "home": 50, "catalogue": 50, "search": 100}


def _refresh_related(keys: list[tuple[str, int]]) -> None:
    import django

    django.setup()
    from knowflow.library.related import refresh

    refresh(keys)


def _index_if_empty() -> None:
    """The demo's bulk load writes no search index (``knowflow demo`` indexes afterwards):
    without one, search and "More on this" would find nothing and flatter every figure."""
    import django

    django.setup()
    from django.core.management import call_command

    from knowflow.events.models import Session
    from knowflow.search.models import SearchDocument

    if SearchDocument.objects.filter(kind="session").count() < Session.objects.count():
        call_command("search_reindex", quiet=True)


def _session_ids(slugs: list[str]) -> list[int]:
    import django

    django.setup()
    from knowflow.events.models import Session

    return list(Session.objects.filter(slug__in=slugs).values_list("pk", flat=True))


def _child(env: dict[str, str], code: str) -> str:
    """Run ``code`` in a child with the benchmark's settings (the server's database)."""
    here = Path(__file__).resolve().parent
    return subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(here)!r}); {code}"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


def _get(url: str, cookie: str) -> tuple[float, str]:
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={cookie}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read().decode()
    return (time.perf_counter() - started) * 1000, body


def _assets(base: str, page: str, cache: dict[str, int]) -> int:
    urls = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="(/[^"]+)"', page)
    urls += re.findall(r'<script[^>]+src="(/[^"]+)"', page)
    total = 0
    for url in dict.fromkeys(urls):
        if url not in cache:
            with urllib.request.urlopen(base + url, timeout=30) as response:
                cache[url] = len(response.read())
        total += cache[url]
    return total


def prepare(args: argparse.Namespace) -> dict:
    """Once per benchmark: the large demo, its plan (sessions, signed-in clients), the search
    index and "More on this" for the sessions measured (what the worker stores after each
    change)."""
    env = _environment("sqlite", "", "large")
    data_dir = Path(env["KNOWFLOW_DATA_DIR"])
    plan_path = data_dir / "plan.json"
    subprocess.run(
        [sys.executable, str(Path(__file__).parent / "load_bench.py"), "--prepare",
         str(plan_path), "--plan-clients", "10", "--demo-size", "large"],
        env=env, check=True,
    )  # fmt: skip
    plan = json.loads(plan_path.read_text())
    _child(env, "import http_pages_bench as b; b._index_if_empty()")
    slugs = plan["sessions"][: args.requests]
    ids = json.loads(
        _child(
            env, f"import http_pages_bench as b, json; print(json.dumps(b._session_ids({slugs!r})))"
        )
    )
    started = time.perf_counter()
    _child(
        env, f"import http_pages_bench as b; b._refresh_related([('session', i) for i in {ids!r}])"
    )
    refresh_ms = (time.perf_counter() - started) * 1000 / max(1, len(ids))
    cookies = [c["session"] for c in plan["clients"]]
    return {"env": env, "slugs": slugs, "cookies": cookies, "refresh_ms": refresh_ms}


def measure(args: argparse.Namespace, setup: dict) -> dict:
    """One run: a fresh server, every kind of page in turn."""
    env, slugs, cookies = setup["env"], setup["slugs"], setup["cookies"]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(BIN / "knowflow"), "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    kinds = {
        "session page": [f"/sessions/{s}/" for s in slugs],
        "home": ["/" for _ in range(args.requests)],
        "catalogue": ["/sessions/" for _ in range(args.requests)],
        "search": [
            "/search/?" + urllib.parse.urlencode({"q": QUERIES[i % len(QUERIES)]})
            for i in range(args.requests)
        ],
    }
    timings: dict[str, list[float]] = {}
    weights: dict[str, int] = {}
    related_shown = empty_searches = 0
    assets: dict[str, int] = {}
    try:
        _wait_healthy(base)
        for path in ("/", "/sessions/", f"/sessions/{slugs[0]}/", "/search/?q=docker"):
            _get(base + path, cookies[0])  # each worker opens its database and warms up
        for kind, paths in kinds.items():
            timings[kind] = []
            for n, path in enumerate(paths):
                ms, body = _get(base + path, cookies[n % len(cookies)])
                if "Sign out" not in body:
                    raise SystemExit(f"{path} was not served to a signed-in person")
                timings[kind].append(ms)
                related_shown += kind == "session page" and "More on this" in body
                empty_searches += kind == "search" and "Nothing matches." in body
                weights[kind] = max(weights.get(kind, 0), _assets(base, body, assets))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "timings": timings,
        "weights": weights,
        "related_shown": related_shown,
        "empty_searches": empty_searches,
        "refresh_ms": setup["refresh_ms"],
        "sessions": len(slugs),
        "load": os.getloadavg()[0],
    }


def report(results: list[dict], args: argparse.Namespace) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    loads = ", ".join(f"{r['load']:.1f}" for r in results)
    lines = [
        "## Pages over HTTP, one client at a time (large demo, SQLite)",
        "",
        f"Command: `.venv/bin/python bench/http_pages_bench.py --requests {args.requests} "
        f"--runs {args.runs} --workers {args.workers}` (in `make bench`), measured {when} on "
        f"{platform.machine()} with {os.cpu_count()} CPUs shared with other work (load average "
        f"{loads} after each run), Python "
        f"{platform.python_version()}. `knowflow serve --workers {args.workers}`, production "
        "settings; one client, signed in, waiting for each answer; session pages across "
        f"{results[0]['sessions']} upcoming sessions, search with {len(QUERIES)} queries as people "
        "type them. Median and p95 in ms are the medians over the runs. CSS+JS: the largest "
        "sum of same-origin stylesheets and scripts any page of the kind links, uncompressed.",
        "",
        "| page | median ms | p95 ms | target median | CSS+JS bytes |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for kind, target in TARGETS.items():
        medians = [statistics.median(r["timings"][kind]) for r in results]
        p95s = [statistics.quantiles(r["timings"][kind], n=20)[-1] for r in results]
        lines.append(
            f"| {kind} | {statistics.median(medians):.0f} | {statistics.median(p95s):.0f} | "
            f"< {target} | {max(r['weights'][kind] for r in results):,} |"
        )
    r = results[0]
    lines += [
        "",
        f"'More on this' was shown on {r['related_shown']} of {r['sessions']} session pages; it "
        "is read from rows the worker stores after each change (computing one took "
        f"{r['refresh_ms']:.0f} ms, off the request path). {r['empty_searches']} of "
        f"{len(r['timings']['search'])} searches found nothing. Before this, the template ran that "
        "query on every view: 170-280 ms per session page over HTTP (issue 11). Search's p95 is "
        "the first search each of the server's workers answers: it reads every title once to "
        "learn the words it corrects spelling against (about 0.75 s on the large demo), and "
        "keeps them for the searches that follow.",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=40, help="per kind of page and run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--no-doc", action="store_true", help="print the table, leave the doc")
    args = parser.parse_args()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    setup = prepare(args)
    results = [measure(args, setup) for _ in range(args.runs)]
    (BENCH_DIR / "http-pages.json").write_text(json.dumps(results), encoding="utf-8")
    text = report(results, args)
    print(text)
    if not args.no_doc:
        write_section("pages", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
