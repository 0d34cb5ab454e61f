"""Related content: "more like this" over the search index, without network or model.

A document's most distinctive terms (title and topic terms first, then the body's terms
weighted by inverse document frequency from the index's own vocabulary) become an ordinary
query run through the same backend and ranking, with the document itself left out.
"""

from __future__ import annotations

import math
from collections import Counter

from knowflow.discovery.query import ParsedQuery
from knowflow.library.models import SearchDocument
from knowflow.library.search.base import SearchFilters
from knowflow.library.search.engine import SearchHit, _collapse, _hit, backend, knowledge

MAX_TERMS = 12


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
    document = SearchDocument.objects.filter(kind=kind, object_id=object_id).first()
    if document is None:
        return []
    know = knowledge()
    total = max(1, SearchDocument.objects.count())
    terms = key_terms(document, know.vocabulary.frequency, total)
    if not terms:
        return []
    parsed = ParsedQuery(text=" ".join(terms), terms=tuple(terms))
    filters = SearchFilters(
        types=(
            SearchDocument.Kind.SESSION,
            SearchDocument.Kind.RESOURCE,
            SearchDocument.Kind.COLLECTION,
        ),
        exclude=((kind, object_id),),
    )
    engine = backend()
    candidates = engine.candidates(engine.rank(parsed, filters, limit=limit * 4))
    hits = []
    for group in _collapse(candidates):
        if group[0].group_key == document.group_key:
            continue  # this session's own recording is not "more on this"
        hit = _hit(group[0], parsed, snippets=False)
        hit.grouped = [_hit(other, parsed, snippets=False) for other in group[1:]]
        hits.append(hit)
        if len(hits) == limit:
            break
    return hits
