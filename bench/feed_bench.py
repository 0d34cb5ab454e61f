"""Feed benchmark: a person's calendar feed with 500 events, against one with 50.

    .venv/bin/python bench/feed_bench.py [--renders 60] [--no-write]

It builds a fresh SQLite database under ``var/bench/feed/`` with two people: one going to 450
occurrences and speaking at 50 more (500 events), the baseline going to 50. The events mix
rooms in Berlin, New York and Tokyo (each with its VTIMEZONE) with online-only dates, and their
abstracts are real talk descriptions from ``../shared/data/talks.jsonl.gz`` when it is there.

Measured, median over ``--renders`` renders after 5 warm-up renders:
- "request": the whole feed request in-process through Django's test Client (URL routing,
  middleware, the two queries, writing the iCalendar text) — what a calendar client waits for,
  minus the network;
- "icalendar objects": the same events built as ``icalendar.Event`` objects and serialised by
  the library, the straightforward way this module does not use (see ``events/ical.py``).
Every rendered feed is parsed once with ``icalendar`` to check it holds all its events.

The table replaces the section between ``<!-- BEGIN calendar -->`` and ``<!-- END calendar -->``
of ``docs/benchmarks.md``; the rest of the file belongs to other benchmarks.
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
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "var" / "bench" / "feed"
TALKS = ROOT.parent / "shared" / "data" / "talks.jsonl.gz"
TARGET_MS = 100.0
WARMUP = 5

shutil.rmtree(DATA_DIR, ignore_errors=True)
DATA_DIR.mkdir(parents=True)
os.environ["KNOWFLOW_DATA_DIR"] = str(DATA_DIR)
# Production settings (DEBUG off: no query log), minus TLS, which the in-process client lacks.
os.environ.setdefault("KNOWFLOW_INSECURE_DEV_KEY", "1")
os.environ.setdefault("KNOWFLOW_SSL_REDIRECT", "0")
os.environ.setdefault("ALLOWED_HOSTS", "localhost")
os.environ["DJANGO_SETTINGS_MODULE"] = "knowflow.config.settings"
sys.path.insert(0, str(ROOT / "src"))

import django  # noqa: E402

django.setup()

import icalendar  # noqa: E402
from benchdoc import write_section  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from knowflow.accounts.models import Office, Person  # noqa: E402
from knowflow.accounts.services import person_create  # noqa: E402
from knowflow.events import ical  # noqa: E402
from knowflow.events.models import Occurrence, Registration, Room, Session  # noqa: E402
from knowflow.integrations import selectors  # noqa: E402
from knowflow.integrations.services import calendar_feed_token_regenerate  # noqa: E402


def abstracts() -> list[str]:
    if not TALKS.exists():
        return ["A talk about testing in layers, " * 12]
    with gzip.open(TALKS, "rt") as lines:
        found = [json.loads(line).get("description", "") for line in itertools.islice(lines, 2000)]
    return [text for text in found if text][:600] or ["A talk."]


def build(person: Person, *, going: int, speaking: int, offset: int, texts: list[str]) -> None:
    """Occurrences from next month on, two a day, spread over three offices and online."""
    rooms = list(Room.objects.order_by("pk"))
    start0 = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
    sessions = Session.objects.bulk_create(
        [
            Session(
                title=f"Session {offset + n}: {texts[n % len(texts)][:60].strip()}",
                slug=f"session-{offset + n}",
                abstract=texts[n % len(texts)],
                status=Session.Status.SCHEDULED,
            )
            for n in range(going + speaking)
        ]
    )
    Session.speakers.through.objects.bulk_create(
        [Session.speakers.through(session=s, person=person) for s in sessions[going:]]
    )
    occurrences = Occurrence.objects.bulk_create(
        [
            Occurrence(
                session=session,
                start=start0 + timedelta(hours=12 * n),
                end=start0 + timedelta(hours=12 * n, minutes=60),
                room=rooms[n % 4] if n % 4 < 3 else None,
                online_url="https://meet.example.org/" + session.slug if n % 2 else "",
                capacity=30,
            )
            for n, session in enumerate(sessions)
        ]
    )
    Registration.objects.bulk_create(
        [
            Registration(
                occurrence=occurrence,
                person=person,
                status=Registration.Status.WAITLISTED if n % 10 == 0 else Registration.Status.GOING,
                requested_at=start0 - timedelta(days=30),
            )
            for n, occurrence in enumerate(occurrences[:going])
        ]
    )


def median_ms(action: object, renders: int) -> float:
    for _ in range(WARMUP):
        action()  # type: ignore[operator]
    times = []
    for _ in range(renders):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def icalendar_objects(person: Person) -> bytes:
    """The straightforward rendering: one icalendar.Event per occurrence, serialised by the library."""
    calendar = icalendar.Calendar()
    calendar.add("PRODID", ical.PRODID)
    calendar.add("VERSION", "2.0")
    stamp = datetime.now(UTC)
    for entry in selectors.person_feed_entries(person=person):
        zone = ical._zone(entry.zone) or UTC
        event = icalendar.Event()
        event.add("UID", ical.occurrence_uid(entry.occurrence_id))
        event.add("DTSTAMP", stamp)
        event.add("SEQUENCE", entry.sequence)
        event.add("DTSTART", entry.start.astimezone(zone))
        event.add("DTEND", entry.end.astimezone(zone))
        event.add("SUMMARY", entry.title)
        event.add(
            "DESCRIPTION", ical.description_text(entry.abstract, ical.session_url(entry.slug))
        )
        event.add("LOCATION", entry.location)
        event.add("STATUS", entry.status)
        if entry.online_url:
            event.add("URL", entry.online_url)
            event.add(
                "CONFERENCE", entry.online_url, parameters={"VALUE": "URI", "FEATURE": "VIDEO"}
            )
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--renders", type=int, default=60)
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args()

    call_command("migrate", verbosity=0, interactive=False)
    for name, zone in (
        ("Berlin", "Europe/Berlin"),
        ("New York", "America/New_York"),
        ("Tokyo", "Asia/Tokyo"),
    ):
        office = Office.objects.create(
            name=name, slug=name.lower().replace(" ", "-"), timezone=zone
        )
        Room.objects.create(office=office, name=f"{name} auditorium", capacity=200)
    texts = abstracts()
    client = Client(HTTP_HOST="localhost")
    rows = []
    for label, going, speaking in (("baseline: 50 events", 50, 0), ("500 events", 450, 50)):
        person = person_create(display_name=f"Feed reader {going + speaking}")
        build(person, going=going, speaking=speaking, offset=Session.objects.count(), texts=texts)
        token = calendar_feed_token_regenerate(person=person, actor=person)
        url = reverse("calendar:person_feed", args=[token.secret])
        body = client.get(url).content
        events = len(icalendar.Calendar.from_ical(body).walk("VEVENT"))
        assert events == going + speaking, (events, going + speaking)
        request_ms = median_ms(lambda url=url: client.get(url), args.renders)
        objects_ms = median_ms(lambda p=person: icalendar_objects(p), max(10, args.renders // 5))
        rows.append((label, events, len(body), request_ms, objects_ms))
        print(f"{label}: {request_ms:.1f} ms", file=sys.stderr)

    verdict = "met" if rows[-1][3] < TARGET_MS else "NOT met"
    lines = [
        "### Calendar feeds",
        "",
        f"Command: `python bench/feed_bench.py` — CPython {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, SQLite, DEBUG off. Median of {args.renders} requests of a person's feed "
        "(in-process test client: routing, middleware, 2 queries, iCalendar text), after "
        f"{WARMUP} warm-up requests. Abstracts are real talk descriptions. Target: 500 events "
        f"under {TARGET_MS:.0f} ms — {verdict}.",
        "",
        "| feed | events | bytes | request ms (median) | icalendar `Event` objects ms (not used) |",
        "|---|---|---|---|---|",
        *(
            f"| {label} | {events} | {size:,} | {request:.1f} | {objects:.1f} |"
            for label, events, size, request, objects in rows
        ),
        "",
        "The last column (median of "
        f"{max(10, args.renders // 5)}) builds the same feed as `icalendar.Event` objects "
        "serialised by the library: the reason `events/ical.py` writes VEVENT content "
        "lines itself and uses icalendar for the header and the VTIMEZONE components. "
        f"Load average during the run: {os.getloadavg()[0]:.1f} (other work shared the CPUs).",
    ]
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        write_section("calendar", table)


if __name__ == "__main__":
    main()
