"""Related content: "more like this" over the search index, without network or model.

A document's most distinctive terms (title and topic terms first, then the body's terms
weighted by inverse document frequency from the index's own vocabulary) become an ordinary
query run through the same backend and ranking, with the document itself left out.

That query is too slow for a page (an OR of a dozen terms over the whole index), so it runs
when the library changes: ``refresh_stale`` (from the worker, after each change) stores each
document's answer as a ``RelatedContent`` row, and pages read that row (``stored_hits``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from knowflow.discovery.query import ParsedQuery
from knowflow.events.search import SESSION
from knowflow.library.models import RelatedContent
from knowflow.library.search import COLLECTION, RESOURCE
from knowflow.search.base import SearchFilters
from knowflow.search.engine import SearchHit, backend, collapse, knowledge, to_hit
from knowflow.search.models import SearchDocument
from knowflow.search.signals import documents_removed, documents_written

MAX_TERMS = 12
STORED = 5  # entries kept per document: the most any page shows
# The kinds that have a "More on this" block, and the kinds it lists.
KINDS = (SESSION, RESOURCE, COLLECTION)

Key = tuple[str, int]


def key_terms(document: SearchDocument, frequency: dict[str, int], total: int) -> list[str]:
    """The terms that best characterise ``document`` (TF-IDF, title and topics doubled)."""
    counts: Counter[str] = Counter()
    for weight, text in (
        (3, document.title_terms),
        (2, document.topic_terms),
        (1, document.body_terms),
    ):
        for term in text.split():
            counts[term] += weight
    scored = {
        term: tf * math.log(1 + total / (1 + frequency.get(term, 0)))
        for term, tf in counts.items()
        if len(term) > 2 and not term.isdigit()
    }
    return [t for t, _ in sorted(scored.items(), key=lambda item: (-item[1], item[0]))[:MAX_TERMS]]


def related_hits(*, kind: str, object_id: int, limit: int = 5) -> list[SearchHit]:
    """Run the "more like this" query now (the worker's path; pages read ``stored_hits``)."""
    document = SearchDocument.objects.filter(kind=kind, object_id=object_id).first()
    if document is None:
        return []
    return _compute(document, total=max(1, SearchDocument.objects.count()), limit=limit)


def _compute(document: SearchDocument, *, total: int, limit: int) -> list[SearchHit]:
    terms = key_terms(document, knowledge().vocabulary.frequency, total)
    if not terms:
        return []
    parsed = ParsedQuery(text=" ".join(terms), terms=tuple(terms))
    filters = SearchFilters(types=KINDS, exclude=((document.kind, document.object_id),))
    engine = backend()
    candidates = engine.candidates(engine.rank(parsed, filters, limit=limit * 4))
    hits = []
    for group in collapse(candidates):
        if group[0].group_key == document.group_key:
            continue  # this session's own recording is not "more on this"
        hit = to_hit(group[0], parsed, snippets=False)
        hit.grouped = [to_hit(other, parsed, snippets=False) for other in group[1:]]
        hits.append(hit)
        if len(hits) == limit:
            break
    return hits


def _entries(hits: list[SearchHit]) -> list[list]:
    return [[hit.kind, hit.object_id, [[o.kind, o.object_id] for o in hit.grouped]] for hit in hits]


def _store(documents: Iterable[SearchDocument], *, now: datetime) -> list[list[list]]:
    """Compute and store the related entries of ``documents``; returns them in order."""
    total = max(1, SearchDocument.objects.count())
    stored = []
    for document in documents:
        entries = _entries(_compute(document, total=total, limit=STORED))
        RelatedContent.objects.update_or_create(
            kind=document.kind,
            object_id=document.object_id,
            defaults={"entries": entries, "computed_at": now},
        )
        stored.append(entries)
    return stored


def stale_documents() -> Q:
    """Documents with a block whose stored answer is missing or older than the document."""
    newer = RelatedContent.objects.filter(
        kind=OuterRef("kind"),
        object_id=OuterRef("object_id"),
        computed_at__gte=OuterRef("updated_at"),
    )
    return Q(kind__in=KINDS) & ~Q(Exists(newer))


def refresh_stale(*, limit: int | None = None) -> int:
    """Recompute the related content of every changed document (at most ``limit``).

    A document that changed may now belong in other documents' blocks too. Relatedness is
    near-symmetric (the same shared distinctive words), so the documents now related to a
    changed one are recomputed as well, one level deep. Not while working through a bulk load
    (a full batch, more waiting): every document of it gets its own turn anyway, and spreading
    would multiply the work several times over. Returns how many documents were recomputed.
    """
    now = timezone.now()
    stale = SearchDocument.objects.filter(stale_documents()).order_by("-updated_at", "pk")
    changed = list(stale[:limit] if limit else stale)
    neighbours: set[Key] = set()
    spread = limit is None or len(changed) < limit
    for entries in _store(changed, now=now):
        if spread:
            neighbours.update((kind, object_id) for kind, object_id, _ in entries)
    neighbours -= {(d.kind, d.object_id) for d in changed}
    _store(_documents(neighbours), now=now)
    return len(changed) + len(neighbours)


def refresh(keys: Iterable[Key]) -> None:
    """Recompute the related content of these documents now (a command, a test, a benchmark)."""
    _store(_documents(set(keys)), now=timezone.now())


def _documents(keys: set[Key], *, fields: tuple[str, ...] = ()) -> list[SearchDocument]:
    if not keys:
        return []
    match = Q()
    for kind, object_id in sorted(keys):
        match |= Q(kind=kind, object_id=object_id)
    documents = SearchDocument.objects.filter(match).order_by("kind", "object_id")
    return list(documents.only(*fields) if fields else documents)


def stored_hits(*, kind: str, object_id: int, limit: int = 5) -> list[SearchHit]:
    """The stored "more on this" of a document, read in two indexed queries, never searched.

    Titles, dates and recordings come from the index as it is now; a document deleted since
    the answer was stored is left out. Nothing stored yet (the worker has not run): nothing.
    """
    row = RelatedContent.objects.filter(kind=kind, object_id=object_id).only("entries").first()
    if row is None or not row.entries:
        return []
    entries = row.entries[:limit]
    keys = {(k, i) for k, i, _ in entries} | {(k, i) for *_, grouped in entries for k, i in grouped}
    rows = {(d.kind, d.object_id): d for d in _documents(keys, fields=_SHOWN)}
    hits = []
    for entry_kind, entry_id, grouped in entries:
        document = rows.get((entry_kind, entry_id))
        if document is None:
            continue
        hit = _stored_hit(document)
        hit.grouped = [_stored_hit(rows[(k, i)]) for k, i in grouped if (k, i) in rows]
        hits.append(hit)
    return hits


_SHOWN = ("kind", "object_id", "slug", "title", "external_id", "format", "language", "date",
          "has_recording", "circle_id")  # fmt: skip


def _stored_hit(document: SearchDocument) -> SearchHit:
    return SearchHit(
        kind=document.kind,
        object_id=document.object_id,
        slug=document.slug,
        title=document.title,
        score=0.0,
        external_id=document.external_id,
        format=document.format,
        language=document.language,
        date=document.date,
        has_recording=document.has_recording,
        circle_id=document.circle_id,
    )


# --- following the index ---------------------------------------------------------------------


def _documents_written(sender: object, *, kinds: frozenset[str], **kwargs: object) -> None:
    if kinds.intersection(KINDS):
        # "More on this" is recomputed by the worker after the commit (imported here: the
        # task's module imports the services, which write the index).
        from knowflow.library.tasks import related_content_refresh_later

        related_content_refresh_later()


def _documents_removed(
    sender: object, *, kind: str, object_ids: list[int], **kwargs: object
) -> None:
    # Blocks that list a removed document drop it when shown; its own block goes with it.
    RelatedContent.objects.filter(kind=kind, object_id__in=object_ids).delete()


def connect() -> None:
    """Follow the index's writes (from ``LibraryConfig.ready``)."""
    documents_written.connect(_documents_written, dispatch_uid="library.related.written")
    documents_removed.connect(_documents_removed, dispatch_uid="library.related.removed")
