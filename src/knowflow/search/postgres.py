"""PostgreSQL full-text search: a generated, weighted ``tsvector`` column with a GIN index.

The column is computed by the database from the analysed term columns (weights A title,
B topics, C people, D body), so it can never disagree with the row. The ``simple`` text
search configuration is used because the terms are already analysed (stemmed, stop words
dropped) by ``knowflow.discovery.text``: both backends match the very same terms.
"""

from __future__ import annotations

from django.db import connection

from knowflow.discovery.query import ParsedQuery
from knowflow.discovery.text import stem
from knowflow.search.base import (
    FACET_COLUMNS,
    TABLE,
    WEIGHT_BODY,
    WEIGHT_PEOPLE,
    WEIGHT_TITLE,
    WEIGHT_TOPICS,
    SearchBackend,
    SearchFilters,
)

CREATE_SQL = [
    f"""ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(title_terms, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(topic_terms, '')), 'B') ||
        setweight(to_tsvector('simple', coalesce(people_terms, '')), 'C') ||
        setweight(to_tsvector('simple', coalesce(body_terms, '')), 'D')) STORED""",
    f"CREATE INDEX IF NOT EXISTS library_searchdocument_vector ON {TABLE} USING GIN (search_vector)",
]
DROP_SQL = [
    "DROP INDEX IF EXISTS library_searchdocument_vector",
    f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS search_vector",
]

# ts_rank takes the weights in the order D, C, B, A, each at most 1.
_WEIGHTS = (
    "{"
    + ", ".join(
        f"{w / WEIGHT_TITLE:.3f}" for w in (WEIGHT_BODY, WEIGHT_PEOPLE, WEIGHT_TOPICS, WEIGHT_TITLE)
    )
    + "}"
)


def tsquery(query: ParsedQuery) -> str:
    """A ``to_tsquery`` string: terms are alphanumeric and single-quoted, so always valid."""
    parts = [f"'{term}'" for term in query.terms]
    if query.require_all and len(parts) > 1:
        parts = ["(" + " & ".join(parts) + ")"]
    parts += ["(" + " <-> ".join(f"'{t}'" for t in run) + ")" for run in query.phrases]
    if query.prefix:
        parts.append(f"'{query.prefix}':*")
        stemmed = stem(query.prefix)
        if stemmed != query.prefix:
            parts.append(f"'{stemmed}':*")
    return " | ".join(dict.fromkeys(parts))


def suggest_tsquery(query: ParsedQuery) -> str:
    parts = [f"'{term}'" for term in query.terms if term != query.prefix]
    if query.prefix:
        parts.append(f"'{query.prefix}':*")
    return " & ".join(parts)


class PostgresBackend(SearchBackend):
    vendor = "postgresql"

    def compact(self) -> None:
        # The GIN index takes a rewrite in place; PostgreSQL's autovacuum tidies the dead
        # rows after it (VACUUM cannot run inside the reindex's transaction anyway).
        return

    def _ranked(
        self, tsq: str, vector: str, weights: str, filters: SearchFilters, limit: int
    ) -> list[tuple[int, float]]:
        where, params = filters.where()
        sql = (
            f"SELECT d.id, ts_rank('{weights}', {vector}, q, 1) AS score "
            f"FROM {TABLE} d, to_tsquery('simple', %s) q "
            f"WHERE {vector} @@ q AND {where} ORDER BY score DESC, d.id LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [tsq, *params, limit])
            return [(int(row_id), float(score)) for row_id, score in cursor.fetchall()]

    def rank(
        self, query: ParsedQuery, filters: SearchFilters, *, limit: int
    ) -> list[tuple[int, float]]:
        return self._ranked(tsquery(query), "d.search_vector", _WEIGHTS, filters, limit)

    def suggest(self, query: ParsedQuery, *, limit: int) -> list[tuple[int, float]]:
        tsq = suggest_tsquery(query)
        if not tsq:
            return []
        # Title words only: the A-weighted part of the vector.
        return self._ranked(
            tsq, "ts_filter(d.search_vector, '{a}')", "{0, 0, 0, 1}", SearchFilters(), limit
        )

    def count(self, query: ParsedQuery, filters: SearchFilters) -> int:
        where, params = filters.where()
        sql = f"SELECT count(*) FROM {TABLE} d WHERE d.search_vector @@ to_tsquery('simple', %s) AND {where}"
        with connection.cursor() as cursor:
            cursor.execute(sql, [tsquery(query), *params])
            return int(cursor.fetchone()[0])

    def facet_rows(self, query: ParsedQuery, filters: SearchFilters) -> list[tuple]:
        where, params = filters.where()
        sql = (
            f"SELECT {FACET_COLUMNS} FROM {TABLE} d "
            f"WHERE d.search_vector @@ to_tsquery('simple', %s) AND {where}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [tsquery(query), *params])
            return cursor.fetchall()

    def term_frequencies(self) -> list[tuple[str, int]]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM {TABLE}')")
            return cursor.fetchall()
