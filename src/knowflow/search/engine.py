"""The search engine: one ranking for the search page, the API and ``knowflow search``.

1. Parse: the typed text becomes analysed terms (``knowflow.discovery.query``): unknown words
   are corrected against the index's vocabulary, topic names found in the query bring their
   synonyms, and the last word counts as a prefix while someone is typing.
2. Match and score in the database (the backend: FTS5 BM25 or PostgreSQL ``ts_rank``, with
   field weights title > topics > people > body), filters applied in SQL.
3. Re-rank the best few hundred: an exact title match and a query that *is* one of a
   document's topics (or a synonym of it) lift it; things that only name other things
   (people, circles, topics: the prior their app registered) weigh a little less.
4. Collapse: documents sharing a group are one result, led by the group's own document (a
   session, with its recording attached).
5. Facets over every match, highlighted snippets (HTML-escaped except the marks).
"""

from __future__ import annotations

import gc
import html
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.db import connection

from knowflow.discovery.query import MAX_QUERY_CHARS, ParsedQuery, SynonymMap, parse_query
from knowflow.discovery.spelling import Vocabulary
from knowflow.discovery.text import STOPWORDS, highlight, stem, words
from knowflow.discovery.understand import UnderstoodQuery, understand
from knowflow.search import registry, semantic
from knowflow.search.base import Candidate, SearchBackend, SearchFilters
from knowflow.search.models import SearchDocument

CANDIDATES = 200  # re-ranked in Python; the database orders the rest
FACET_POOL = 500
FACET_EXACT_LIMIT = 2000
TITLE_EXACT_BOOST = 1.6
TITLE_ALL_TERMS_BOOST = 1.15
TOPIC_MATCH_BOOST = 1.5
CACHE_SECONDS = 300
# A term in more than this share of documents says almost nothing (BM25 gives it an IDF near
# zero) yet makes the database score most of the index: it is left out of the match as long
# as the query has other terms. It still counts in the re-ranking (exact title match).
COMMON_TERM_SHARE = 0.05
MIN_CORRECTION_FREQUENCY = 2  # a term seen once may itself be a typo: never a correction
# Fusion of the lexical and the semantic rankings (reciprocal rank fusion, Cormack et al.
# 2009): a document's score is the sum over the rankings of weight / (FUSION_K + rank).
SEMANTIC_DEPTH = 100
FUSION_K = 60
LEXICAL_WEIGHT = 1.0
SEMANTIC_WEIGHT = 0.6  # tuned on the dev queries only (0.5-1.0 tried)


def backend() -> SearchBackend:
    """The backend for the database in use."""
    if connection.vendor == "postgresql":
        from knowflow.search.postgres import PostgresBackend

        return PostgresBackend()
    from knowflow.search.sqlite import SqliteBackend

    return SqliteBackend()


# --- the vocabulary and synonyms, cached per process ---------------------------------------


@dataclass
class _Knowledge:
    vocabulary: Vocabulary
    synonyms: SynonymMap
    topic_runs: dict[int, set[tuple[str, ...]]]
    loaded_at: float
    documents: int = 0


_lock = threading.Lock()
_knowledge: dict[str, _Knowledge] = {}


def invalidate() -> None:
    """Forget the cached vocabulary: the next search reloads it (called after index writes)."""
    _knowledge.clear()


def knowledge() -> _Knowledge:
    """The vocabulary of indexed terms and the topic synonyms, reloaded every few minutes."""
    key = connection.alias + connection.vendor
    current = _knowledge.get(key)
    if current is not None and time.monotonic() - current.loaded_at < CACHE_SECONDS:
        return current
    with _lock:
        frequencies = [
            (term, count)
            for term, count in backend().term_frequencies()
            if count >= MIN_CORRECTION_FREQUENCY
        ]
        title_words: Counter[str] = Counter()
        for title in SearchDocument.objects.values_list("title", flat=True).iterator(
            chunk_size=5000
        ):
            title_words.update(set(words(title)))
        topics = registry.synonym_rows()
        topic_runs: dict[int, set[tuple[str, ...]]] = {}
        for topic_id, name, synonyms in topics:
            runs = {tuple(stem(w) for w in words(n)) for n in [name, *(synonyms or [])]}
            topic_runs[topic_id] = {run for run in runs if run}
        current = _Knowledge(
            vocabulary=Vocabulary.build(frequencies, title_words.items()),
            synonyms=SynonymMap.build([name, *(synonyms or [])] for _, name, synonyms in topics),
            topic_runs=topic_runs,
            loaded_at=time.monotonic(),
            documents=SearchDocument.objects.count(),
        )
        _knowledge[key] = current
        # The vocabulary lives until the next reload: out of the collector's view, as wsgi.py
        # does for what loads at start-up, so that no request's full collection walks it (on
        # the large demo those took 50-180 ms: find an expert's slowest answers).
        gc.freeze()
        return current


# --- results ---------------------------------------------------------------------------------


@dataclass
class SearchHit:
    kind: str
    object_id: int
    slug: str
    title: str
    score: float
    external_id: str
    format: str
    language: str
    date: datetime | None
    has_recording: bool
    title_html: str = ""
    snippet_html: str = ""
    topic_ids: tuple[int, ...] = ()
    circle_id: int | None = None
    within_working_hours: bool = False
    grouped: list[SearchHit] = field(default_factory=list)  # e.g. a session's recording
    # A moment inside the result where the words were found (a recording's captions).
    moment_url: str = ""
    moment_label: str = ""


@dataclass
class FacetValue:
    value: str
    label: str
    count: int


@dataclass
class SearchResults:
    query: str
    parsed: ParsedQuery
    hits: list[SearchHit]
    total: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    corrected_query: str = ""
    has_more: bool = False
    facets_sampled: bool = False


def understood(text: str, *, prefix: bool = False) -> UnderstoodQuery:
    """``text`` as search understands it (``discovery.understand``) with this index's
    vocabulary and the abbreviations learned from its text: expert finding matches free text
    through this too."""
    model = semantic.current()
    return understand(
        text,
        knowledge().vocabulary,
        abbreviations=model.abbreviations if model is not None else None,
        keep_last=prefix,
    )


def _alternative_runs(meant: UnderstoodQuery, parsed: ParsedQuery) -> tuple[tuple[str, ...], ...]:
    """The understood query's alternatives (expansions, rare spellings) as runs of terms, each
    matched as one phrase."""
    runs: list[tuple[str, ...]] = []
    for alternative in meant.alternatives:
        run = tuple(stem(w) for w in words(alternative) if w not in STOPWORDS)
        if run and run not in runs and run not in parsed.phrases and run != parsed.terms:
            runs.append(run)
    return tuple(runs)


def _lexically_sure(ranked: list[Candidate], parsed: ParsedQuery, know: _Knowledge) -> bool:
    """Whether the lexical ranking already found what was asked for: the query is the best
    result's title, one of its topics, or (three words or more) all in its title. Then the
    semantic neighbours would only push exact answers down (a tag, a known title)."""
    if not ranked or not parsed.terms:
        return False
    best = ranked[0]
    title_terms = best.title_terms.split()
    if best.title_terms == " ".join(parsed.terms):
        return True
    if len(parsed.terms) >= 3 and set(parsed.terms).issubset(title_terms):
        return True
    return any(
        parsed.terms in know.topic_runs.get(topic_id, ()) for topic_id in _ids(best.topic_ids)
    )


def _fuse(
    lexical: list[Candidate], nearest: list[tuple[int, float]], extra: list[Candidate]
) -> list[Candidate]:
    """One ranking from the lexical one (re-ranked) and the semantic one: reciprocal rank
    fusion, which needs no calibration between BM25 scores and cosines."""
    by_id = {c.id: c for c in lexical}
    by_id.update({c.id: c for c in extra if c.id not in by_id})
    fused: dict[int, float] = {}
    for rank, candidate in enumerate(lexical):
        fused[candidate.id] = LEXICAL_WEIGHT / (FUSION_K + rank + 1)
    priors = registry.priors()
    rank = 0
    for doc_id, _ in nearest:
        found = by_id.get(doc_id)
        if found is None:  # filtered out
            continue
        rank += 1
        share = SEMANTIC_WEIGHT * priors.get(found.kind, 1.0)
        fused[doc_id] = fused.get(doc_id, 0.0) + share / (FUSION_K + rank)
    ranked = [by_id[i] for i in fused]
    for candidate in ranked:
        candidate.score = fused[candidate.id] * 1000
    return sorted(ranked, key=lambda c: (-c.score, c.id))


def _ids(topic_ids: str) -> tuple[int, ...]:
    return tuple(int(part) for part in topic_ids.split())


def _selective(parsed: ParsedQuery, know: _Knowledge) -> ParsedQuery:
    """The query the database matches: ``parsed`` without its very common terms; when every
    term is common ("data pipeline"), documents holding all of them (see ``run_search``)."""
    if len(parsed.terms) < 2 or know.documents < 1000:
        return parsed
    ceiling = COMMON_TERM_SHARE * know.documents
    rare = tuple(t for t in parsed.terms if know.vocabulary.frequency.get(t, 0) <= ceiling)
    if not rare:
        return replace(parsed, require_all=True)
    if len(rare) == len(parsed.terms):
        return parsed
    # Synonyms of the dropped terms go too ("python" would bring "programming language").
    return replace(parsed, terms=rare, phrases=tuple(know.synonyms.expand(rare)))


def _rerank(candidates: list[Candidate], parsed: ParsedQuery, know: _Knowledge) -> list[Candidate]:
    query_run = parsed.terms
    query_key = " ".join(query_run)
    wanted = set(query_run)
    priors = registry.priors()
    for candidate in candidates:
        score = candidate.score
        title_terms = candidate.title_terms.split()
        if query_key and candidate.title_terms == query_key:
            score *= TITLE_EXACT_BOOST
        elif len(wanted) > 1 and wanted.issubset(title_terms):
            score *= TITLE_ALL_TERMS_BOOST
        if query_run and any(
            query_run in know.topic_runs.get(topic_id, ()) for topic_id in _ids(candidate.topic_ids)
        ):
            score *= TOPIC_MATCH_BOOST
        candidate.score = score * priors.get(candidate.kind, 1.0)
    return sorted(candidates, key=lambda c: (-c.score, c.id))


def to_hit(candidate: Candidate, parsed: ParsedQuery, *, snippets: bool) -> SearchHit:
    hit = SearchHit(
        kind=candidate.kind,
        object_id=candidate.object_id,
        slug=candidate.slug,
        title=candidate.title,
        score=round(candidate.score, 6),
        external_id=candidate.external_id,
        format=candidate.format,
        language=candidate.language,
        date=candidate.date,
        has_recording=candidate.has_recording,
        topic_ids=_ids(candidate.topic_ids),
        circle_id=candidate.circle_id,
    )
    if snippets:
        marked = [*parsed.terms, *(t for run in parsed.phrases for t in run)]
        prefixes = (parsed.prefix,) if parsed.prefix else ()
        hit.title_html = highlight(candidate.title, marked, width=400, prefixes=prefixes)
        hit.snippet_html = highlight(candidate.summary, marked, prefixes=prefixes)
    else:
        hit.title_html = html.escape(candidate.title)
    return hit


def collapse(ranked: list[Candidate]) -> list[list[Candidate]]:
    """Group results by ``group_key`` in rank order; the group's own document (the one whose
    key the group bears: a session, whose page shows its recording) stands for it, the others
    ride along."""
    groups: dict[str, list[Candidate]] = {}
    for candidate in ranked:
        groups.setdefault(candidate.group_key, []).append(candidate)
    for group in groups.values():
        owner = next(
            (i for i, c in enumerate(group) if c.group_key == f"{c.kind}:{c.object_id}"), 0
        )
        if owner:
            group.insert(0, group.pop(owner))
    return list(groups.values())


def _facets(rows: list[tuple]) -> dict[str, Counter]:
    counters: dict[str, Counter] = {
        "type": Counter(),
        "format": Counter(),
        "language": Counter(),
        "has_recording": Counter(),
        "circle": Counter(),
        "topic": Counter(),
        "stand_ins": Counter(),
    }
    unlisted = registry.unlisted()
    # A document that stands in for another kind's (a recording's spoken passage) counts as
    # that kind, once for its group, and only when nothing of its group matched itself.
    present = {row[6] for row in rows if row[0] not in unlisted}
    for kind, fmt, language, has_recording, circle_id, topic_ids, group_key in rows:
        if kind in unlisted:
            counters["stand_ins"]["rows"] += 1
            if group_key in present:
                continue
            present.add(group_key)
            counters["stand_ins"]["groups"] += 1
            kind = unlisted[kind]
        counters["type"][kind] += 1
        if fmt:
            counters["format"][fmt] += 1
        if language:
            counters["language"][language] += 1
        if has_recording:
            counters["has_recording"]["yes"] += 1
        if circle_id is not None:
            counters["circle"][circle_id] += 1
        for topic_id in _ids(topic_ids or ""):
            counters["topic"][topic_id] += 1
    return counters


def run_search(
    *,
    text: str,
    filters: SearchFilters,
    limit: int = 20,
    offset: int = 0,
    facets: bool = False,
    snippets: bool = True,
    prefix: bool = False,
    literal: bool = False,
) -> tuple[SearchResults, dict[str, Counter]]:
    """Rank the documents matching ``text`` and ``filters`` (see the module docstring).

    Returns the results and raw facet counts (ids, not labels: the selector names them).
    ``literal`` searches the words as typed (the page's "search for what you typed instead"):
    no question reduction, abbreviation expansion or spelling correction.
    Facets are exact up to ``FACET_EXACT_LIMIT`` matches; past that they count the best
    ``FACET_POOL`` matches (``results.facets_sampled``), which keeps a one-word query over a
    large index fast; the total stays exact.
    """
    engine = backend()
    know = knowledge()
    model = semantic.current()
    meant = (
        UnderstoodQuery(original=text, text=text) if literal else understood(text, prefix=prefix)
    )
    parsed = parse_query(
        meant.text,
        vocabulary=None if literal else know.vocabulary,
        synonyms=know.synonyms,
        prefix=prefix,
    )
    alternatives = _alternative_runs(meant, parsed)
    parsed = replace(parsed, phrases=(*parsed.phrases, *alternatives))
    wanted = offset + limit
    depth = max(CANDIDATES, wanted * 3)
    facet_rows: list[tuple] = []
    sampled = False
    if parsed.is_empty:
        pool = max(wanted + 1, FACET_POOL if facets else 0)
        # Browsing lists things, never the passages that stand in for them.
        unlisted = registry.unlisted()
        listed = filters.types or tuple(k.kind for k in registry.kinds())
        browsing = replace(filters, types=tuple(t for t in listed if t not in unlisted))
        ranked = engine.browse(browsing, limit=pool)
        if facets:
            facet_rows = [
                (
                    c.kind,
                    c.format,
                    c.language,
                    c.has_recording,
                    c.circle_id,
                    c.topic_ids,
                    c.group_key,
                )
                for c in ranked
            ]
            sampled = len(ranked) >= pool
        total = len(ranked)
        ranked = ranked[: wanted + 1]
    else:
        matched = _selective(parsed, know)
        if alternatives:  # an expansion stays, whatever was left out as common
            kept = [run for run in alternatives if run not in matched.phrases]
            matched = replace(matched, phrases=(*matched.phrases, *kept))
        pool = max(depth, FACET_POOL if facets else 0)
        ranked_ids = engine.rank(matched, filters, limit=pool)
        if matched.require_all and len(ranked_ids) < wanted:
            # Too few hold every common word: any of them, then (slower, but complete).
            matched = replace(matched, require_all=False)
            ranked_ids = engine.rank(matched, filters, limit=pool)
        ranked = _rerank(engine.candidates(ranked_ids[:depth]), parsed, know)
        total = len(ranked_ids)
        # When the lexical ranking found the query as a title or a topic, semantic neighbours
        # only push the exact answers down (bench-dev known-item 0.97 → 0.91, topics 0.93 →
        # 0.81 even at half weight): it is left alone.
        if model is not None and not _lexically_sure(ranked, parsed, know):
            query_terms = [*parsed.terms, *(t for run in parsed.phrases for t in run)]
            nearest = model.nearest(query_terms, limit=max(SEMANTIC_DEPTH, wanted))
            known = {c.id for c in ranked}
            extra = engine.candidates_in(
                [doc_id for doc_id, _ in nearest if doc_id not in known], filters
            )
            ranked = _fuse(ranked, nearest, extra)
            total = max(total, len(ranked))
        if facets:
            pooled = [row_id for row_id, _ in ranked_ids]
            if len(ranked_ids) < pool:  # the pool holds every match: count it, no second match
                facet_rows = engine.facet_rows_of(pooled)
            else:
                total = engine.count(matched, filters)
                if total <= FACET_EXACT_LIMIT:
                    facet_rows = engine.facet_rows(matched, filters)
                else:
                    facet_rows = engine.facet_rows_of(pooled)
                    sampled = True
    groups = collapse(ranked)
    if snippets:
        texts = engine.summaries([group[0].id for group in groups[offset:wanted]])
        for group in groups[offset:wanted]:
            group[0].summary = texts.get(group[0].id, "")
    hits = []
    for group in groups[offset:wanted]:
        hit = to_hit(group[0], parsed, snippets=snippets)
        hit.score = round(max(c.score for c in group), 6)  # the group ranks by its best
        hit.grouped = [to_hit(other, parsed, snippets=False) for other in group[1:]]
        hits.append(hit)
    counters = _facets(facet_rows) if facets else {}
    if facets and not sampled:  # stand-ins count as what they stand for, once per group
        total -= counters["stand_ins"]["rows"] - counters["stand_ins"]["groups"]
    results = SearchResults(
        query=text[:MAX_QUERY_CHARS],
        parsed=parsed,
        hits=hits,
        total=total if facets else len(groups),
        corrected_query=meant.shown,
        has_more=len(groups) > wanted,
        facets_sampled=sampled,
    )
    return results, counters


def suggest_titles(text: str, *, limit: int = 8) -> list[SearchHit]:
    """Titles holding every word typed so far, the last one as a prefix (3 letters at least:
    "de" would start half the index)."""
    know = knowledge()
    parsed = parse_query(text, vocabulary=know.vocabulary, synonyms=None, prefix=True)
    if not parsed.terms or (parsed.prefix and len(parsed.prefix) < 3):
        return []
    engine = backend()
    candidates = engine.candidates(engine.suggest(parsed, limit=limit * 2))
    hits = [to_hit(group[0], parsed, snippets=False) for group in collapse(candidates)]
    return hits[:limit]


def suggest_words(prefix: str, *, limit: int = 8) -> list[str]:
    """Completions of the last word being typed."""
    typed = words(prefix)
    if not typed or prefix[-1:].isspace():
        return []
    head = " ".join(typed[:-1])
    return [
        f"{head} {word}".strip() for word in knowledge().vocabulary.complete(typed[-1], limit=limit)
    ]
