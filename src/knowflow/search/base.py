"""The search backend interface: what the engine asks of the database, whichever it is.

A backend matches analysed terms against ``SearchDocument`` rows and scores them with the
database's own full-text ranking, field weights included; filters are plain SQL over the
document table shared by both. Everything else (query parsing, synonyms, typo correction,
re-ranking, collapsing, snippets, facets) happens once, in the engine, for both.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeAlias

from django.db import connection

from knowflow.discovery.query import ParsedQuery

# A value bound to a %s in the SQL: what the filters and limits pass (dates go as the
# backend's adapted strings).
SQLParam: TypeAlias = str | int | float | bool | None

TABLE = "library_searchdocument"  # SearchDocument._meta.db_table (see models.py)

# Field weights: a word in the title counts most, then the topics, then people, then the body.
WEIGHT_TITLE = 10.0
WEIGHT_TOPICS = 6.0
WEIGHT_PEOPLE = 3.0
WEIGHT_BODY = 1.0


@dataclass(frozen=True)
class SearchFilters:
    types: tuple[str, ...] = ()
    topic_ids: tuple[int, ...] = ()
    formats: tuple[str, ...] = ()
    language: str = ""
    circle_id: int | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    has_recording: bool | None = None
    exclude: tuple[tuple[str, int], ...] = ()  # (kind, object_id) left out (related content)

    def where(self) -> tuple[str, list[SQLParam]]:
        """SQL conditions on ``d`` (the document table) and their parameters."""
        clauses: list[str] = []
        params: list[SQLParam] = []
        if self.types:
            clauses.append(f"d.kind IN ({', '.join(['%s'] * len(self.types))})")
            params.extend(self.types)
        for topic_id in self.topic_ids:
            clauses.append("d.topic_ids LIKE %s")
            params.append(f"% {int(topic_id)} %")
        if self.formats:
            clauses.append(f"d.format IN ({', '.join(['%s'] * len(self.formats))})")
            params.extend(self.formats)
        if self.language:
            clauses.append("d.language = %s")
            params.append(self.language)
        if self.circle_id is not None:
            clauses.append("d.circle_id = %s")
            params.append(self.circle_id)
        adapt = connection.ops.adapt_datetimefield_value
        if self.date_from is not None:
            clauses.append("d.date >= %s")
            params.append(adapt(self.date_from))
        if self.date_to is not None:
            clauses.append("d.date < %s")
            params.append(adapt(self.date_to))
        if self.has_recording is not None:
            clauses.append("d.has_recording = %s")
            params.append(self.has_recording)
        for kind, object_id in self.exclude:
            clauses.append("NOT (d.kind = %s AND d.object_id = %s)")
            params.extend([kind, object_id])
        return (" AND ".join(clauses) or "1=1"), params


@dataclass
class Candidate:
    """A matching document as the backend returns it; ``score`` is higher for better."""

    id: int
    kind: str
    object_id: int
    group_key: str
    slug: str
    title: str
    summary: str
    external_id: str
    title_terms: str
    topic_ids: str
    format: str
    language: str
    circle_id: int | None
    date: datetime | None
    has_recording: bool
    score: float


CANDIDATE_COLUMNS = (
    # The summary (kilobytes of text) is read only for the results shown: see ``summaries``.
    "d.id, d.kind, d.object_id, d.group_key, d.slug, d.title, '', d.external_id, "
    "d.title_terms, d.topic_ids, d.format, d.language, d.circle_id, d.date, d.has_recording"
)
FACET_COLUMNS = (
    "d.kind, d.format, d.language, d.has_recording, d.circle_id, d.topic_ids, d.group_key"
)


class SearchBackend(ABC):
    """One database's full-text search over ``SearchDocument``.

    A backend only ranks: ``rank`` returns (document id, score) pairs, best first, with the
    filters applied; reading the documents and their facet columns by id is shared SQL.
    """

    vendor = ""

    @abstractmethod
    def compact(self) -> None:
        """After a bulk rewrite of the documents (a reindex): leave the index as compact as
        one built in one go."""

    @abstractmethod
    def rank(
        self, query: ParsedQuery, filters: SearchFilters, *, limit: int
    ) -> list[tuple[int, float]]:
        """The best ``limit`` documents matching any term of ``query``: (id, score), best first."""

    @abstractmethod
    def count(self, query: ParsedQuery, filters: SearchFilters) -> int:
        """How many documents match ``query`` and ``filters``."""

    @abstractmethod
    def facet_rows(self, query: ParsedQuery, filters: SearchFilters) -> list[tuple]:
        """(kind, format, language, has_recording, circle_id, topic_ids, group_key) of every
        match."""

    @abstractmethod
    def suggest(self, query: ParsedQuery, *, limit: int) -> list[tuple[int, float]]:
        """Titles holding every typed word (the last one as a prefix): (id, score), best first."""

    @abstractmethod
    def term_frequencies(self) -> list[tuple[str, int]]:
        """Every indexed term with the number of documents holding it."""

    def candidates(self, ranked: list[tuple[int, float]]) -> list[Candidate]:
        """The documents of ``ranked`` ids, in that order, with their scores."""
        if not ranked:
            return []
        scores = dict(ranked)
        placeholders = ", ".join(["%s"] * len(scores))
        rows = self._fetch(
            f"SELECT {CANDIDATE_COLUMNS}, 0.0 FROM {TABLE} d WHERE d.id IN ({placeholders})",
            list(scores),
        )
        for row in rows:
            row.score = float(scores[row.id])
        return sorted(rows, key=lambda c: (-c.score, c.id))

    def candidates_in(self, ids: list[int], filters: SearchFilters) -> list[Candidate]:
        """The documents ``ids`` that pass ``filters`` (semantic neighbours: found without
        the database, filtered by it)."""
        if not ids:
            return []
        where, params = filters.where()
        placeholders = ", ".join(["%s"] * len(ids))
        return self._fetch(
            f"SELECT {CANDIDATE_COLUMNS}, 0.0 FROM {TABLE} d "
            f"WHERE d.id IN ({placeholders}) AND {where}",
            [*ids, *params],
        )

    def summaries(self, ids: list[int]) -> dict[int, str]:
        """The snippet text of the documents ``ids`` (only those a page shows)."""
        if not ids:
            return {}
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT d.id, d.summary FROM {TABLE} d WHERE d.id IN ({', '.join(['%s'] * len(ids))})",
                ids,
            )
            return dict(cursor.fetchall())

    def facet_rows_of(self, ids: list[int]) -> list[tuple]:
        if not ids:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {FACET_COLUMNS} FROM {TABLE} d WHERE d.id IN ({', '.join(['%s'] * len(ids))})",
                ids,
            )
            return cursor.fetchall()

    def browse(self, filters: SearchFilters, *, limit: int) -> list[Candidate]:
        """No words typed, only filters: the newest documents that pass them."""
        where, params = filters.where()
        sql = (
            f"SELECT {CANDIDATE_COLUMNS}, 0.0 FROM {TABLE} d WHERE {where} "
            "ORDER BY d.date IS NULL, d.date DESC, d.id DESC LIMIT %s"
        )
        return self._fetch(sql, [*params, limit])

    def browse_facet_rows(self, filters: SearchFilters) -> list[tuple]:
        where, params = filters.where()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {FACET_COLUMNS} FROM {TABLE} d WHERE {where}", params)
            return cursor.fetchall()

    def _fetch(self, sql: str, params: list[SQLParam]) -> list[Candidate]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return [_candidate(row) for row in rows]


def _candidate(row: tuple) -> Candidate:
    (
        id_,
        kind,
        object_id,
        group_key,
        slug,
        title,
        summary,
        external_id,
        title_terms,
        topic_ids,
        fmt,
        language,
        circle_id,
        date,
        has_recording,
        score,
    ) = row
    if isinstance(date, str):  # SQLite through a raw cursor returns text, in UTC
        date = datetime.fromisoformat(date)
    if date is not None and date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    return Candidate(
        id=id_, kind=kind, object_id=object_id, group_key=group_key, slug=slug, title=title,
        summary=summary, external_id=external_id, title_terms=title_terms, topic_ids=topic_ids,
        format=fmt, language=language, circle_id=circle_id, date=date,
        has_recording=bool(has_recording), score=float(score or 0.0),
    )  # fmt: skip
