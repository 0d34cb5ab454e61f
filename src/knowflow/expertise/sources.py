"""The evidence-source registry: apps above expertise add their own kind of evidence.

Expertise reads sessions, resources, circles and its own confirmations itself. An app built
later (topic requests: ``knowflow.demand``) must not be imported from here, so it registers a
function from its ``AppConfig.ready``::

    from knowflow.expertise import sources

    def requests_answered(query: sources.SourceQuery) -> Iterable[Evidence]:
        ...  # Evidence(person_id=…, kind=REQUEST, item=f"request:{pk}", when=…, about=…)

    sources.register(requests_answered)

The function receives what was asked (``SourceQuery``: the matched topic ids and names, the
free text, the parsed terms, now) and returns ``knowflow.discovery.expertise.Evidence``
items: ``kind`` one of its kinds (``REQUEST`` for a request answered), ``item`` a key unique
within that kind, ``relevance`` 0..1, ``when`` a date. Hidden topics and opted-out people are
removed after the sources run, so a source need not know about them; a source should tag
each item's topics in ``SourceEvidence.topic_ids`` so a hidden topic drops it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from knowflow.discovery.expertise import Evidence


@dataclass(frozen=True)
class SourceQuery:
    text: str  # what was asked, as typed (or the picked topic's name)
    terms: tuple[str, ...]  # the search engine's analysed terms of it
    topic_ids: frozenset[int]  # topics the question names (the picked topic and sub-topics)
    topic_names: dict[int, str]
    now: datetime


@dataclass(frozen=True)
class SourceEvidence:
    evidence: Evidence
    topic_ids: frozenset[int] = frozenset()


EvidenceSource = Callable[[SourceQuery], Iterable[SourceEvidence]]
_sources: list[EvidenceSource] = []


def register(source: EvidenceSource) -> EvidenceSource:
    """Add ``source`` (once, however often an app's ``ready`` runs); returns it (a decorator)."""
    if source not in _sources:
        _sources.append(source)
    return source


def unregister(source: EvidenceSource) -> None:
    if source in _sources:
        _sources.remove(source)


def registered() -> tuple[EvidenceSource, ...]:
    return tuple(_sources)
