"""Writing the index: documents built from what the domains registered, upserted in batches.

Domains call ``index_write`` / ``index_remove`` from their services, inside their own
transaction, so the index changes exactly when the data does. ``index_write`` asks the
kind's registered ``build`` for its sources (a fixed number of queries per batch), lets the
extensions add to them, analyses the text and upserts the rows; an object its ``build``
leaves out (deleted, cancelled) leaves the index. ``reindex_all`` does the same for every
registered kind, for data written around the services (the demo's bulk load, a restore).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime

from django.db import connection
from django.utils import timezone

from knowflow.discovery.text import plain_text, terms_text
from knowflow.search import registry
from knowflow.search.engine import backend, invalidate
from knowflow.search.models import SearchDocument
from knowflow.search.registry import DocumentSource, Tag
from knowflow.search.signals import documents_removed, documents_written

BATCH = 500
MAX_BODY_CHARS = 20_000  # what is indexed of a long text (a tsvector caps near 1 MB anyway)
MAX_SUMMARY_CHARS = 4_000

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


def _topic_text(topics: Iterable[Tag]) -> str:
    return " ".join(" ".join([t.name, *t.synonyms]) for t in topics)


def _topic_ids(topics: Iterable[Tag]) -> str:
    ids = sorted({t.pk for t in topics})
    return f" {' '.join(map(str, ids))} " if ids else ""


def build_document(
    *,
    kind: str,
    object_id: int,
    slug: str,
    title: str,
    body: str,
    topics: Sequence[Tag] = (),
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
    """The row for one object: its text analysed by weight (see ``DocumentSource``)."""
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


def document_of(source: DocumentSource) -> SearchDocument:
    return build_document(**{f.name: getattr(source, f.name) for f in fields(source)})


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
    documents_written.send(sender=SearchDocument, kinds=frozenset(row.kind for row in rows))


def index_remove(*, kind: str, object_ids: Iterable[int]) -> None:
    """Take these objects' documents out of the index (the object was deleted or hidden)."""
    object_ids = list(object_ids)
    if not object_ids:
        return
    SearchDocument.objects.filter(kind=kind, object_id__in=object_ids).delete()
    documents_removed.send(sender=SearchDocument, kind=kind, object_ids=object_ids)


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ids = list(dict.fromkeys(ids))
    for i in range(0, len(ids), BATCH):
        yield ids[i : i + BATCH]


def index_write(*, kind: str, object_ids: Iterable[int], dependents: bool = False) -> None:
    """Rebuild the documents of these objects of ``kind``; those its ``build`` leaves out go.

    ``dependents``: also rebuild the documents that carry something of these (a session's
    speakers list what they taught; everything tagged with a renamed topic). Callers run it
    inside their own transaction.
    """
    entry = registry.get(kind)
    extensions = registry.extensions(kind)
    ids = list(object_ids)
    for chunk in _chunks(ids):
        sources = entry.build(chunk)
        by_id = {source.object_id: source for source in sources}
        for extension in extensions:
            extension(by_id)
        write_documents([document_of(source) for source in sources])
        index_remove(kind=kind, object_ids=[pk for pk in chunk if pk not in by_id])
    if dependents:
        for dependent in registry.dependents(kind):
            index_write(kind=dependent.kind, object_ids=dependent.ids(ids))


def reindex_all(*, kinds: Iterable[str] | None = None, progress: object = None) -> dict[str, int]:
    """Rebuild the documents of every object of ``kinds`` (all registered by default) and
    drop orphans.

    For data written without the services (a bulk demo load, a restored backup).
    """
    counts: dict[str, int] = {}
    for kind in kinds or [k.kind for k in registry.kinds()]:
        # The registry holds any model class: its default manager is the typed way to reach its
        # rows (``objects`` on every registered model, none declares another manager).
        model = registry.get(kind).model
        ids = list(model._default_manager.order_by("pk").values_list("pk", flat=True))
        for i in range(0, len(ids), BATCH * 4):
            index_write(kind=kind, object_ids=ids[i : i + BATCH * 4])
            if progress is not None:
                progress.update(len(ids[i : i + BATCH * 4]))  # type: ignore[attr-defined]
        orphans = SearchDocument.objects.filter(kind=kind).exclude(
            object_id__in=model._default_manager.values("pk")
        )
        orphans.delete()
        counts[kind] = len(ids)
    # Fresh planner statistics for the documents table: a reindex changes its size by orders
    # of magnitude, and statistics taken when it held 5 rows (the demo load analyses before it
    # indexes) made SQLite scan every document for each search (20 s for "career growth" on
    # the large demo instead of 0.1 s).
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {SearchDocument._meta.db_table}")
    backend().compact()
    return counts
