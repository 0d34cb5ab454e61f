"""Importing talk archives (JSON Lines, pyvideo checkouts) and resources from CSV.

A talk becomes a past session (status done, one online occurrence at its date) with its
speakers as people (no user account), its event as a circle, its tags as topics (grouped
with their synonyms by ``knowflow.discovery.taxonomy``) and its video as a recording resource.
The talk's own id is kept as the recording's ``external_id`` (source ``talk``), so importing
the same file again — or the same talk from pyvideo — updates instead of duplicating.

Reading and checking the archive is ``library.talk_archive``'s (bad lines are reported with
their line numbers and skipped; every good line is imported). This module writes the checked
talks: the library's own rows (recordings, search documents) here, every other app's rows
through that app's bulk functions (``accounts.bulk``, ``circles.bulk``, ``topics.bulk``,
``events.bulk``). Each batch is one transaction, so a line is either imported whole or not at
all. Writes are bulk (a few statements per batch of 500 talks) because an archive holds tens
of thousands of talks.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction

from knowflow.accounts.bulk import PeopleByName, person_for_name
from knowflow.accounts.search import PERSON
from knowflow.accounts.services import unique_slug
from knowflow.circles.bulk import CirclesByName, NamedCircle
from knowflow.circles.models import Circle
from knowflow.circles.search import CIRCLE
from knowflow.events import bulk as events_bulk
from knowflow.events.models import Session
from knowflow.events.search import SESSION
from knowflow.library.models import Resource
from knowflow.library.search import RESOURCE
from knowflow.library.talk_archive import BadRecord, LineError, Talk, open_text
from knowflow.links import is_web_url
from knowflow.search.engine import invalidate
from knowflow.search.index import build_document, index_write, write_documents
from knowflow.search.models import SearchDocument
from knowflow.slugs import slug_unique_in
from knowflow.topics.bulk import TopicsByTag
from knowflow.topics.models import Topic
from knowflow.topics.search import TOPIC

SOURCE_TALK = "talk"
BATCH = 500
# A talk is dated, not timed: midday UTC keeps the date the same in most time zones.
TALK_HOUR_UTC = 12
SESSION_FIELDS = ("title", "abstract", "format", "language", "status", "circle_id")
RESOURCE_FIELDS = (
    "kind",
    "title",
    "description",
    "url",
    "language",
    "session_id",
    "occurrence_id",
    "circle_id",
    "licence",
)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[LineError] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated


# --- writing talks ----------------------------------------------------------------------------


class _Registry:
    """Rows that talks share (people, circles) and the talks already imported."""

    def __init__(self, source: str) -> None:
        self.people = PeopleByName()
        self.circles = CirclesByName()
        self.session_slugs = set(Session.objects.values_list("slug", flat=True))
        self.resource_slugs = set(Resource.objects.values_list("slug", flat=True))
        self.imported: dict[str, tuple[int, int | None]] = {}
        self.imported_slugs: dict[str, tuple[int, int, str, str]] = {}
        rows = (
            Resource.objects.filter(source=source)
            .exclude(external_id="")
            .values_list("id", "external_id", "session_id", "slug", "session__slug")
        )
        for pk, ext, session_id, slug, session_slug in rows:
            self.imported[ext] = (pk, session_id)
            self.imported_slugs[ext] = (pk, session_id or 0, session_slug or "", slug)


def _starts(talk: Talk) -> tuple[datetime, datetime] | None:
    if talk.recorded is None:
        return None
    start = datetime(
        talk.recorded.year, talk.recorded.month, talk.recorded.day, TALK_HOUR_UTC, tzinfo=UTC
    )
    return start, start + timedelta(minutes=talk.minutes)


def _write_batch(
    talks: list[Talk],
    *,
    registry: _Registry,
    taxonomy: TopicsByTag,
    source: str,
    report: ImportReport,
) -> tuple[set[int], set[int]]:
    """Write one batch of checked talks; returns the people and circles they touched."""
    # The last line wins when a file holds the same id twice.
    talks = list({talk.id: talk for talk in talks}.values())
    registry.people.create_missing(name for talk in talks for name in talk.speakers)
    registry.circles.create_missing(
        NamedCircle(t.event_title, t.event_slug or t.event_title, f"Talks from {t.event_title}.")
        for t in talks
    )
    existing = [t for t in talks if t.id in registry.imported]
    fresh = [t for t in talks if t.id not in registry.imported]

    def session_fields(talk: Talk) -> dict[str, Any]:
        return {
            "title": talk.title,
            "abstract": talk.description,
            "format": Session.Format.TALK,
            "language": talk.language,
            "status": Session.Status.DONE,
            "circle_id": registry.circles.get(talk.event_title),
        }

    def session_slug(talk: Talk) -> str:
        return slug_unique_in(registry.session_slugs, talk.id.replace("/", "-"), max_length=220)

    # Sessions.
    new_sessions = events_bulk.sessions_bulk_create(
        sessions=[{"slug": session_slug(t), **session_fields(t)} for t in fresh]
    )
    session_ids = {t.id: s.pk for t, s in zip(fresh, new_sessions, strict=True)}
    old_sessions = {}
    for talk in existing:
        _, session_id = registry.imported[talk.id]
        if session_id is None:  # the session was deleted since: make a new one
            [session] = events_bulk.sessions_bulk_create(
                sessions=[{"slug": session_slug(talk), **session_fields(talk)}]
            )
            session_ids[talk.id] = session.pk
            registry.imported_slugs[talk.id] = (
                0,
                0,
                session.slug,
                registry.imported_slugs[talk.id][3],
            )
            continue
        session_ids[talk.id] = session_id
        old_sessions[session_id] = session_fields(talk)
    events_bulk.sessions_bulk_update(sessions=old_sessions, fields=SESSION_FIELDS)

    # Speakers and topics (replaced for updated talks).
    all_session_ids = list(session_ids.values())
    topics_of = {t.id: taxonomy.topics_for(t.tags) for t in talks}
    events_bulk.session_people_and_topics_replace(
        session_ids=all_session_ids,
        speakers=[(session_ids[t.id], registry.people[n]) for t in talks for n in t.speakers],
        topics=[(session_ids[t.id], topic.pk) for t in talks for topic in topics_of[t.id]],
    )

    # One past occurrence, online, at the talk's date.
    dated = [t for t in talks if _starts(t) is not None and t.video_url]
    new_occurrences = events_bulk.occurrences_replace(
        session_ids=all_session_ids,
        occurrences=[
            {
                "session_id": session_ids[t.id],
                "start": _starts(t)[0],  # type: ignore[index]
                "end": _starts(t)[1],  # type: ignore[index]
                "online_url": t.video_url,
                "capacity": 100,
            }
            for t in dated
        ],
    )
    occurrences = {t.id: o for t, o in zip(dated, new_occurrences, strict=True)}

    # The recording (it carries the talk's id).
    def resource_fields(talk: Talk) -> dict[str, Any]:
        occurrence = occurrences.get(talk.id)
        return {
            "kind": Resource.Kind.RECORDING if talk.video_url else Resource.Kind.NOTE,
            "title": talk.title,
            "description": talk.description,
            "url": talk.video_url,
            "language": talk.language,
            "session_id": session_ids[talk.id],
            "occurrence_id": occurrence.pk if occurrence else None,
            "circle_id": registry.circles.get(talk.event_title),
            "licence": talk.licence,
        }

    new_resources = [
        Resource(
            slug=slug_unique_in(registry.resource_slugs, t.id.replace("/", "-"), max_length=240),
            source=source,
            external_id=t.id,
            **resource_fields(t),
        )
        for t in fresh
    ]
    Resource.objects.bulk_create(new_resources, batch_size=BATCH)
    resource_ids = {t.id: r.pk for t, r in zip(fresh, new_resources, strict=True)}
    old_resources = []
    for talk in existing:
        resource_id, _ = registry.imported[talk.id]
        resource_ids[talk.id] = resource_id
        old_resources.append(Resource(pk=resource_id, **resource_fields(talk)))
    Resource.objects.bulk_update(old_resources, list(RESOURCE_FIELDS))
    all_resource_ids = list(resource_ids.values())
    Resource.authors.through.objects.filter(resource_id__in=all_resource_ids).delete()
    Resource.topics.through.objects.filter(resource_id__in=all_resource_ids).delete()
    Resource.authors.through.objects.bulk_create(
        [
            Resource.authors.through(resource_id=resource_ids[t.id], person_id=registry.people[n])
            for t in talks
            for n in t.speakers
        ],
        batch_size=BATCH,
    )
    Resource.topics.through.objects.bulk_create(
        [
            Resource.topics.through(resource_id=resource_ids[t.id], topic_id=topic.pk)
            for t in talks
            for topic in topics_of[t.id]
        ],
        batch_size=BATCH,
    )
    for talk in talks:
        registry.imported[talk.id] = (resource_ids[talk.id], session_ids[talk.id])

    # The search documents, from what is in memory (no re-reading): the session and its
    # recording share their text, so it is analysed once.
    slugs = {t.id: s.slug for t, s in zip(fresh, new_sessions, strict=True)}
    resource_slugs = {t.id: r.slug for t, r in zip(fresh, new_resources, strict=True)}
    for talk in existing:
        _, _, existing_session_slug, existing_resource_slug = registry.imported_slugs[talk.id]
        slugs.setdefault(talk.id, existing_session_slug)
        resource_slugs.setdefault(talk.id, existing_resource_slug)
    index_rows: list[SearchDocument] = []
    for talk in talks:
        when = _starts(talk)
        session_doc = build_document(
            kind=SESSION,
            object_id=session_ids[talk.id],
            slug=slugs[talk.id],
            title=talk.title,
            body=talk.description,
            topics=topics_of[talk.id],
            people=talk.speakers,
            group_key=f"session:{session_ids[talk.id]}",
            external_id=talk.id,
            format=Session.Format.TALK,
            language=talk.language,
            circle_id=registry.circles.get(talk.event_title),
            date=when[0] if when else None,
            has_recording=bool(talk.video_url),
        )
        resource_doc = copy.copy(session_doc)
        resource_doc.kind = RESOURCE
        resource_doc.object_id = resource_ids[talk.id]
        resource_doc.slug = resource_slugs[talk.id]
        resource_doc.format = Resource.Kind.RECORDING if talk.video_url else Resource.Kind.NOTE
        index_rows += [session_doc, resource_doc]
        registry.imported_slugs[talk.id] = (0, 0, slugs[talk.id], resource_slugs[talk.id])
    write_documents(index_rows)
    report.created += len(fresh)
    report.updated += len(existing)
    people = {registry.people[n] for t in talks for n in t.speakers}
    circles = {registry.circles[t.event_title] for t in talks if t.event_title}
    return people, circles


def talks_import(
    *,
    talks: Iterable[Talk],
    errors: list[LineError] | None = None,
    source: str = SOURCE_TALK,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import checked talks (see the module docstring); returns counts and the bad lines.

    ``errors`` (lines already found broken while reading) are carried into the report.
    Re-indexes what the talks touched (sessions, recordings, speakers, events, topics).
    """
    talks = list(talks)  # first: a reader appends the broken lines to ``errors`` as it goes
    report = ImportReport(errors=list(errors or []))
    tag_counts: Counter[str] = Counter(tag for talk in talks for tag in talk.tags)
    with transaction.atomic():
        taxonomy = TopicsByTag(tag_counts)
    registry = _Registry(source)
    people: set[int] = set()
    circles: set[int] = set()
    for i in range(0, len(talks), BATCH):
        batch = talks[i : i + BATCH]
        with transaction.atomic():
            touched_people, touched_circles = _write_batch(
                batch, registry=registry, taxonomy=taxonomy, source=source, report=report
            )
        people |= touched_people
        circles |= touched_circles
        if progress is not None:
            progress(len(batch))
    with transaction.atomic():
        # Sessions and recordings were indexed batch by batch; the things they name follow.
        index_write(kind=PERSON, object_ids=people)
        index_write(kind=CIRCLE, object_ids=circles)
        index_write(
            kind=TOPIC,
            object_ids=taxonomy.touched
            | {t.pk for ts in [taxonomy.topics_for(t.tags) for t in talks] for t in ts},
        )
    invalidate()
    return report


# --- resources from CSV -----------------------------------------------------------------------

CSV_COLUMNS = (
    "title",
    "kind",
    "url",
    "description",
    "topics",
    "authors",
    "language",
    "licence",
    "circle",
    "session",
    "external_id",
)
SOURCE_CSV = "csv"


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.replace(";", ",").split(",") if part.strip()]


def resources_import_csv(*, path: Path) -> ImportReport:
    """Resources from a CSV file with a header row (columns: ``CSV_COLUMNS``; title and kind
    required). A row is keyed by its ``external_id`` (else its url), so importing the file
    again updates those resources. Each row is its own transaction: a bad row is reported
    with its line number and the others import."""
    import csv

    report = ImportReport()
    topics = {t.name.lower(): t for t in Topic.objects.all()}
    for topic in list(topics.values()):
        for synonym in topic.synonyms:
            topics.setdefault(synonym.lower(), topic)
    with open_text(path) as stream:
        reader = csv.DictReader(stream)
        missing = {"title", "kind"} - set(reader.fieldnames or [])
        if missing:
            report.errors.append(
                LineError(1, f"the header needs the columns: {', '.join(sorted(missing))}")
            )
            return report
        for row in reader:
            line = reader.line_num
            try:
                with transaction.atomic():
                    created = _resource_from_row(
                        {k: (v or "").strip() for k, v in row.items() if k}, topics
                    )
            except (BadRecord, ValueError) as error:
                report.errors.append(LineError(line, str(error)))
                continue
            if created:
                report.created += 1
            else:
                report.updated += 1
    invalidate()
    return report


def _resource_from_row(row: dict[str, str], topics: dict[str, Topic]) -> bool:
    title, kind, url = row.get("title", ""), row.get("kind", "").lower(), row.get("url", "")
    if not title:
        raise BadRecord("'title' is missing")
    if kind not in Resource.Kind.values:
        raise BadRecord(f"'kind' must be one of {', '.join(Resource.Kind.values)}, not {kind!r}")
    if url and not is_web_url(url):
        raise BadRecord(f"'url' is not a web address: {url[:80]!r}")
    if kind != Resource.Kind.NOTE and not url:
        raise BadRecord("'url' is missing (only a note can do without a link)")
    key = row.get("external_id") or url or title
    unknown = [name for name in _split(row.get("topics", "")) if name.lower() not in topics]
    if unknown:
        raise BadRecord(f"unknown topic(s): {', '.join(unknown)}")
    circle = None
    if row.get("circle"):
        circle = (
            Circle.objects.filter(slug=row["circle"]).first()
            or Circle.objects.filter(name__iexact=row["circle"]).first()
        )
        if circle is None:
            raise BadRecord(f"no circle {row['circle']!r}")
    session = None
    if row.get("session"):
        session = Session.objects.filter(slug=row["session"]).first()
        if session is None:
            raise BadRecord(f"no session {row['session']!r}")
    resource = Resource.objects.filter(source=SOURCE_CSV, external_id=key[:300]).first()
    created = resource is None
    if resource is None:
        resource = Resource(
            source=SOURCE_CSV,
            external_id=key[:300],
            slug=unique_slug(Resource, title, max_length=240),
        )
    resource.title, resource.kind, resource.url = title[:300], kind, url[:1000]
    resource.description = row.get("description", "")
    resource.language = row.get("language") or "en"
    resource.licence = row.get("licence", "")[:200]
    resource.circle, resource.session = circle or (session.circle if session else None), session
    if resource.last_reviewed_on is None:
        resource.last_reviewed_on = date.today()  # noqa: DTZ011 - a calendar date, no time
    resource.save()
    resource.topics.set([topics[name.lower()] for name in _split(row.get("topics", ""))])
    authors = []
    for name in _split(row.get("authors", "")):
        authors.append(person_for_name(name=name))
    resource.authors.set(authors)
    index_write(kind=RESOURCE, object_ids=[resource.pk])
    if session is not None:
        index_write(kind=SESSION, object_ids=[session.pk])
    return created
