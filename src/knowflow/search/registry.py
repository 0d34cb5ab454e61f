"""What is searchable: the kinds of document the domains registered, and how each is built.

The index knows no domain. Each domain describes its own documents in ``<app>/search.py``
and registers them from its ``AppConfig.ready``:

- ``register``: a kind (``"session"``), its label, its model (whose rows are the documents'
  objects) and ``build``, which turns object ids into ``DocumentSource`` values (leaving out
  the objects that should not be found, e.g. a cancelled session).
- ``extend``: an app built on another adds what it knows to that app's documents (the
  library marks a session that has a recording; events lists what a person taught), so the
  lower app never imports the higher one.
- ``follow``: documents of one kind change when documents of another do (a renamed topic
  changes every session tagged with it). ``index_write(..., dependents=True)`` follows these.
- ``register_synonyms``: where the names and synonyms the engine expands queries with come
  from (topics).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from django.db.models import Model


class Tag(Protocol):
    """A topic as a document carries it: its id (filters), its name and synonyms (matched)."""

    pk: int
    name: str
    synonyms: list[str]


@dataclass
class DocumentSource:
    """What a domain says about one of its objects; ``index`` analyses it into a document.

    The text is split by weight: ``title`` (and ``extra_title``), ``topics`` (names and
    synonyms, so "k8s" finds a session tagged Kubernetes), ``people``, ``body``.
    """

    kind: str
    object_id: int
    slug: str
    title: str
    body: str
    topics: Sequence[Tag] = ()
    people: list[str] = field(default_factory=list)
    group_key: str = ""
    external_id: str = ""
    format: str = ""
    language: str = ""
    circle_id: int | None = None
    date: datetime | None = None
    has_recording: bool = False
    extra_title: str = ""


Build = Callable[[list[int]], list[DocumentSource]]
Extension = Callable[[dict[int, DocumentSource]], None]
Follow = Callable[[list[int]], Iterable[int]]
SynonymSource = Callable[[], Iterable[tuple[int, str, Sequence[str]]]]


@dataclass(frozen=True)
class DocumentKind:
    kind: str
    label: str
    position: int  # where the kind is listed (type filter, facets, reindex order)
    model: type[Model]
    build: Build
    prior: float = 1.0  # the ranking's weight: things that only name other things weigh less
    # The kind this one's documents stand in for (a recording's spoken passage shows as the
    # recording, a "resource"): then it is no type to filter by, and facets count it as that
    # kind, once per group, only where nothing of its group matched itself.
    stands_for: str = ""

    @property
    def listed(self) -> bool:
        return not self.stands_for


@dataclass(frozen=True)
class Dependent:
    kind: str  # the documents that change...
    on: str  # ...when documents of this kind change...
    ids: Follow  # ...these ids of ``kind``, given the changed ids of ``on``


_kinds: dict[str, DocumentKind] = {}
# Keyed by the function too, so a second ``ready()`` (a test re-importing) adds nothing twice.
_extensions: dict[tuple[str, str], Extension] = {}
_dependents: dict[tuple[str, str, str], Dependent] = {}
_synonyms: dict[str, SynonymSource] = {}


def _name(function: Callable[..., object]) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def register(
    *,
    kind: str,
    label: str,
    position: int,
    model: type[Model],
    build: Build,
    prior: float = 1.0,
    stands_for: str = "",
) -> None:
    """Make ``kind`` searchable (see the module docstring). ``prior`` scales its ranking:
    below 1 for things that mostly name other things (people, circles, topics). ``stands_for``:
    its documents show as results of that kind (see ``DocumentKind``)."""
    _kinds[kind] = DocumentKind(
        kind=kind,
        label=label,
        position=position,
        model=model,
        build=build,
        prior=prior,
        stands_for=stands_for,
    )


def extend(*, kind: str, extension: Extension) -> None:
    """Let ``extension`` add to every ``kind`` source before it is written (by object id)."""
    _extensions[(kind, _name(extension))] = extension


def follow(*, kind: str, on: str, ids: Follow) -> None:
    """Documents of ``kind`` carry something of documents of ``on``: ``ids`` says which."""
    _dependents[(kind, on, _name(ids))] = Dependent(kind=kind, on=on, ids=ids)


def register_synonyms(source: SynonymSource) -> None:
    """``source()`` yields (topic id, name, synonyms) for every topic."""
    _synonyms[_name(source)] = source


def kinds() -> list[DocumentKind]:
    """Every registered kind, in its listed order."""
    return sorted(_kinds.values(), key=lambda k: (k.position, k.kind))


def unlisted() -> dict[str, str]:
    """The kinds whose documents stand in for another kind's results: kind → that kind."""
    return {k.kind: k.stands_for for k in _kinds.values() if k.stands_for}


def get(kind: str) -> DocumentKind:
    try:
        return _kinds[kind]
    except KeyError:
        known = ", ".join(k.kind for k in kinds())
        message = f"'{kind}' is not a kind of search document; use one of: {known}."
        raise LookupError(message) from None


def priors() -> dict[str, float]:
    return {k.kind: k.prior for k in _kinds.values() if k.prior != 1.0}


def extensions(kind: str) -> list[Extension]:
    return [extension for (k, _), extension in _extensions.items() if k == kind]


def dependents(on: str) -> list[Dependent]:
    """What follows documents of ``on``, in the listed order of the following kinds."""
    found = [d for d in _dependents.values() if d.on == on]
    position = {k.kind: k.position for k in kinds()}
    return sorted(found, key=lambda d: position.get(d.kind, len(position)))


def synonym_rows() -> list[tuple[int, str, Sequence[str]]]:
    return [row for source in _synonyms.values() for row in source()]
