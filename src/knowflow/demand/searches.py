"""Searches that show unmet demand: those that found nothing, and weak ones.

A search is **weak** when it found results only through generic words: every word of the query
that the index holds is *generic*, and at least one word is not in the index at all (nor
within a spelling correction of a word it holds). "terraform for data engineers" in a library
without Terraform finds the many documents about data and engineers — results, but not what was
asked. A word is *generic* when it occurs in more than ``GENERIC_SHARE`` of the index's
documents (its document frequency, read from the search index's own vocabulary); under
``MIN_DOCUMENTS`` documents no share is meaningful and no word counts as generic. A query made
only of generic words ("data engineering") is not weak: the person asked for something broad
and got it.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowflow.discovery.query import ParsedQuery
from knowflow.discovery.text import terms, words
from knowflow.search.base import SearchFilters
from knowflow.search.engine import backend, knowledge

GENERIC_SHARE = 0.05  # the search engine's own "common term" share (engine.COMMON_TERM_SHARE)
MIN_DOCUMENTS = 40


@dataclass(frozen=True)
class QueryStrength:
    weak: bool
    missing: tuple[str, ...]  # the words the index does not hold
    generic: tuple[str, ...]  # the words that matched, all generic


def query_strength(text: str) -> QueryStrength:
    """Whether ``text``'s results match only on generic words (see the module docstring)."""
    know = knowledge()
    vocabulary = know.vocabulary
    documents = know.documents
    missing: list[str] = []
    generic: list[str] = []
    specific_found = False
    for word in dict.fromkeys(words(text)):
        term_list = terms(word)
        if not term_list:
            continue  # a stop word
        term = term_list[0]
        frequency = vocabulary.frequency.get(term)
        if frequency is None:
            # The cached vocabulary leaves out terms seen once (they are never corrections):
            # ask the index, then try the correction the search itself would make.
            frequency = backend().count(ParsedQuery(text=word, terms=(term,)), SearchFilters())
            corrected = vocabulary.correct(term) if not frequency else None
            if corrected:
                term, frequency = corrected, vocabulary.frequency[corrected]
        if not frequency:
            missing.append(word)
            continue
        share = frequency / documents if documents else 0.0
        if documents >= MIN_DOCUMENTS and share > GENERIC_SHARE:
            generic.append(word)
        else:
            specific_found = True
    weak = bool(missing) and bool(generic) and not specific_found
    return QueryStrength(weak=weak, missing=tuple(missing), generic=tuple(generic))


def suggests_request(*, text: str, result_count: int) -> bool:
    """Whether the search page offers "Suggest a topic request" for this search."""
    if not text.strip():
        return False
    return result_count == 0 or query_strength(text).weak
