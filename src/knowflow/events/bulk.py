"""Sessions and their dates written in bulk, for imports of finished sessions (a talk archive).

The services (``events.services``) write one session at a time, with permission checks,
locks and email. An archive of tens of thousands of talks that already took place needs
none of that and cannot afford a query per row: these functions write many rows in a few
statements. They keep what the events app promises its followers: a date deleted here is
announced with ``occurrences_removed`` (feedback rebuilds those sessions' tallies). The
caller holds the transaction and refreshes the search index.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from knowflow.events.models import Occurrence, Session
from knowflow.events.signals import occurrences_removed

BATCH = 500


def sessions_bulk_create(*, sessions: Sequence[Mapping[str, Any]]) -> list[Session]:
    """Insert one session per mapping of field values (each with a slug no session has).

    Returns the sessions, with their ids, in the order given.
    """
    created = [Session(**fields) for fields in sessions]
    Session.objects.bulk_create(created, batch_size=BATCH)
    return created


def sessions_bulk_update(
    *, sessions: Mapping[int, Mapping[str, Any]], fields: Sequence[str]
) -> None:
    """Set ``fields`` of the sessions with the ids given to the values given, in one statement."""
    Session.objects.bulk_update(
        [Session(pk=pk, **values) for pk, values in sessions.items()], list(fields)
    )


def session_people_and_topics_replace(
    *,
    session_ids: Sequence[int],
    speakers: Iterable[tuple[int, int]],
    topics: Iterable[tuple[int, int]],
) -> None:
    """Make ``speakers`` and ``topics`` ((session id, person or topic id) pairs) the only
    speakers and topics of the sessions ``session_ids``."""
    speaker_link, topic_link = Session.speakers.through, Session.topics.through
    speaker_link.objects.filter(session_id__in=session_ids).delete()
    topic_link.objects.filter(session_id__in=session_ids).delete()
    speaker_link.objects.bulk_create(
        [speaker_link(session_id=s, person_id=p) for s, p in speakers], batch_size=BATCH
    )
    topic_link.objects.bulk_create(
        [topic_link(session_id=s, topic_id=t) for s, t in topics], batch_size=BATCH
    )


def occurrences_replace(
    *, session_ids: Sequence[int], occurrences: Sequence[Mapping[str, Any]]
) -> list[Occurrence]:
    """Delete every date of the sessions ``session_ids`` (announced with
    ``occurrences_removed``), then insert one date per mapping of field values.

    Returns the new dates, with their ids, in the order given.
    """
    Occurrence.objects.filter(session_id__in=session_ids).delete()
    occurrences_removed.send(sender=Occurrence, session_ids=list(session_ids))
    created = [Occurrence(**fields) for fields in occurrences]
    Occurrence.objects.bulk_create(created, batch_size=BATCH)
    return created
