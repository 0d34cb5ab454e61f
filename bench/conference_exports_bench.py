"""Conference exports benchmark: schedule.json, schedule.xml and schedule.ics of a 300-talk,
three-day conference, and publishing its release.

    .venv/bin/python bench/conference_exports_bench.py [--requests 50] [--talks 300]
        [--http-clients 200] [--http-seconds 60] [--no-write]

It builds a fresh SQLite database under ``var/bench/conference-exports/``: a conference in
Berlin over three days, four tracks, ten rooms (every fifth talk online only, every third one
hybrid), ``--talks`` sessions with one or two speakers each and real abstracts from
``../shared/data/talks.jsonl.gz`` when it is there, each put into the conference with
``talk_add``. Then:

- ``release_publish`` is timed over 10 releases (one talk moved between them, outside the
  timing, so each release has something to publish), with its query count;
- each export is requested through Django's test Client with a member's calendar secret
  (``?key=``, as schedule and calendar apps fetch it), after 5 warm-up requests: ``cold``
  clears Django's cache before every request (so the bytes are rendered from the stored
  release each time), ``warm`` does not (the bytes come from the cache). Median and p95 of
  ``--requests`` requests, and the queries of one request, sign-in check included;
- 200 readers ask at once (threads, mixed formats, warm), to show none of them fails;
- over HTTP: the same database served by ``knowflow serve --workers 2`` (gunicorn, production
  settings, as ``bench/load_bench.py`` serves the large demo, with its helpers), and
  ``--http-clients`` Locust clients (``bench/conference_exports_locustfile.py``) reading the
  exports with the secret, the member's agenda.ics and the programme page signed in, for
  ``--http-seconds``. Halfway through, this process moves one talk and publishes a release
  (``release_publish``, against the same database): every answer to a request sent after it
  committed must hold the new release (schedule.json's ``schedule.version``, the XML's
  ``<version>``, the calendars' ``SEQUENCE``, the page's "Release N"), i.e. no worker process
  kept its cached copy. Errors, non-200s, median and p95 per address, throughput, and when the
  last answer with the old release arrived are recorded; the bench exits 1 when any request
  failed or answered with the old release after the publish, or the server logged an error.

Every output is parsed once (json, ElementTree, icalendar) to check it holds every talk.
Production settings (DEBUG off), SQLite. The table replaces the section between
``<!-- BEGIN conference-exports -->`` and ``<!-- END conference-exports -->`` of
``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "var" / "bench" / "conference-exports"
TALKS = ROOT.parent / "shared" / "data" / "talks.jsonl.gz"
TARGET_MS = 70.0
PRETALX_MS = {"json": 1433, "xml": 680, "ics": 728}
WARMUP = 5
READERS = 200
HTTP_WORKERS = 2
AGENDA_TALKS = 20  # the member's starred talks: what agenda.ics holds
LOCUSTFILE = ROOT / "bench" / "conference_exports_locustfile.py"
HTTP_KINDS = ("schedule.json", "schedule.xml", "schedule.ics", "agenda.ics", "programme page")

shutil.rmtree(DATA_DIR, ignore_errors=True)
DATA_DIR.mkdir(parents=True)
(DATA_DIR / "static").mkdir()  # WhiteNoise warns when STATIC_ROOT is missing
os.environ["KNOWFLOW_DATA_DIR"] = str(DATA_DIR)
os.environ.pop("DATABASE_URL", None)  # the figures are for the embedded SQLite database
os.environ.setdefault("KNOWFLOW_INSECURE_DEV_KEY", "1")
os.environ.setdefault("KNOWFLOW_SSL_REDIRECT", "0")
os.environ.setdefault("ALLOWED_HOSTS", "localhost")
os.environ["DJANGO_SETTINGS_MODULE"] = "knowflow.config.settings"
sys.path.insert(0, str(ROOT / "src"))

import django  # noqa: E402

django.setup()

import icalendar  # noqa: E402
from benchdoc import write_section  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from load_bench import (  # noqa: E402
    BIN,
    SERVER_TROUBLE,
    _check_signed_in,
    _drive,
    _environment,
    _free_port,
    _wait_healthy,
)

from knowflow.accounts.models import Office, Person  # noqa: E402
from knowflow.accounts.services import person_create  # noqa: E402
from knowflow.conferences.models import ConferenceTalk, Release  # noqa: E402
from knowflow.conferences.services import (  # noqa: E402
    conference_create,
    release_publish,
    star_set,
    talk_add,
    track_create,
)
from knowflow.events import ical  # noqa: E402
from knowflow.events.models import Occurrence, Room, Session  # noqa: E402
from knowflow.integrations.services import calendar_feed_token_regenerate  # noqa: E402
from knowflow.markdown import markdown_to_text  # noqa: E402


def abstracts() -> list[str]:
    if not TALKS.exists():
        return ["A talk about testing in layers, " * 12]
    with gzip.open(TALKS, "rt") as lines:
        found = [json.loads(line).get("description", "") for line in itertools.islice(lines, 2000)]
    return [text for text in found if text][:600] or ["A talk."]


def build(talks: int) -> tuple[object, Person, str]:
    """The conference, its enabler, and a member's calendar secret."""
    enabler = person_create(
        display_name="Erin Enabler",
        username="enabler",
        password="bench-password-1",
        email="enabler@example.org",
        role=Person.Role.ENABLER,
        timezone_name="Europe/Berlin",
    )
    member = person_create(
        display_name="Max Member",
        username="member",
        password="bench-password-1",
        email="member@example.org",
        role=Person.Role.MEMBER,
        timezone_name="America/New_York",
    )
    secret = calendar_feed_token_regenerate(person=member, actor=member).secret
    conference = conference_create(
        actor=enabler,
        name="DevDays 2030",
        slug="devdays-2030",
        timezone="Europe/Berlin",
        starts_on=date(2030, 6, 4),
        ends_on=date(2030, 6, 6),
        description="Three days of talks by our own engineers.",
    )
    tracks = [
        track_create(actor=enabler, conference=conference, name=name, colour=colour)
        for name, colour in (
            ("Platform", "#1f5fbf"),
            ("Data", "#b3261e"),
            ("Security", "#1b7f3b"),
            ("Ways of working", "#8a4b00"),
        )
    ]
    office = Office.objects.create(
        name="Berlin", slug="berlin", city="Berlin", timezone="Europe/Berlin"
    )
    rooms = Room.objects.bulk_create(
        [Room(office=office, name=f"Room {n + 1}", capacity=40 + n * 10) for n in range(10)]
    )
    speakers = [
        person_create(  # no sign-in: hashing 150 passwords would be most of the set-up
            display_name=f"Speaker {n + 1}",
            email=f"speaker{n + 1}@example.org",
            timezone_name="Europe/Berlin",
        )
        for n in range(talks // 2)
    ]
    texts = abstracts()
    sessions = Session.objects.bulk_create(
        [
            Session(
                title=f"Talk {n + 1}: {texts[n % len(texts)][:60].strip()}",
                slug=f"talk-{n + 1}",
                abstract=texts[n % len(texts)],
                status=Session.Status.SCHEDULED,
                format=Session.Format.WORKSHOP if n % 7 == 0 else Session.Format.TALK,
            )
            for n in range(talks)
        ]
    )
    Session.speakers.through.objects.bulk_create(
        [
            Session.speakers.through(session=session, person=speakers[(n + k) % len(speakers)])
            for n, session in enumerate(sessions)
            for k in range(1 + n % 2)
        ]
    )
    # 100 talks a day: ten rooms, ten 45-minute slots from 09:00 Berlin (07:00 UTC).
    first = datetime(2030, 6, 4, 7, 0, tzinfo=UTC)
    Occurrence.objects.bulk_create(
        [
            Occurrence(
                session=session,
                start=(start := first + timedelta(days=n // 100, minutes=50 * (n % 100 // 10))),
                end=start + timedelta(minutes=45),
                room=None if n % 5 == 4 else rooms[n % 10],
                online_url="https://meet.example.org/" + session.slug
                if n % 5 == 4 or n % 3 == 0
                else "",
                capacity=40,
            )
            for n, session in enumerate(sessions)
        ]
    )
    for n, session in enumerate(sessions):
        talk_add(actor=enabler, conference=conference, session=session, track=tracks[n % 4])
    return conference, enabler, secret


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def move_talk(occurrence: Occurrence) -> None:
    """Something to publish: one talk moves by 5 minutes."""
    Occurrence.objects.filter(pk=occurrence.pk).update(
        start=occurrence.start + timedelta(minutes=5), end=occurrence.end + timedelta(minutes=5)
    )


def time_publish(conference: object, enabler: Person, releases: int = 10) -> dict[str, float]:
    times, queries = [], 0
    occurrences = list(Occurrence.objects.order_by("id")[:releases])
    for n in range(releases):
        if n:  # outside the timing
            move_talk(occurrences[n])
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            release_publish(actor=enabler, conference=conference)
            times.append((time.perf_counter() - started) * 1000)
        queries = len(captured.captured_queries)
    return {
        "median_ms": statistics.median(times),
        "p95_ms": percentile(times, 0.95),
        "queries": queries,
        "releases": releases,
    }


def check(fmt: str, content: bytes, talks: int) -> None:
    if fmt == "json":
        document = json.loads(content)
        found = sum(
            len(events)
            for day in document["schedule"]["conference"]["days"]
            for events in day["rooms"].values()
        )
    elif fmt == "xml":
        found = len(ElementTree.fromstring(content).findall("day/room/event"))
    else:
        found = len(icalendar.Calendar.from_ical(content).walk("VEVENT"))
    if found != talks:
        raise SystemExit(f"schedule.{fmt} holds {found} talks, not {talks}")


def forget() -> None:
    """Everything a render could reuse: Django's cache, and the process's own memos (abstracts
    as plain text, the VTIMEZONE), so a cold request is the first render in a fresh process."""
    cache.clear()
    markdown_to_text.cache_clear()
    ical.vtimezone.cache_clear()


def measure(client: Client, url: str, requests: int, *, cold: bool) -> dict[str, float]:
    for _ in range(WARMUP):
        client.get(url)
    if cold:
        forget()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    # Counted now: `captured_queries` slices the connection's log, which the next request
    # empties (Django resets it when a request starts).
    queries = len(captured.captured_queries)
    times = []
    for _ in range(requests):
        if cold:
            forget()
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return {
        "median_ms": statistics.median(times),
        "p95_ms": percentile(times, 0.95),
        "queries": queries,
        "bytes": len(response.content),
    }


def readers_at_once(slug: str, secret: str, cookies: object) -> dict[str, float]:
    """200 threads, each one request at the same moment (warm cache): the three exports with
    the calendar secret, and the programme page signed in."""
    start = threading.Barrier(READERS)

    def read(n: int) -> int:
        try:
            client = Client(HTTP_HOST="localhost")
            if n % 4 == 3:
                client.cookies = cookies  # type: ignore[assignment]
                url = f"/conferences/{slug}/"
            else:
                url = f"/{slug}/schedule.{('json', 'xml', 'ics')[n % 4]}?key={secret}"
            start.wait()
            return client.get(url).status_code
        finally:
            connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        statuses = list(pool.map(read, range(READERS)))
    return {
        "seconds": time.perf_counter() - started,
        "ok": statuses.count(200),
        "failed": READERS - statuses.count(200),
    }


def serve_and_read(
    *,
    conference: object,
    enabler: Person,
    secret: str,
    session_key: str,
    clients: int,
    seconds: int,
) -> dict[str, object]:
    """The HTTP phase: the bench's database served by `knowflow serve`, read by ``clients``
    Locust clients for ``seconds``, with a release published by this process halfway."""
    member = Person.objects.get(user__username="member")
    for talk in ConferenceTalk.objects.filter(conference=conference).order_by("pk")[:AGENDA_TALKS]:
        star_set(actor=member, talk=talk, starred=True)
    log = DATA_DIR / "http-reads.json"
    log.unlink(missing_ok=True)
    plan = DATA_DIR / "http-plan.json"
    plan.write_text(
        json.dumps(
            {
                "slug": conference.slug,
                "secret": secret,
                "clients": [{"session": session_key, "csrf": ""}],
                "log": str(log),
            }
        ),
        encoding="utf-8",
    )
    # The member's browser session and calendar secret were made by this process: the
    # session's hash of the password is keyed on SECRET_KEY, so the server must share it.
    env = {**_environment("sqlite", "", "", data_dir=DATA_DIR), "SECRET_KEY": settings.SECRET_KEY}
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    error_log = DATA_DIR / "server-errors.log"
    old = Release.objects.filter(conference=conference).order_by("-number").first().number
    moved = Occurrence.objects.order_by("id")[20]  # not one time_publish moved
    with open(error_log, "w") as errors:
        server = subprocess.Popen(
            [str(BIN / "knowflow"), "serve", "--bind", f"127.0.0.1:{port}",
             "--workers", str(HTTP_WORKERS)],
            env=env, stdout=subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip
        try:
            _wait_healthy(url)
            _check_signed_in(url, plan)
            warm_up(url, conference.slug, secret, session_key)
            load_before = os.getloadavg()[0]
            with ThreadPoolExecutor(max_workers=1) as pool:
                running = pool.submit(
                    _drive, url, plan, clients, seconds, DATA_DIR / "locust", (0, 1), LOCUSTFILE
                )
                time.sleep(seconds / 2)
                if running.done():  # Locust failed to start: say why
                    running.result()
                move_talk(moved)
                publishing = time.time()
                new = release_publish(actor=enabler, conference=conference).number
                published = time.time()
                running.result()
        finally:
            server.terminate()
            server.wait(timeout=30)
    server_log = error_log.read_text(errors="replace")
    reads = json.loads(log.read_text())
    return {
        **http_figures(reads, old=old, new=new, published=published),
        "publish_ms": (published - publishing) * 1000,
        "published_after_s": publishing - min(r["start"] for r in reads),
        "load_before": load_before,
        "trouble": {marker: server_log.count(marker) for marker in SERVER_TROUBLE},
        "old": old,
        "new": new,
        "clients": clients,
        "seconds": seconds,
    }


def warm_up(url: str, slug: str, secret: str, session_key: str, rounds: int = 4) -> None:
    """Each address ``rounds`` times at once, before measuring: a worker's first request
    imports the URLconf and every view (seconds on a busy machine), which a server that has
    been up for a while has long done. At once, so that every worker gets some."""
    paths = [
        f"/{slug}/{name}?key={secret}"
        for name in HTTP_KINDS
        if name.endswith(("json", "xml", "ics"))
    ]
    requests = [urllib.request.Request(url + path) for path in paths] + [
        urllib.request.Request(
            f"{url}/conferences/{slug}/", headers={"Cookie": f"sessionid={session_key}"}
        )
    ]

    def fetch(request: urllib.request.Request) -> None:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()

    with ThreadPoolExecutor(max_workers=rounds * len(requests)) as pool:
        list(pool.map(fetch, requests * rounds))


def http_figures(
    reads: list[dict[str, object]], *, old: int, new: int, published: float
) -> dict[str, object]:
    """Per address and in all: requests, throughput, latency, failures; and which release the
    answers held against the moment the new one committed (``published``, wall clock)."""
    span = max(r["end"] for r in reads) - min(r["start"] for r in reads)
    kinds = {}
    for kind in (*HTTP_KINDS, "all"):
        rows = [r for r in reads if kind in ("all", r["kind"])]
        times = [(r["end"] - r["start"]) * 1000 for r in rows]
        kinds[kind] = {
            "requests": len(rows),
            "rps": len(rows) / span,
            "median_ms": statistics.median(times),
            "p95_ms": percentile(times, 0.95),
            "non_200": sum(1 for r in rows if r["status"] not in (0, 200)),
            # No answer at all (refused, reset, timed out), or a 200 without a release in it.
            "errors": sum(
                1 for r in rows if r["status"] == 0 or (r["status"] == 200 and not r["release"])
            ),
        }
    after = [r for r in reads if r["start"] >= published and r["status"] == 200]
    holding_old = [r for r in reads if r["release"] == str(old)]
    holding_new = [r for r in reads if r["release"] == str(new)]
    return {
        "kinds": kinds,
        "span_s": span,
        "before": sum(1 for r in reads if r["end"] < published),
        "before_old": sum(1 for r in reads if r["end"] < published and r["release"] == str(old)),
        "after": len(after),
        "after_json": sum(1 for r in after if r["kind"] == "schedule.json"),
        "stale": sum(1 for r in after if r["release"] != str(new)),
        "stale_json": sum(
            1 for r in after if r["kind"] == "schedule.json" and r["release"] != str(new)
        ),
        "last_old_ms": (max(r["end"] for r in holding_old) - published) * 1000
        if holding_old
        else None,
        "first_new_ms": (min(r["end"] for r in holding_new) - published) * 1000
        if holding_new
        else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--talks", type=int, default=300)
    parser.add_argument("--http-clients", type=int, default=READERS)
    parser.add_argument("--http-seconds", type=int, default=60)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    call_command("migrate", verbosity=0, interactive=False)
    # The programme page is a page: production settings serve its CSS from the manifest.
    call_command("collectstatic", verbosity=0, interactive=False)
    started = time.perf_counter()
    conference, enabler, secret = build(args.talks)
    build_seconds = time.perf_counter() - started
    publish = time_publish(conference, enabler)
    client = Client(HTTP_HOST="localhost")
    results = {}
    for fmt in ("json", "xml", "ics"):
        url = f"/{conference.slug}/schedule.{fmt}?key={secret}"
        check(fmt, client.get(url).content, args.talks)
        results[fmt] = {
            "cold": measure(client, url, args.requests, cold=True),
            "warm": measure(client, url, args.requests, cold=False),
        }
        print(fmt, results[fmt], file=sys.stderr)
    browser = Client(HTTP_HOST="localhost")
    assert browser.login(username="member", password="bench-password-1")
    page_url = f"/conferences/{conference.slug}/"
    page = {
        "cold": measure(browser, page_url, args.requests, cold=True),
        "warm": measure(browser, page_url, args.requests, cold=False),
    }
    print("page", page, file=sys.stderr)
    crowd = readers_at_once(conference.slug, secret, browser.cookies)
    print("readers", crowd, "publish", publish, file=sys.stderr)
    http = serve_and_read(
        conference=conference,
        enabler=enabler,
        secret=secret,
        session_key=browser.cookies[settings.SESSION_COOKIE_NAME].value,
        clients=args.http_clients,
        seconds=args.http_seconds,
    )
    print("http", http, file=sys.stderr)

    load = os.getloadavg()
    lines = [
        "## Conference exports (schedule.json, schedule.xml, schedule.ics)",
        "",
        f"Command: `.venv/bin/python bench/conference_exports_bench.py --requests {args.requests} "
        f"--talks {args.talks} --http-clients {args.http_clients} --http-seconds "
        f"{args.http_seconds}` (in `make bench`), measured "
        f"{time.strftime('%Y-%m-%d', time.gmtime())} on {platform.machine()} with "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, SQLite (WAL), DEBUG off; "
        f"load average {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} at the end. "
        f"A {args.talks}-talk conference over 3 days in 10 rooms (every fifth talk online "
        f"only), one or two speakers a talk, real abstracts; built in {build_seconds:.1f} s. "
        f"Each export requested {args.requests} times through Django's test Client with a "
        f"member's calendar secret (`?key=`), after {WARMUP} warm-up requests. *Cold*: "
        "Django's cache and the process's memos (abstracts as plain text, the VTIMEZONE) "
        "cleared before every request, so the bytes are rendered from the stored release "
        "each time as in a fresh process; *warm*: served from the cache. Queries: one request, "
        f"the secret's check included. Target: median < {TARGET_MS:.0f} ms with a constant "
        "number of queries; pretalx's figures are those the issue quotes, not measured here.",
        "",
        "| export | size | cold median ms | cold p95 ms | cold queries | warm median ms "
        "| warm p95 ms | warm queries | pretalx ms | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for fmt, figures in results.items():
        cold, warm = figures["cold"], figures["warm"]
        met = cold["median_ms"] < TARGET_MS and warm["median_ms"] < TARGET_MS
        lines.append(
            f"| schedule.{fmt} | {cold['bytes'] / 1024:,.0f} KiB | {cold['median_ms']:.1f} "
            f"| {cold['p95_ms']:.1f} | {cold['queries']} | {warm['median_ms']:.1f} "
            f"| {warm['p95_ms']:.1f} | {warm['queries']} | {PRETALX_MS[fmt]:,} "
            f"| {'met' if met else '**missed**'} |"
        )
    lines.append(
        f"| programme page (signed in, {args.talks} talks) | {page['cold']['bytes'] / 1024:,.0f} "
        f"KiB | {page['cold']['median_ms']:.1f} | {page['cold']['p95_ms']:.1f} "
        f"| {page['cold']['queries']} | {page['warm']['median_ms']:.1f} "
        f"| {page['warm']['p95_ms']:.1f} | {page['warm']['queries']} | – | – |"
    )
    lines += [
        "",
        "The programme page's queries include the session and the person of the signed-in "
        "member, as every page's do.",
        "",
        f"`release_publish` of {args.talks} talks (reading the live data, building the "
        "document and its changelog, storing the release): median "
        f"**{publish['median_ms']:.0f} ms**, p95 {publish['p95_ms']:.0f} ms over "
        f"{publish['releases']} releases, {publish['queries']} queries each.",
        "",
        f"{READERS} readers at once (threads; the three exports and the programme page, "
        f"warm): {crowd['ok']} answered "
        f"200, {crowd['failed']} failed, in {crowd['seconds']:.2f} s.",
        "",
        *http_report(http),
    ]
    text = "\n".join(lines)
    if not args.no_write:
        write_section("conference-exports", text)
    print(text)
    everything = http["kinds"]["all"]
    failed = everything["errors"] + everything["non_200"] + http["stale"]
    return 1 if failed or any(http["trouble"].values()) else 0


def http_report(http: dict[str, object]) -> list[str]:
    clients, kinds = http["clients"], http["kinds"]
    trouble = ", ".join(f"{marker}: {count}" for marker, count in http["trouble"].items())

    def after_commit(ms: float | None) -> str:
        if ms is None:
            return "none"
        return f"{ms:,.0f} ms after" if ms >= 0 else f"{-ms:,.0f} ms before"

    lines = [
        f"### Over HTTP: {clients} readers at once, a release published during the run",
        "",
        f"The same database served by `knowflow serve --workers {HTTP_WORKERS}` (gunicorn, "
        "production settings, no debug, each worker with its own in-memory cache), as "
        f"`bench/load_bench.py` serves the large demo; {clients} Locust clients "
        "(`bench/conference_exports_locustfile.py`) on the same machine, each sending its next "
        f"request as soon as the last one answered, for {http['seconds']} s. Weights: "
        "schedule.json 3, schedule.xml 2, schedule.ics 2, agenda.ics 2 (the member's "
        f"{AGENDA_TALKS} starred talks; one person's, so not cached), all four with the member's "
        "calendar secret (`?key=`) and no cookie; the programme page 1, signed in with the "
        "member's browser session. Each address was fetched 4 times at once before the run "
        "(a worker's first request imports every view). Latency is the client's, from sending "
        "the request to its last byte, waiting for a worker included: with every client "
        "always waiting, it is about clients ÷ throughput. The load generator shares the CPUs "
        f"with the server; one-minute load average {http['load_before']:.1f} as the run began. "
        "*errors*: no answer, or a 200 without its release number.",
        "",
        "| URL | requests | req/s | median ms | p95 ms | non-200 | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, row in kinds.items():
        name = "all" if kind == "all" else f"`{kind}`"
        lines.append(
            f"| {name} | {row['requests']:,} | {row['rps']:.1f} | {row['median_ms']:,.0f} "
            f"| {row['p95_ms']:,.0f} | {row['non_200']} | {row['errors']} |"
        )
    lines += [
        "",
        f"{kinds['all']['requests']:,} requests in {http['span_s']:.1f} s: "
        f"**{kinds['all']['rps']:.1f} requests/s**. At {http['published_after_s']:.0f} s "
        f"this process moved one talk and published release {http['new']} "
        f"(`release_publish`, {http['publish_ms']:.0f} ms under the load). Before it "
        f"committed, {http['before_old']:,} of {http['before']:,} answers held release "
        f"{http['old']}; of the {http['after']:,} requests sent after it committed "
        f"({http['after_json']:,} of them schedule.json), **{http['stale']} held release "
        f"{http['old']}** ({http['stale_json']} of schedule.json's `schedule.version`)"
        + (
            ": whichever worker answered, none served its cached copy of the old release "
            "after the commit. "
            if not http["stale"]
            else ". "
        )
        + f"The last answer with release {http['old']} arrived "
        f"{after_commit(http['last_old_ms'])} the commit"
        + (
            " (sent before it, already being answered)"
            if (http["last_old_ms"] or 0) > 0 and not http["stale"]
            else ""
        )
        + f", the first with release {http['new']} {after_commit(http['first_new_ms'])} it. "
        f"Server log: {trouble}.",
    ]
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
