"""Typo tolerance and completion over the vocabulary of indexed terms.

The index knows every term it holds and in how many documents. A query term the index does
not know ("kubernets") is replaced by the most frequent known term within edit distance 1
(2 for long words) before the query reaches the database. Candidates come from a SymSpell
index of one-character deletions, so a lookup costs a few dictionary probes instead of a scan
of the vocabulary. Prefix completion ("kube" → kubernetes) walks a sorted list of the words
people type (unstemmed), most frequent first.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

from knowflow.discovery.text import deletes, edit_distance

# Words shorter than this are never corrected: "go" and "js" are words, not typos.
MIN_CORRECTABLE = 4
# From this length a word may be two edits away from what was meant.
TWO_EDITS_FROM = 8


@dataclass
class Vocabulary:
    """Known terms with their document frequency, and words for completion."""

    frequency: dict[str, int]
    completions: list[tuple[str, int]] = field(default_factory=list)  # (word, frequency) sorted
    _deletes: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _word_deletes: dict[str, list[int]] | None = field(default=None, repr=False)
    _word_counts: dict[str, int] | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls, term_frequency: Iterable[tuple[str, int]], words: Iterable[tuple[str, int]] = ()
    ) -> Vocabulary:
        frequency = {term: count for term, count in term_frequency if term}
        index: dict[str, list[str]] = {}
        for term in frequency:
            if len(term) < MIN_CORRECTABLE - 1:
                continue
            for variant in deletes(term, 1):
                index.setdefault(variant, []).append(term)
        return cls(
            frequency=frequency,
            completions=sorted((w, c) for w, c in words if w),
            _deletes=index,
        )

    def __contains__(self, term: str) -> bool:
        return term in self.frequency

    def correct(self, term: str) -> str | None:
        """The most frequent known term close to ``term``, or None (known, short, or far)."""
        if term in self.frequency or len(term) < MIN_CORRECTABLE or term.isdigit():
            return None
        limit = 2 if len(term) >= TWO_EDITS_FROM else 1
        candidates: set[str] = set()
        for variant in deletes(term, limit):
            candidates.update(self._deletes.get(variant, ()))
        best: tuple[int, int, str] | None = None
        for candidate in candidates:
            distance = edit_distance(term, candidate, limit)
            if distance > limit:
                continue
            key = (distance, -self.frequency[candidate], candidate)
            if best is None or key < best:
                best = key
        return best[2] if best else None

    def word_count(self, word: str) -> int:
        """How many documents hold ``word`` as typed (in a title: the completion list)."""
        if self._word_counts is None:
            self._word_counts = dict(self.completions)
        return self._word_counts.get(word, 0)

    def correct_word(self, word: str, *, known_too: bool = False) -> str | None:
        """The word people write that is closest to ``word`` (an unknown word as typed, not a
        stem: "begginers" is two edits from "beginners" but three from its stem), the most
        frequent among the closest; None when ``word`` is known, short or far from all.
        ``known_too``: the closest *other* word even when ``word`` is known."""
        if len(word) < MIN_CORRECTABLE or word.isdigit():
            return None
        if self._word_deletes is None:  # built on first use: most searches need none
            index: dict[str, list[int]] = {}
            for position, (known, _) in enumerate(self.completions):
                if len(known) >= MIN_CORRECTABLE - 1:
                    for variant in deletes(known, 1):
                        index.setdefault(variant, []).append(position)
            self._word_deletes = index
        limit = 2 if len(word) >= TWO_EDITS_FROM else 1
        best: tuple[int, int, str] | None = None
        for variant in deletes(word, limit):
            for position in self._word_deletes.get(variant, ()):
                known, count = self.completions[position]
                if known == word:
                    if known_too:
                        continue
                    return None
                distance = edit_distance(word, known, limit)
                if distance > limit:
                    continue
                key = (distance, -count, known)
                if best is None or key < best:
                    best = key
        return best[2] if best else None

    def spelled(self, term: str) -> str:
        """A word people write for ``term`` (a stem): the most frequent word it starts."""
        start = bisect.bisect_left(self.completions, (term, -1))
        best = (0, term)
        for word, count in self.completions[start:]:
            if not word.startswith(term):
                break
            if len(word) <= len(term) + 4 and count > best[0]:
                best = (count, word)
        return best[1]

    def has_prefix(self, prefix: str) -> bool:
        """Whether some known word starts with ``prefix`` (and is longer than it)."""
        start = bisect.bisect_left(self.completions, (prefix, -1))
        return any(
            word.startswith(prefix) and word != prefix
            for word, _ in self.completions[start : start + 2]
        )

    def complete(self, prefix: str, *, limit: int = 8) -> list[str]:
        """Known words starting with ``prefix``, most frequent first."""
        if not prefix:
            return []
        start = bisect.bisect_left(self.completions, (prefix, -1))
        found: list[tuple[str, int]] = []
        for word, count in self.completions[start:]:
            if not word.startswith(prefix):
                break
            found.append((word, count))
        found.sort(key=lambda item: (-item[1], item[0]))
        return [word for word, _ in found[:limit]]
