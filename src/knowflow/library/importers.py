"""Importing talk archives: JSON Lines (the shared corpus format), pyvideo checkouts, CSV.

A talk becomes a past session (status done, one online occurrence at its date) with its
speakers as people (no user account), its event as a circle, its tags as topics (grouped
with their synonyms by ``knowflow.discovery.taxonomy``) and its video as a recording resource.
The talk's own id is kept as the recording's ``external_id`` (source ``talk``), so importing
the same file again — or the same talk from pyvideo — updates instead of duplicating.

Bad lines are reported with their line numbers and skipped; every good line is imported.
Records are checked before anything is written, and each batch is one transaction, so a
line is either imported whole or not at all. Writes are bulk (a few statements per batch of
500 talks) because an archive holds tens of thousands of talks.
"""

from __future__ import annotations

import copy
import gzip
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify

from knowflow.accounts.models import Person
from knowflow.accounts.search import PERSON
from knowflow.circles.models import Circle
from knowflow.circles.search import CIRCLE
from knowflow.discovery.taxonomy import clean_tag, group_tags, known_synonyms_for
from knowflow.discovery.text import phrase_key
from knowflow.events.models import Occurrence, Session
from knowflow.events.search import SESSION
from knowflow.events.signals import occurrences_removed
from knowflow.library.models import Resource
from knowflow.library.search import RESOURCE
from knowflow.links import is_web_url
from knowflow.search.engine import invalidate
from knowflow.search.index import build_document, index_write, write_documents
from knowflow.search.models import SearchDocument
from knowflow.topics.models import Topic
from knowflow.topics.search import TOPIC

SOURCE_TALK = "talk"
BATCH = 500
DEFAULT_MINUTES = 45
MAX_TITLE = 200
# A talk is dated, not timed: midday UTC keeps the date the same in most time zones.
TALK_HOUR_UTC = 12
LANGUAGES = {"eng": "en", "deu": "de", "ger": "de", "fra": "fr", "fre": "fr", "spa": "es",
             "ita": "it", "por": "pt", "jpn": "ja", "zho": "zh", "chi": "zh", "rus": "ru",
             "pol": "pl", "nld": "nl", "dut": "nl", "kor": "ko", "ces": "cs", "cze": "cs"}  # fmt: skip


@dataclass
class LineError:
    line: int
    message: str
    file: str = ""  # for imports that read many files (pyvideo)

    def __str__(self) -> str:
        where = self.file or f"line {self.line}"
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[LineError] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated


@dataclass(frozen=True)
class Talk:
    """One talk, checked: every field has the type the importer writes."""

    line: int
    id: str
    title: str
    description: str
    speakers: tuple[str, ...]
    event_slug: str
    event_title: str
    recorded: date | None
    language: str
    tags: tuple[str, ...]
    minutes: int
    video_url: str
    licence: str


class BadRecord(ValueError):
    pass


def _text(record: dict, key: str, *, required: bool = False, limit: int | None = None) -> str:
    value = record.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise BadRecord(f"'{key}' must be a string")
    value = value.strip()
    if required and not value:
        raise BadRecord(f"'{key}' is missing")
    return value[:limit] if limit else value


def talk_from_record(record: object, *, line: int) -> Talk:
    """Check one decoded JSON record of the talks schema; raise ``BadRecord`` with the reason."""
    if not isinstance(record, dict):
        raise BadRecord("a talk must be a JSON object")
    talk_id = _text(record, "id", required=True, limit=300)
    title = _text(record, "title", required=True)
    speakers = record.get("speakers") or []
    if not isinstance(speakers, list) or not all(isinstance(s, str) for s in speakers):
        raise BadRecord("'speakers' must be a list of names")
    event = record.get("event") or {}
    if not isinstance(event, dict):
        raise BadRecord("'event' must be an object with a slug and a title")
    event_title = str(event.get("title") or event.get("slug") or "").strip()[:120]
    recorded = None
    if record.get("recorded"):
        try:
            recorded = date.fromisoformat(str(record["recorded"])[:10])
        except ValueError as error:
            raise BadRecord(
                f"'recorded' is not a date like 2017-03-16: {record['recorded']!r}"
            ) from error
    tags = record.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise BadRecord("'tags' must be a list of strings")
    duration = record.get("duration")
    if duration is not None and (not isinstance(duration, int | float) or duration < 0):
        raise BadRecord("'duration' must be a number of seconds")
    minutes = max(1, min(int(duration) // 60, 24 * 60)) if duration else DEFAULT_MINUTES
    video_url = _text(record, "video_url", limit=1000)
    if video_url and not is_web_url(video_url):
        raise BadRecord(f"'video_url' is not a web address: {video_url[:80]!r}")
    language = _text(record, "language", limit=16) or "en"
    return Talk(
        line=line,
        id=talk_id,
        title=title[:MAX_TITLE],
        description=_text(record, "description"),
        speakers=tuple(dict.fromkeys(s.strip()[:150] for s in speakers if s.strip())),
        event_slug=str(event.get("slug") or "").strip()[:140],
        event_title=event_title,
        recorded=recorded,
        language=LANGUAGES.get(language.lower(), language.lower()),
        tags=tuple(dict.fromkeys(clean_tag(t) for t in tags if clean_tag(t))),
        minutes=minutes,
        video_url=video_url,
        licence=_text(record, "video_license", limit=200),
    )


def open_text(path: Path) -> io.TextIOBase:
    """A text stream over ``path``, gunzipped when it is gzip (told by its first bytes)."""
    with open(path, "rb") as raw:
        magic = raw.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")  # type: ignore[return-value]
    return open(path, encoding="utf-8", errors="replace")  # noqa: SIM115 - the caller closes it


def read_talks_jsonl(path: Path, errors: list[LineError]) -> Iterator[Talk]:
    """Talks of a JSON Lines file; broken lines go to ``errors`` with their numbers."""
    with open_text(path) as stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                yield talk_from_record(json.loads(line.strip()), line=number)
            except json.JSONDecodeError as error:
                errors.append(
                    LineError(number, f"not valid JSON ({error.msg} at column {error.colno})")
                )
            except BadRecord as error:
                errors.append(LineError(number, str(error)))


def read_pyvideo(root: Path, errors: list[LineError]) -> Iterator[Talk]:
    """Talks of a pyvideo data checkout: ``<event>/category.json`` and ``<event>/videos/*.json``.

    The talk id is ``<event dir>/<video slug>``, the same ids as the shared corpus, so a talk
    imported from either source is the same talk.
    """
    for category_file in sorted(root.glob("*/category.json")):
        event_dir = category_file.parent
        try:
            category = json.loads(category_file.read_text(encoding="utf-8"))
            if not isinstance(category, dict):
                raise BadRecord("category.json must be an object")
        except (json.JSONDecodeError, BadRecord, OSError, UnicodeDecodeError) as error:
            errors.append(
                LineError(0, f"cannot read it ({error})", file=str(category_file.relative_to(root)))
            )
            continue
        event = {"slug": event_dir.name, "title": category.get("title") or event_dir.name}
        for number, video_file in enumerate(sorted((event_dir / "videos").glob("*.json")), 1):
            where = str(video_file.relative_to(root))
            try:
                video = json.loads(video_file.read_text(encoding="utf-8"))
                if not isinstance(video, dict):
                    raise BadRecord("a video must be a JSON object")
                links = video.get("videos") or []
                url = next(
                    (v.get("url") for v in links if isinstance(v, dict) and v.get("url")), ""
                )
                record = {
                    "id": f"{event_dir.name}/{video.get('slug') or video_file.stem}",
                    "title": video.get("title"),
                    "description": video.get("description") or video.get("summary") or "",
                    "speakers": video.get("speakers") or [],
                    "event": event,
                    "recorded": video.get("recorded"),
                    "language": video.get("language") or "eng",
                    "tags": video.get("tags") or [],
                    "duration": video.get("duration"),
                    "video_url": url,
                    "video_license": video.get("copyright_text") or None,
                }
                yield talk_from_record(record, line=number)
            except (json.JSONDecodeError, UnicodeDecodeError, OSError) as error:
                errors.append(LineError(number, f"not valid JSON ({error})", file=where))
            except BadRecord as error:
                errors.append(LineError(number, str(error), file=where))


# --- writing ----------------------------------------------------------------------------------


class _Taxonomy:
    """Tags to topic ids, creating topics (with synonyms) for tags the organisation lacks."""

    def __init__(self, tag_counts: Counter[str]) -> None:
        self.by_key: dict[str, Topic] = {}
        topics = list(Topic.objects.all())
        taken_slugs = {t.slug for t in topics}
        names = {t.name.lower(): t for t in topics}
        for topic in topics:
            for spelling in [topic.name, *topic.synonyms]:
                self.by_key.setdefault(phrase_key(spelling), topic)
        new_topics: list[Topic] = []
        changed: list[Topic] = []
        for group in group_tags(tag_counts):
            keys = [phrase_key(s) for s in group.spellings]
            existing = next((self.by_key[k] for k in keys if k in self.by_key), None)
            existing = existing or names.get(group.name.lower())
            if existing is not None:
                known = {phrase_key(s) for s in [existing.name, *existing.synonyms]}
                extra = [s for s in group.spellings if phrase_key(s) not in known]
                if extra:
                    existing.synonyms = sorted({*existing.synonyms, *(s.lower() for s in extra)})
                    changed.append(existing)
                topic = existing
            else:
                slug = base = (slugify(group.name) or "topic")[:130]
                n = 1
                while slug in taken_slugs:
                    n += 1
                    slug = f"{base}-{n}"
                taken_slugs.add(slug)
                extra = known_synonyms_for(group.spellings)
                topic = Topic(
                    name=group.name,
                    slug=slug,
                    synonyms=sorted({*group.synonyms, *extra}),
                )
                names[group.name.lower()] = topic
                new_topics.append(topic)
            for key in keys:
                self.by_key[key] = topic
        Topic.objects.bulk_create(new_topics, batch_size=BATCH)
        Topic.objects.bulk_update(changed, ["synonyms"], batch_size=BATCH)
        self.touched = {t.pk for t in [*new_topics, *changed]}

    def topics_for(self, tags: Iterable[str]) -> list[Topic]:
        found: dict[int, Topic] = {}
        for tag in tags:
            topic = self.by_key.get(phrase_key(tag))
            if topic is not None:
                found[topic.pk] = topic
        return list(found.values())


class _Registry:
    """Rows that talks share (people, circles) and the talks already imported."""

    def __init__(self, source: str) -> None:
        self.people = {
            name.lower(): pk for pk, name in Person.objects.values_list("id", "display_name")
        }
        self.person_slugs = set(Person.objects.values_list("slug", flat=True))
        self.circles = {name.lower(): pk for pk, name in Circle.objects.values_list("id", "name")}
        self.circle_slugs = set(Circle.objects.values_list("slug", flat=True))
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

    @staticmethod
    def unique(taken: set[str], base: str, max_length: int) -> str:
        root = (slugify(base) or "item")[: max_length - 8]
        slug, n = root, 1
        while slug in taken:
            n += 1
            slug = f"{root}-{n}"
        taken.add(slug)
        return slug

    def people_for(self, names: Iterable[str]) -> None:
        new = []
        for name in names:
            if name.lower() not in self.people:
                person = Person(
                    display_name=name,
                    slug=self.unique(self.person_slugs, name, 160),
                    role=Person.Role.MEMBER,
                )
                self.people[name.lower()] = person  # type: ignore[assignment]
                new.append(person)
        Person.objects.bulk_create(new, batch_size=BATCH)
        for person in new:
            self.people[person.display_name.lower()] = person.pk

    def circles_for(self, talks: Iterable[Talk]) -> None:
        new = []
        for talk in talks:
            key = talk.event_title.lower()
            if key and key not in self.circles:
                circle = Circle(
                    name=talk.event_title,
                    slug=self.unique(self.circle_slugs, talk.event_slug or talk.event_title, 140),
                    mission=f"Talks from {talk.event_title}.",
                )
                self.circles[key] = circle  # type: ignore[assignment]
                new.append(circle)
        Circle.objects.bulk_create(new, batch_size=BATCH)
        for circle in new:
            self.circles[circle.name.lower()] = circle.pk


def _write_batch(
    talks: list[Talk],
    *,
    registry: _Registry,
    taxonomy: _Taxonomy,
    source: str,
    report: ImportReport,
) -> tuple[set[int], set[int]]:
    """Write one batch of checked talks; returns the people and circles they touched."""
    # The last line wins when a file holds the same id twice.
    talks = list({talk.id: talk for talk in talks}.values())
    registry.people_for(name for talk in talks for name in talk.speakers)
    registry.circles_for(talks)
    existing = [t for t in talks if t.id in registry.imported]
    fresh = [t for t in talks if t.id not in registry.imported]

    def starts(talk: Talk) -> tuple[datetime, datetime] | None:
        if talk.recorded is None:
            return None
        start = datetime(
            talk.recorded.year, talk.recorded.month, talk.recorded.day, TALK_HOUR_UTC, tzinfo=UTC
        )
        return start, start + timedelta(minutes=talk.minutes)

    def session_fields(talk: Talk) -> dict:
        return {
            "title": talk.title,
            "abstract": talk.description,
            "format": Session.Format.TALK,
            "language": talk.language,
            "status": Session.Status.DONE,
            "circle_id": registry.circles.get(talk.event_title.lower()),
        }

    # Sessions.
    new_sessions = [
        Session(
            slug=registry.unique(registry.session_slugs, t.id.replace("/", "-"), 220),
            **session_fields(t),
        )
        for t in fresh
    ]
    Session.objects.bulk_create(new_sessions, batch_size=BATCH)
    session_ids = {t.id: s.pk for t, s in zip(fresh, new_sessions, strict=True)}
    old_sessions = []
    for talk in existing:
        _, session_id = registry.imported[talk.id]
        if session_id is None:  # the session was deleted since: make a new one
            session = Session(
                slug=registry.unique(registry.session_slugs, talk.id.replace("/", "-"), 220),
                **session_fields(talk),
            )
            session.save()
            session_ids[talk.id] = session.pk
            registry.imported_slugs[talk.id] = (
                0,
                0,
                session.slug,
                registry.imported_slugs[talk.id][3],
            )
            continue
        session_ids[talk.id] = session_id
        old_sessions.append(Session(pk=session_id, **session_fields(talk)))
    Session.objects.bulk_update(
        old_sessions, ["title", "abstract", "format", "language", "status", "circle_id"]
    )

    # Speakers and topics (replaced for updated talks).
    all_session_ids = list(session_ids.values())
    Session.speakers.through.objects.filter(session_id__in=all_session_ids).delete()
    Session.topics.through.objects.filter(session_id__in=all_session_ids).delete()
    topics_of = {t.id: taxonomy.topics_for(t.tags) for t in talks}
    Session.speakers.through.objects.bulk_create(
        [
            Session.speakers.through(
                session_id=session_ids[t.id], person_id=registry.people[n.lower()]
            )
            for t in talks
            for n in t.speakers
        ],
        batch_size=BATCH,
    )
    Session.topics.through.objects.bulk_create(
        [
            Session.topics.through(session_id=session_ids[t.id], topic_id=topic.pk)
            for t in talks
            for topic in topics_of[t.id]
        ],
        batch_size=BATCH,
    )

    # One past occurrence, online, at the talk's date.
    Occurrence.objects.filter(session_id__in=all_session_ids).delete()
    occurrences_removed.send(sender=Occurrence, session_ids=list(all_session_ids))
    occurrences = {}
    for talk in talks:
        when = starts(talk)
        if when is not None and talk.video_url:
            occurrences[talk.id] = Occurrence(
                session_id=session_ids[talk.id],
                start=when[0],
                end=when[1],
                online_url=talk.video_url,
                capacity=100,
            )
    Occurrence.objects.bulk_create(list(occurrences.values()), batch_size=BATCH)

    # The recording (it carries the talk's id).
    def resource_fields(talk: Talk) -> dict:
        occurrence = occurrences.get(talk.id)
        return {
            "kind": Resource.Kind.RECORDING if talk.video_url else Resource.Kind.NOTE,
            "title": talk.title,
            "description": talk.description,
            "url": talk.video_url,
            "language": talk.language,
            "session_id": session_ids[talk.id],
            "occurrence_id": occurrence.pk if occurrence else None,
            "circle_id": registry.circles.get(talk.event_title.lower()),
            "licence": talk.licence,
        }

    new_resources = [
        Resource(
            slug=registry.unique(registry.resource_slugs, t.id.replace("/", "-"), 240),
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
    Resource.objects.bulk_update(
        old_resources,
        [
            "kind",
            "title",
            "description",
            "url",
            "language",
            "session_id",
            "occurrence_id",
            "circle_id",
            "licence",
        ],
    )
    all_resource_ids = list(resource_ids.values())
    Resource.authors.through.objects.filter(resource_id__in=all_resource_ids).delete()
    Resource.topics.through.objects.filter(resource_id__in=all_resource_ids).delete()
    Resource.authors.through.objects.bulk_create(
        [
            Resource.authors.through(
                resource_id=resource_ids[t.id], person_id=registry.people[n.lower()]
            )
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
        _, _, session_slug, resource_slug = registry.imported_slugs[talk.id]
        slugs.setdefault(talk.id, session_slug)
        resource_slugs.setdefault(talk.id, resource_slug)
    index_rows: list[SearchDocument] = []
    for talk in talks:
        when = starts(talk)
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
            circle_id=registry.circles.get(talk.event_title.lower()),
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
    people = {registry.people[n.lower()] for t in talks for n in t.speakers}
    circles = {registry.circles[t.event_title.lower()] for t in talks if t.event_title}
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
        taxonomy = _Taxonomy(tag_counts)
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
        from knowflow.accounts.services import unique_slug

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
        person = Person.objects.filter(display_name__iexact=name).first()
        if person is None:
            from knowflow.accounts.services import unique_slug

            person = Person.objects.create(
                display_name=name[:150], slug=unique_slug(Person, name, max_length=160)
            )
        authors.append(person)
    resource.authors.set(authors)
    index_write(kind=RESOURCE, object_ids=[resource.pk])
    if session is not None:
        index_write(kind=SESSION, object_ids=[session.pk])
    return created


# --- export -----------------------------------------------------------------------------------


def library_export_lines() -> Iterator[dict]:
    """The library as records, one per resource then one per collection (JSON Lines)."""
    resources = (
        Resource.objects.select_related("session", "circle", "owner")
        .prefetch_related("topics", "authors")
        .order_by("id")
    )
    for r in resources.iterator(chunk_size=1000):
        yield {
            "type": "resource",
            "slug": r.slug,
            "kind": r.kind,
            "title": r.title,
            "description": r.description,
            "body": r.body,
            "url": r.url,
            "topics": [t.name for t in r.topics.all()],
            "authors": [p.display_name for p in r.authors.all()],
            "language": r.language,
            "session": r.session.slug if r.session else None,
            "circle": r.circle.slug if r.circle else None,
            "licence": r.licence,
            "owner": r.owner.slug if r.owner else None,
            "last_reviewed_on": r.last_reviewed_on.isoformat() if r.last_reviewed_on else None,
            "file_name": r.file_name or None,
            "file_type": r.file_type or None,
            "source": r.source or None,
            "external_id": r.external_id or None,
        }
    from knowflow.library.models import Collection

    collections = Collection.objects.select_related("owner", "circle", "topic").prefetch_related(
        "sections", "items__resource", "items__session", "items__section"
    )
    for c in collections.order_by("id"):
        yield {
            "type": "collection",
            "slug": c.slug,
            "kind": c.kind,
            "title": c.title,
            "description": c.description,
            "owner": c.owner.slug,
            "circle": c.circle.slug if c.circle else None,
            "topic": c.topic.slug if c.topic else None,
            "sections": [{"title": s.title, "note": s.note} for s in c.sections.all()],
            "items": [
                {
                    "resource": i.resource.slug if i.resource else None,
                    "session": i.session.slug if i.session else None,
                    "section": i.section.title if i.section else None,
                    "note": i.note,
                }
                for i in c.items.all()
            ],
        }
