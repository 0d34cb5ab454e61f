"""Building the index rows (``SearchDocument``) for everything searchable, and writing them.

Each ``index_*`` function loads what it needs with a fixed number of queries per batch and
upserts the rows; callers run it inside their own transaction, so the index changes exactly
when the data does. The text of a document is split by weight: the title, the topics (their
names *and* synonyms, so "k8s" finds a session tagged Kubernetes), the people, the body.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import connection
from django.db.models import Prefetch
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.circles.models import Circle, Membership
from knowflow.discovery.text import plain_text, terms_text
from knowflow.events.models import Occurrence, Session
from knowflow.library.models import Collection, RelatedContent, Resource, SearchDocument
from knowflow.library.search.engine import invalidate
from knowflow.library.search.related import KINDS as RELATED_KINDS
from knowflow.topics.models import Topic

BATCH = 500
MAX_BODY_CHARS = 20_000  # what is indexed of a long text (a tsvector caps near 1 MB anyway)
MAX_SUMMARY_CHARS = 4_000
Kind = SearchDocument.Kind

_UPDATE_FIELDS = [
    "group_key",
    "slug",
    "title",
    "summary",
    "external_id",
    "title_terms",
    "topic_terms",
    "people_terms",
    "body_terms",
    "topic_ids",
    "format",
    "language",
    "circle_id",
    "date",
    "has_recording",
    "updated_at",
]


def _topic_text(topics: Iterable[Topic]) -> str:
    return " ".join(" ".join([t.name, *t.synonyms]) for t in topics)


def _topic_ids(topics: Iterable[Topic]) -> str:
    ids = sorted({t.pk for t in topics})
    return f" {' '.join(map(str, ids))} " if ids else ""


def build_document(
    *,
    kind: str,
    object_id: int,
    slug: str,
    title: str,
    body: str,
    topics: Sequence[Topic] = (),
    people: Iterable[str] = (),
    group_key: str = "",
    external_id: str = "",
    format: str = "",
    language: str = "",
    circle_id: int | None = None,
    date: datetime | None = None,
    has_recording: bool = False,
    extra_title: str = "",
) -> SearchDocument:
    body = plain_text(body)
    return SearchDocument(
        kind=kind,
        object_id=object_id,
        group_key=group_key or f"{kind}:{object_id}",
        slug=slug,
        title=title[:300],
        summary=body[:MAX_SUMMARY_CHARS],
        external_id=external_id,
        title_terms=terms_text(f"{title} {extra_title}"),
        topic_terms=terms_text(_topic_text(topics)),
        people_terms=terms_text(" ".join(people)),
        body_terms=terms_text(body[:MAX_BODY_CHARS]),
        topic_ids=_topic_ids(topics),
        format=format,
        language=language,
        circle_id=circle_id,
        date=date,
        has_recording=has_recording,
        updated_at=timezone.now(),
    )


_COLUMNS = ["kind", "object_id", *_UPDATE_FIELDS]


def write_documents(rows: list[SearchDocument]) -> None:
    """Insert or replace documents (triggers keep FTS5 in step; PostgreSQL recomputes the
    generated vector). One ``executemany`` per batch: an import writes tens of thousands,
    and the ORM's per-object overhead would cost more than the database does."""
    if not rows:
        return
    columns = ", ".join(_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in _UPDATE_FIELDS)
    sql = (
        f"INSERT INTO {SearchDocument._meta.db_table} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(_COLUMNS))}) "
        f"ON CONFLICT (kind, object_id) DO UPDATE SET {updates}"
    )
    adapt = connection.ops.adapt_datetimefield_value
    values = [
        [
            adapt(getattr(row, c)) if c in ("date", "updated_at") else getattr(row, c)
            for c in _COLUMNS
        ]
        for row in rows
    ]
    with connection.cursor() as cursor:
        for i in range(0, len(values), BATCH):
            cursor.executemany(sql, values[i : i + BATCH])
    invalidate()
    if any(row.kind in RELATED_KINDS for row in rows):
        # "More on this" is recomputed by the worker after the commit (imported here: the
        # task's module imports the services, which import this module).
        from knowflow.library.tasks import related_content_refresh_later

        related_content_refresh_later()


def remove_documents(*, kind: str, object_ids: Iterable[int]) -> None:
    # Blocks that list a removed document drop it when shown; its own block goes with it.
    object_ids = list(object_ids)
    SearchDocument.objects.filter(kind=kind, object_id__in=object_ids).delete()
    RelatedContent.objects.filter(kind=kind, object_id__in=object_ids).delete()


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ids = list(dict.fromkeys(ids))
    for i in range(0, len(ids), BATCH):
        yield ids[i : i + BATCH]


# --- sessions ---------------------------------------------------------------------------------


def session_date(occurrences: Sequence[Occurrence], now: datetime) -> datetime | None:
    """The next date of a session, or its last one when all are past."""
    upcoming = [o.start for o in occurrences if o.end >= now]
    if upcoming:
        return min(upcoming)
    return max((o.start for o in occurrences), default=None)


def session_document(session: Session, *, now: datetime) -> SearchDocument:
    """Needs ``topics``, ``speakers``, ``occurrences`` and ``resources`` prefetched."""
    resources = list(session.resources.all())
    external_id = next((r.external_id for r in resources if r.external_id), "")
    return build_document(
        kind=Kind.SESSION,
        object_id=session.pk,
        slug=session.slug,
        title=session.title,
        body=session.abstract,
        topics=list(session.topics.all()),
        people=[p.display_name for p in session.speakers.all()],
        group_key=f"session:{session.pk}",
        external_id=external_id,
        format=session.format,
        language=session.language,
        circle_id=session.circle_id,
        date=session_date(list(session.occurrences.all()), now),
        has_recording=any(r.kind == Resource.Kind.RECORDING for r in resources),
    )


def index_sessions(session_ids: Iterable[int]) -> None:
    now = timezone.now()
    for chunk in _chunks(session_ids):
        sessions = list(
            Session.objects.filter(pk__in=chunk)
            .exclude(status=Session.Status.CANCELLED)
            .prefetch_related(
                "topics",
                Prefetch("speakers", queryset=Person.objects.only("id", "display_name")),
                Prefetch(
                    "occurrences",
                    queryset=Occurrence.objects.only("id", "session_id", "start", "end"),
                ),
                Prefetch(
                    "resources",
                    queryset=Resource.objects.only("id", "session_id", "kind", "external_id"),
                ),
            )
        )
        write_documents([session_document(s, now=now) for s in sessions])
        # A cancelled (or deleted) session leaves the index.
        present = {s.pk for s in sessions}
        remove_documents(kind=Kind.SESSION, object_ids=[pk for pk in chunk if pk not in present])


# --- resources --------------------------------------------------------------------------------


def resource_document(resource: Resource) -> SearchDocument:
    """Needs ``topics`` and ``authors`` prefetched and ``session`` / ``occurrence`` selected."""
    date = resource.occurrence.start if resource.occurrence_id else None
    return build_document(
        kind=Kind.RESOURCE,
        object_id=resource.pk,
        slug=resource.slug,
        title=resource.title,
        body=f"{resource.description}\n\n{resource.body}\n{resource.file_name}",
        topics=list(resource.topics.all()),
        people=[p.display_name for p in resource.authors.all()],
        group_key=f"session:{resource.session_id}" if resource.session_id else "",
        external_id=resource.external_id,
        format=resource.kind,
        language=resource.language,
        circle_id=resource.circle_id,
        date=date or resource.created_at,
        has_recording=resource.kind == Resource.Kind.RECORDING,
    )


def index_resources(resource_ids: Iterable[int]) -> None:
    for chunk in _chunks(resource_ids):
        resources = list(
            Resource.objects.filter(pk__in=chunk)
            .select_related("occurrence")
            .prefetch_related(
                "topics", Prefetch("authors", queryset=Person.objects.only("id", "display_name"))
            )
        )
        write_documents([resource_document(r) for r in resources])
        present = {r.pk for r in resources}
        remove_documents(kind=Kind.RESOURCE, object_ids=[pk for pk in chunk if pk not in present])


# --- collections, people, circles, topics ----------------------------------------------------


def index_collections(collection_ids: Iterable[int]) -> None:
    for chunk in _chunks(collection_ids):
        collections = list(
            Collection.objects.filter(pk__in=chunk)
            .select_related("owner", "topic")
            .prefetch_related("sections", "items__resource", "items__session")
        )
        documents = []
        for collection in collections:
            steps = " ".join(
                [s.title for s in collection.sections.all()]
                + [str(item.target) for item in collection.items.all()]
            )
            documents.append(
                build_document(
                    kind=Kind.COLLECTION,
                    object_id=collection.pk,
                    slug=collection.slug,
                    title=collection.title,
                    body=f"{collection.description}\n{steps}",
                    topics=[collection.topic] if collection.topic else [],
                    people=[collection.owner.display_name],
                    format=collection.kind,
                    circle_id=collection.circle_id,
                    date=collection.updated_at,
                )
            )
        write_documents(documents)
        present = {c.pk for c in collections}
        remove_documents(kind=Kind.COLLECTION, object_ids=[pk for pk in chunk if pk not in present])


def index_people(person_ids: Iterable[int]) -> None:
    """People are found by their name, their skills and the titles of what they taught."""
    for chunk in _chunks(person_ids):
        people = list(
            Person.objects.filter(pk__in=chunk).prefetch_related(
                "skills", Prefetch("sessions_given", queryset=Session.objects.only("id", "title"))
            )
        )
        documents = []
        for person in people:
            taught = [s.title for s in person.sessions_given.all()][:50]
            documents.append(
                build_document(
                    kind=Kind.PERSON,
                    object_id=person.pk,
                    slug=person.slug,
                    title=person.display_name,
                    body=f"{person.bio}\n" + "\n".join(taught),
                    topics=list(person.skills.all()),
                    people=[person.display_name],
                )
            )
        write_documents(documents)
        present = {p.pk for p in people}
        remove_documents(kind=Kind.PERSON, object_ids=[pk for pk in chunk if pk not in present])


def index_circles(circle_ids: Iterable[int]) -> None:
    for chunk in _chunks(circle_ids):
        circles = list(
            Circle.objects.filter(pk__in=chunk).prefetch_related(
                "topics",
                Prefetch(
                    "memberships",
                    queryset=Membership.objects.filter(
                        role=Membership.Role.CHAMPION
                    ).select_related("person"),
                    to_attr="champion_memberships",
                ),
            )
        )
        documents = [
            build_document(
                kind=Kind.CIRCLE,
                object_id=circle.pk,
                slug=circle.slug,
                title=circle.name,
                body=circle.mission,
                topics=list(circle.topics.all()),
                people=[m.person.display_name for m in circle.champion_memberships],
                circle_id=circle.pk,
            )
            for circle in circles
        ]
        write_documents(documents)
        present = {c.pk for c in circles}
        remove_documents(kind=Kind.CIRCLE, object_ids=[pk for pk in chunk if pk not in present])


def index_topics(topic_ids: Iterable[int]) -> None:
    for chunk in _chunks(topic_ids):
        topics = list(Topic.objects.filter(pk__in=chunk))
        write_documents(
            [
                build_document(
                    kind=Kind.TOPIC,
                    object_id=topic.pk,
                    slug=topic.slug,
                    title=topic.name,
                    body=topic.description,
                    topics=[topic],
                )
                for topic in topics
            ]
        )
        present = {t.pk for t in topics}
        remove_documents(kind=Kind.TOPIC, object_ids=[pk for pk in chunk if pk not in present])


# --- what other apps' services call, inside their transactions ------------------------------


def index_sessions_and_speakers(session_ids: Iterable[int]) -> None:
    """A session changed: its document, and its speakers' (they list what they taught)."""
    ids = list(session_ids)
    index_sessions(ids)
    speakers = Session.speakers.through.objects.filter(session_id__in=ids).values_list(
        "person_id", flat=True
    )
    index_people(set(speakers))


def index_topics_and_tagged(topic_ids: Iterable[int]) -> None:
    """A topic was renamed or given synonyms: every document carrying it changes too."""
    ids = list(topic_ids)
    index_topics(ids)
    index_sessions(
        Session.topics.through.objects.filter(topic_id__in=ids).values_list("session_id", flat=True)
    )
    index_resources(
        Resource.topics.through.objects.filter(topic_id__in=ids).values_list(
            "resource_id", flat=True
        )
    )
    index_circles(
        Circle.topics.through.objects.filter(topic_id__in=ids).values_list("circle_id", flat=True)
    )
    index_people(
        Person.skills.through.objects.filter(topic_id__in=ids).values_list("person_id", flat=True)
    )


INDEXERS = {
    Kind.SESSION: (Session, index_sessions),
    Kind.RESOURCE: (Resource, index_resources),
    Kind.COLLECTION: (Collection, index_collections),
    Kind.PERSON: (Person, index_people),
    Kind.CIRCLE: (Circle, index_circles),
    Kind.TOPIC: (Topic, index_topics),
}


def reindex_all(*, kinds: Iterable[str] | None = None, progress: object = None) -> dict[str, int]:
    """Rebuild the documents of every object of ``kinds`` (all by default) and drop orphans.

    For data written without the services (a bulk demo load, a restored backup).
    """
    counts: dict[str, int] = {}
    for kind in kinds or INDEXERS:
        model, indexer = INDEXERS[kind]
        ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
        for i in range(0, len(ids), BATCH * 4):
            indexer(ids[i : i + BATCH * 4])
            if progress is not None:
                progress.update(len(ids[i : i + BATCH * 4]))  # type: ignore[attr-defined]
        orphans = SearchDocument.objects.filter(kind=kind).exclude(
            object_id__in=model.objects.values("pk")
        )
        orphans.delete()
        counts[kind] = len(ids)
    # Fresh planner statistics for the documents table: a reindex changes its size by orders
    # of magnitude, and statistics taken when it held 5 rows (the demo load analyses before it
    # indexes) made SQLite scan every document for each search (20 s for "career growth" on
    # the large demo instead of 0.1 s).
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {SearchDocument._meta.db_table}")
    return counts
