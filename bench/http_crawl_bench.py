"""Every page of the crawl over HTTP, one client at a time: the small demo served by
`knowflow serve`.

    .venv/bin/python bench/http_crawl_bench.py [--repeats 10] [--workers 4] [--no-doc]

What a person of each demo role waits for on every page they can reach: the small demo
(``knowflow demo --size small``, loaded once into ``var/bench/load-sqlite-small/`` with its
search index and "More on this" computed, as ``make demo`` leaves it once the worker has run)
served by ``knowflow serve --workers 4`` with production settings. Each role signs in through
the sign-in form and follows same-origin links from home, breadth first, as the browser crawl
in ``tests/web/test_crawl_browser.py`` does (one page per route, same exclusions: files, feeds,
downloads, sign out, Django's admin, the API); each route is then requested ``--repeats`` times
as the first role (fewest rights first) that reached it, one request after another. The target
(issue 11): every route's 95th percentile under 300 ms. The table goes to
``docs/benchmarks.md`` between ``<!-- BEGIN crawl -->`` and ``<!-- END crawl -->``.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import deque
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

from benchdoc import write_section
from load_bench import BIN, _environment, _free_port, _wait_healthy

ROLES = ("member", "speaker", "leader", "enabler", "admin")
PASSWORD = "knowflow-demo"
SKIP = re.compile(
    r"logout|^/static/|^/media/|/file/|/download|/export|\.(csv|ics|json|pdf|xml)$"
    r"|^/calendar/|^/api/|^/admin/|^/debug/|^/accounts/login/"
)
MAX_PAGES = 120  # per role
TARGET_P95_MS = 300


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.csrf = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("href"):
            self.hrefs.append(found["href"] or "")
        if tag == "input" and found.get("name") == "csrfmiddlewaretoken":
            self.csrf = found.get("value") or ""


def _parse(body: str) -> _Links:
    parser = _Links()
    parser.feed(body)
    return parser


def _prepare(env: dict[str, str]) -> None:
    """Migrate, collect the static files (production settings serve them hashed), and load the
    small demo once, with its index and related content."""
    knowflow = str(BIN / "knowflow")
    subprocess.run([knowflow, "migrate", "--no-input", "-v", "0"], env=env, check=True)
    subprocess.run([knowflow, "collectstatic", "--no-input", "-v", "0"], env=env, check=True)
    marker = Path(env["KNOWFLOW_DATA_DIR"]) / "demo-loaded"
    if not marker.exists():
        subprocess.run(
            [knowflow, "demo", "--size", "small", "--reset", "--no-progress"], env=env, check=True
        )
        subprocess.run([knowflow, "related_refresh"], env=env, check=True)
        marker.write_text("small\n", encoding="utf-8")


class Client:
    """One signed-in person: a cookie jar and an opener that does not follow redirects to
    other sites."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        login = self.base + "/accounts/login/"
        with self.opener.open(login, timeout=60) as response:
            csrf = _parse(response.read().decode()).csrf
        form = urllib.parse.urlencode(
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf}
        ).encode()
        request = urllib.request.Request(login, data=form, headers={"Referer": login})
        with self.opener.open(request, timeout=60) as response:
            if "Sign out" not in response.read().decode():
                raise SystemExit(f"{username} could not sign in")

    def get(self, path: str) -> tuple[float, int, str, str]:
        """(milliseconds, status, content type, body) of one GET."""
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, timeout=60) as response:
                body = response.read()
                status, kind = response.status, response.headers.get_content_type()
                final = urllib.parse.urlsplit(response.url).path
        except urllib.error.HTTPError as error:
            body, status, kind, final = error.read(), error.code, "text/html", path
        elapsed = (time.perf_counter() - started) * 1000
        text = body.decode(errors="replace") if kind == "text/html" else ""
        return elapsed, status, final, text


def _route_of(path: str) -> str:
    from django.urls import Resolver404, resolve

    try:
        return resolve(urllib.parse.urlsplit(path).path).view_name
    except Resolver404:
        return path


def _crawl(client: Client) -> dict[str, str]:
    """{route: first path} for every route reachable from home."""
    seen_paths, routes = {"/"}, {}
    queue = deque(["/"])
    while queue and len(routes) < MAX_PAGES:
        path = queue.popleft()
        route = _route_of(path)
        if route in routes:
            continue
        _, status, final, body = client.get(path)
        if status != 200 or not body:
            continue
        routes[route] = path
        for href in _parse(body).hrefs:
            parts = urllib.parse.urlsplit(urllib.parse.urljoin(final, href))
            if parts.netloc or not parts.path.startswith("/") or SKIP.search(parts.path):
                continue
            link = parts.path + (f"?{parts.query}" if parts.query else "")
            if link not in seen_paths and _route_of(link) not in routes:
                seen_paths.add(link)
                queue.append(link)
    return routes


def measure(args: argparse.Namespace) -> dict:
    env = _environment("sqlite", "", "small")
    _prepare(env)
    for key in ("DJANGO_SETTINGS_MODULE", "KNOWFLOW_DATA_DIR", "SECRET_KEY", "KNOWFLOW_DEBUG"):
        os.environ[key] = env[key]
    import django

    django.setup()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(env["KNOWFLOW_DATA_DIR"]) / "server.log"
    server = subprocess.Popen(
        [str(BIN / "knowflow"), "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"),
    )  # fmt: skip
    timings: dict[str, list[float]] = {}
    owners: dict[str, str] = {}
    try:
        _wait_healthy(base)
        for role in ROLES:
            client = Client(base, role)
            for route, path in _crawl(client).items():
                if route in timings:
                    continue
                owners[route] = f"{role} {path}"
                client.get(path)  # the first request of a route warms its worker's caches
                timings[route] = [client.get(path)[0] for _ in range(args.repeats)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"timings": timings, "owners": owners, "load": os.getloadavg()[0]}


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def report(result: dict, args: argparse.Namespace) -> str:
    timings, owners = result["timings"], result["owners"]
    every = [ms for values in timings.values() for ms in values]
    ranked = sorted(timings, key=lambda route: _p95(timings[route]), reverse=True)
    over = [route for route in ranked if _p95(timings[route]) >= TARGET_P95_MS]
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    lines = [
        "## Every page of the crawl over HTTP (small demo, SQLite)",
        "",
        f"Command: `.venv/bin/python bench/http_crawl_bench.py --repeats {args.repeats} "
        f"--workers {args.workers}` (in `make bench`), measured {when} on {platform.machine()} "
        f"with {os.cpu_count()} CPUs (load average {result['load']:.1f} after the run), Python "
        f"{platform.python_version()}. `knowflow serve --workers {args.workers}`, production "
        f"settings; each demo role ({', '.join(ROLES)}) signs in and follows links from home; "
        f"each of the {len(timings)} routes reached is requested {args.repeats} times, one "
        "request after another, as the first role to reach it.",
        "",
        f"All {len(every)} requests: median {statistics.median(every):.0f} ms, p95 "
        f"{_p95(every):.0f} ms. Routes whose p95 is at or over {TARGET_P95_MS} ms: "
        f"{len(over)}{' (' + ', '.join(over) + ')' if over else ''}.",
        "",
        "The slowest ten routes:",
        "",
        "| route | as | median ms | p95 ms |",
        "| --- | --- | ---: | ---: |",
    ]
    for route in ranked[:10]:
        lines.append(
            f"| `{route}` | {owners[route]} | {statistics.median(timings[route]):.0f} | "
            f"{_p95(timings[route]):.0f} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10, help="requests per route")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--no-doc", action="store_true", help="print the table, leave the doc")
    args = parser.parse_args()
    text = report(measure(args), args)
    print(text)
    if not args.no_doc:
        write_section("crawl", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
