"""Conference exports benchmark: schedule.json, schedule.xml and schedule.ics of a 300-talk,
three-day conference, and publishing its release.

    .venv/bin/python bench/conference_exports_bench.py [--requests 50] [--talks 300] [--no-write]

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
- 200 readers ask at once (threads, mixed formats, warm), to show none of them fails.

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
import sys
import threading
import time
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
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from knowflow.accounts.models import Office, Person  # noqa: E402
from knowflow.accounts.services import person_create  # noqa: E402
from knowflow.conferences import exports  # noqa: E402
from knowflow.conferences.services import (  # noqa: E402
    conference_create,
    release_publish,
    talk_add,
    track_create,
)
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


def time_publish(conference: object, enabler: Person, releases: int = 10) -> dict[str, float]:
    times, queries = [], 0
    occurrences = list(Occurrence.objects.order_by("id")[:releases])
    for n in range(releases):
        if n:  # something to publish: one talk moves by 5 minutes
            moved = occurrences[n]
            Occurrence.objects.filter(pk=moved.pk).update(
                start=moved.start + timedelta(minutes=5), end=moved.end + timedelta(minutes=5)
            )
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
    exports._vtimezone.cache_clear()


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--talks", type=int, default=300)
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

    load = os.getloadavg()
    lines = [
        "## Conference exports (schedule.json, schedule.xml, schedule.ics)",
        "",
        f"Command: `.venv/bin/python bench/conference_exports_bench.py --requests {args.requests} "
        f"--talks {args.talks}` (in `make bench`), measured "
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
    ]
    text = "\n".join(lines)
    if not args.no_write:
        write_section("conference-exports", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
