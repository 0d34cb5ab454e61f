"""Parsing what someone typed into a search box into terms a backend can match safely.

Nothing the user types reaches the database as syntax: the query is cut into words by the
same analyser as the index (so quotes, ``*``, ``NEAR``, ``-``, ``AND`` and parentheses are
just characters that separate words), capped in length, corrected against the vocabulary and
expanded with topic synonyms. Each backend then writes its own expression from these plain
alphanumeric terms, quoting every one of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from knowflow.discovery.spelling import Vocabulary
from knowflow.discovery.text import STOPWORDS, stem, words

MAX_QUERY_CHARS = 1000  # what is read of a query; a 10,000-character paste is cut here
MAX_TERMS = 32
MIN_PREFIX = 2


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # what was typed (cut to MAX_QUERY_CHARS)
    terms: tuple[str, ...]  # stemmed, distinct, stop words dropped
    prefix: str = ""  # the last word being typed, folded and unstemmed ("kube")
    phrases: tuple[tuple[str, ...], ...] = ()  # synonym phrases, each a run of terms
    corrections: dict[str, str] = field(default_factory=dict)  # typed word → corrected term
    require_all: bool = False  # match documents holding every term (else any term)

    @property
    def is_empty(self) -> bool:
        return not self.terms and not self.prefix and not self.phrases

    @property
    def phrase_key(self) -> tuple[str, ...]:
        return self.terms


@dataclass
class SynonymMap:
    """Topic names and their synonyms as runs of terms: any of a group finds the others."""

    groups: dict[tuple[str, ...], list[tuple[str, ...]]] = field(default_factory=dict)
    longest: int = 1

    @classmethod
    def build(cls, topics: Iterable[Iterable[str]]) -> SynonymMap:
        """``topics`` is one iterable of names per topic: its name followed by its synonyms."""
        groups: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        longest = 1
        for names in topics:
            variants = []
            for name in names:
                run = tuple(stem(w) for w in words(name) if w not in STOPWORDS)
                if run and run not in variants:
                    variants.append(run)
            if len(variants) < 2:
                continue
            for run in variants:
                longest = max(longest, len(run))
                merged = groups.setdefault(run, [])
                merged.extend(v for v in variants if v != run and v not in merged)
        return cls(groups=groups, longest=min(longest, 6))

    def expand(self, terms: tuple[str, ...]) -> list[tuple[str, ...]]:
        """Synonym runs for the topic names found in ``terms``: the whole query, or a run of
        two words or more inside it. A single word inside a longer query is left alone: in
        "python workshop", "workshop" is not asking for everything a taxonomy calls a
        synonym of it (the topic field of the index carries synonyms for tagged documents)."""
        found: list[tuple[str, ...]] = []
        smallest = 1 if len(terms) == 1 else 2
        for alternative in self.groups.get(terms, ()) if len(terms) > 1 else ():
            found.append(alternative)
        for size in range(min(self.longest, len(terms)), smallest - 1, -1):
            for i in range(len(terms) - size + 1):
                for alternative in self.groups.get(terms[i : i + size], ()):
                    if alternative not in found:
                        found.append(alternative)
        return found


def parse_query(
    raw: str,
    *,
    vocabulary: Vocabulary | None = None,
    synonyms: SynonymMap | None = None,
    prefix: bool = True,
) -> ParsedQuery:
    """Parse ``raw`` into terms; ``prefix`` treats the last word as still being typed."""
    # Only stems and whole words reach a backend: see the module docstring.
    text = (raw or "")[:MAX_QUERY_CHARS]
    typed = words(text)
    content = [w for w in typed if w not in STOPWORDS] or typed  # "the who" still searches
    terms: list[str] = []
    corrections: dict[str, str] = {}
    # The last word may be a prefix of what is meant: always while someone is typing
    # (``prefix``), otherwise only when it is no known word but starts some ("kube").
    last_word = typed[-1] if typed and len(typed[-1]) >= MIN_PREFIX else ""
    if prefix:
        typing = "" if text[-1:].isspace() else last_word
    elif vocabulary is not None and last_word and stem(last_word) not in vocabulary:
        typing = last_word if vocabulary.has_prefix(last_word) else ""
    else:
        typing = ""
    for word in content:
        term = stem(word)
        # A word still being typed is a prefix of something, not a typo: leave it alone.
        being_typed = word == typing and vocabulary is not None and vocabulary.has_prefix(word)
        if vocabulary is not None and term not in vocabulary and not being_typed:
            better = vocabulary.correct(term) or vocabulary.correct(word)
            if better:
                corrections[word] = better
                term = better
        if term not in terms:
            terms.append(term)
        if len(terms) >= MAX_TERMS:
            break
    last = "" if typing in corrections else typing  # a corrected word was a typo, not a prefix
    phrases = tuple(synonyms.expand(tuple(terms))) if synonyms else ()
    return ParsedQuery(
        text=text,
        terms=tuple(terms),
        prefix=last,
        phrases=phrases[:MAX_TERMS],
        corrections=corrections,
    )
