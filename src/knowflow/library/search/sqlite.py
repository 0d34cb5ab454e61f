"""SQLite FTS5: an external-content FTS5 table over ``SearchDocument``, kept in step by triggers.

Ranking is FTS5's BM25 with one weight per column (title, topics, people, body). The match
expression is written from analysed terms only, each one double-quoted, so no FTS5 syntax a
user typed (``NEAR``, ``*``, ``-``, ``"``, parentheses) can reach the parser.
"""

from __future__ import annotations

from django.db import connection

from knowflow.discovery.query import ParsedQuery
from knowflow.discovery.text import stem
from knowflow.library.search.base import (
    CANDIDATE_COLUMNS,
    FACET_COLUMNS,
    TABLE,
    WEIGHT_BODY,
    WEIGHT_PEOPLE,
    WEIGHT_TITLE,
    WEIGHT_TOPICS,
    Candidate,
    SearchBackend,
    SearchFilters,
)

FTS = "library_search_fts"
VOCAB = "library_search_vocab"

# Created by the library's migration (and only on SQLite). The triggers make every write to
# the document table, in whatever transaction, a write to the index too.
CREATE_SQL = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5(
        title_terms, topic_terms, people_terms, body_terms,
        content='{TABLE}', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3')""",
    f"""CREATE TRIGGER IF NOT EXISTS library_search_ai AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO {FTS}(rowid, title_terms, topic_terms, people_terms, body_terms)
        VALUES (new.id, new.title_terms, new.topic_terms, new.people_terms, new.body_terms);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS library_search_ad AFTER DELETE ON {TABLE} BEGIN
        INSERT INTO {FTS}({FTS}, rowid, title_terms, topic_terms, people_terms, body_terms)
        VALUES ('delete', old.id, old.title_terms, old.topic_terms, old.people_terms, old.body_terms);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS library_search_au AFTER UPDATE ON {TABLE} BEGIN
        INSERT INTO {FTS}({FTS}, rowid, title_terms, topic_terms, people_terms, body_terms)
        VALUES ('delete', old.id, old.title_terms, old.topic_terms, old.people_terms, old.body_terms);
        INSERT INTO {FTS}(rowid, title_terms, topic_terms, people_terms, body_terms)
        VALUES (new.id, new.title_terms, new.topic_terms, new.people_terms, new.body_terms);
    END""",
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {VOCAB} USING fts5vocab({FTS}, 'row')",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
]
DROP_SQL = [
    "DROP TRIGGER IF EXISTS library_search_ai",
    "DROP TRIGGER IF EXISTS library_search_ad",
    "DROP TRIGGER IF EXISTS library_search_au",
    f"DROP TABLE IF EXISTS {VOCAB}",
    f"DROP TABLE IF EXISTS {FTS}",
]

_BM25 = f"bm25({FTS}, {WEIGHT_TITLE}, {WEIGHT_TOPICS}, {WEIGHT_PEOPLE}, {WEIGHT_BODY})"


def match_expression(query: ParsedQuery) -> str:
    """An FTS5 expression: any of the terms, synonym phrases, or the prefix being typed."""
    parts = [f'"{term}"' for term in query.terms]
    parts += [f'"{" ".join(run)}"' for run in query.phrases]
    if query.prefix:
        parts.append(f'"{query.prefix}"*')
        stemmed = stem(query.prefix)
        if stemmed != query.prefix:
            parts.append(f'"{stemmed}"*')
    return " OR ".join(dict.fromkeys(parts))


class SqliteBackend(SearchBackend):
    vendor = "sqlite"

    def candidates(
        self, query: ParsedQuery, filters: SearchFilters, *, limit: int
    ) -> list[Candidate]:
        where, params = filters.where()
        sql = (
            f"SELECT {CANDIDATE_COLUMNS}, -{_BM25} FROM {FTS} JOIN {TABLE} d ON d.id = {FTS}.rowid "
            f"WHERE {FTS} MATCH %s AND {where} ORDER BY {_BM25} LIMIT %s"
        )
        return self._fetch(sql, [match_expression(query), *params, limit])

    def facet_rows(self, query: ParsedQuery, filters: SearchFilters) -> list[tuple]:
        where, params = filters.where()
        sql = (
            f"SELECT {FACET_COLUMNS} FROM {FTS} JOIN {TABLE} d ON d.id = {FTS}.rowid "
            f"WHERE {FTS} MATCH %s AND {where}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [match_expression(query), *params])
            return cursor.fetchall()

    def term_frequencies(self) -> list[tuple[str, int]]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT term, doc FROM {VOCAB}")
            return cursor.fetchall()
