"""Sessions as search finds them, and what a person's document says they taught.

A session's document carries its topics, speakers, format, language, circle and date (the
next one, else the last). The library adds whether it has a recording (``library.search``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import Prefetch
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.accounts.search import PERSON
from knowflow.events.models import Occurrence, Session
from knowflow.search import registry
from knowflow.search.registry import DocumentSource
from knowflow.topics.search import TOPIC

SESSION = "session"
MAX_TAUGHT = 50  # titles of what a person taught in their document


def session_date(occurrences: Sequence[Occurrence], now: datetime) -> datetime | None:
    """The next date of a session, or its last one when all are past."""
    upcoming = [o.start for o in occurrences if o.end >= now]
    if upcoming:
        return min(upcoming)
    return max((o.start for o in occurrences), default=None)


def session_sources(session_ids: list[int]) -> list[DocumentSource]:
    """Every session but the cancelled ones (a cancelled session leaves the index)."""
    now = timezone.now()
    sessions = (
        Session.objects.filter(pk__in=session_ids)
        .exclude(status=Session.Status.CANCELLED)
        .prefetch_related(
            "topics",
            Prefetch("speakers", queryset=Person.objects.only("id", "display_name")),
            Prefetch(
                "occurrences",
                queryset=Occurrence.objects.only("id", "session_id", "start", "end"),
            ),
        )
    )
    return [
        DocumentSource(
            kind=SESSION,
            object_id=session.pk,
            slug=session.slug,
            title=session.title,
            body=session.abstract,
            topics=list(session.topics.all()),
            people=[p.display_name for p in session.speakers.all()],
            group_key=f"session:{session.pk}",
            format=session.format,
            language=session.language,
            circle_id=session.circle_id,
            date=session_date(list(session.occurrences.all()), now),
        )
        for session in sessions
    ]


def add_taught(sources: dict[int, DocumentSource]) -> None:
    """People are found by the titles of what they taught, too."""
    people = (
        Person.objects.filter(pk__in=list(sources))
        .only("id")
        .prefetch_related(Prefetch("sessions_given", queryset=Session.objects.only("id", "title")))
    )
    for person in people:
        taught = [s.title for s in person.sessions_given.all()][:MAX_TAUGHT]
        sources[person.pk].body += "\n".join(taught)


def speakers_of(session_ids: list[int]) -> list[int]:
    through = Session.speakers.through.objects.filter(session_id__in=session_ids)
    return list(set(through.values_list("person_id", flat=True)))


def sessions_tagged(topic_ids: list[int]) -> list[int]:
    through = Session.topics.through.objects.filter(topic_id__in=topic_ids)
    return list(through.values_list("session_id", flat=True))


def register() -> None:
    registry.register(
        kind=SESSION, label="Session", position=0, model=Session, build=session_sources
    )
    registry.extend(kind=PERSON, extension=add_taught)
    registry.follow(kind=PERSON, on=SESSION, ids=speakers_of)
    registry.follow(kind=SESSION, on=TOPIC, ids=sessions_tagged)
