"""What duplicate detection compares: sessions and stand-alone library resources as the
detector's documents, each keyed by its kind and id, and the decisions already taken."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any, cast

from django.db.models import Q, QuerySet

from knowflow.discovery import duplicates as D
from knowflow.events.models import Session
from knowflow.insights.models import DuplicateCluster
from knowflow.library.models import Resource


def session_docs(sessions: QuerySet[Session]) -> list[D.Doc[int]]:
    """Sessions as the duplicate detector sees them (title, abstract, speakers, topics), in
    three queries whatever their number."""
    rows = list(sessions.order_by("id").values_list("id", "title", "abstract"))
    speakers: dict[int, list[str]] = defaultdict(list)
    topics: dict[int, list[str]] = defaultdict(list)
    through = Session.speakers.through.objects.filter(session__in=sessions.values("id"))
    for session_id, name in through.values_list("session_id", "person__display_name"):
        speakers[session_id].append(name)
    for session_id, name in Session.topics.through.objects.filter(
        session__in=sessions.values("id")
    ).values_list("session_id", "topic__name"):
        topics[session_id].append(name)
    return [
        D.Doc(
            key=pk,
            title=title,
            description=abstract,
            speakers=tuple(speakers[pk]),
            topics=tuple(topics[pk]),
        )
        for pk, title, abstract in rows
    ]


def detectable_sessions() -> QuerySet[Session]:
    """Every session but cancelled ones: proposals count, a proposal can duplicate a talk."""
    return Session.objects.exclude(status=Session.Status.CANCELLED)


# What a cluster member is. Sessions and resources are numbered independently (session 7 and
# resource 7 are different things), so the detector's keys, the decided pairs and the stored
# pairs always carry the kind with the id.
SESSION = "session"
RESOURCE = "resource"
MemberKey = tuple[str, int]

# A note's body can be a whole article; the detector's weights were fitted on talk abstracts
# (a few hundred words). The first RESOURCE_TEXT_CHARS characters of description + body say
# what a resource teaches, and bound the cost of one huge note.
RESOURCE_TEXT_CHARS = 20_000


def detectable_resources() -> QuerySet[Resource]:
    """Stand-alone library resources: those that belong to no session. A session's recording
    or slides teach what the session teaches; they are compared through the session."""
    return Resource.objects.filter(session__isnull=True)


def resource_docs(resources: QuerySet[Resource]) -> list[D.Doc[MemberKey]]:
    """Resources as the duplicate detector sees them, keyed ``("resource", id)``, in three
    queries whatever their number.

    Mapping onto a session's fields: title → title; description, then body (a note's text)
    → abstract; authors → speakers (the people who made it, as speakers made a session);
    topics → topics. The owner is left out: an owner vouches for a resource (often whoever
    filed a link) without having written it, so two articles filed by one enabler would look
    like "the same speaker".
    """
    rows = list(resources.order_by("id").values_list("id", "title", "description", "body"))
    authors: dict[int, list[str]] = defaultdict(list)
    topics: dict[int, list[str]] = defaultdict(list)
    ids = resources.values("id")
    for resource_id, name in Resource.authors.through.objects.filter(resource__in=ids).values_list(
        "resource_id", "person__display_name"
    ):
        authors[resource_id].append(name)
    for resource_id, name in Resource.topics.through.objects.filter(resource__in=ids).values_list(
        "resource_id", "topic__name"
    ):
        topics[resource_id].append(name)
    return [
        D.Doc(
            key=(RESOURCE, pk),
            title=title,
            description="\n\n".join(t for t in (description, body) if t)[:RESOURCE_TEXT_CHARS],
            speakers=tuple(authors[pk]),
            topics=tuple(topics[pk]),
        )
        for pk, title, description, body in rows
    ]


def detection_docs() -> tuple[list[D.Doc[MemberKey]], int, int]:
    """Everything full detection compares — non-cancelled sessions, then stand-alone
    resources — keyed by ``(kind, id)``; with the number of sessions and of resources."""
    # replace() is typed as keeping the document's key type; here the key changes from id to
    # (kind, id).
    sessions: list[D.Doc[MemberKey]] = [
        replace(cast(D.Doc[Any], d), key=(SESSION, d.key))
        for d in session_docs(detectable_sessions())
    ]
    resources = resource_docs(detectable_resources())
    return [*sessions, *resources], len(sessions), len(resources)


def sessions_by_external_id(external_ids: list[str]) -> dict[str, int]:
    """Imported talks' original ids → session ids (the library keeps them on the recording)."""
    out: dict[str, int] = {}
    wanted = list(dict.fromkeys(external_ids))
    for start in range(0, len(wanted), 500):
        for external_id, session_id in Resource.objects.filter(
            source="talk", external_id__in=wanted[start : start + 500], session__isnull=False
        ).values_list("external_id", "session_id"):
            out[external_id] = session_id
    return out


def decided_members() -> dict[int, set[MemberKey]]:
    """Members of every decided cluster, by cluster, each named by its kind and id."""
    decided: dict[int, set[MemberKey]] = {}
    not_proposed = ~Q(duplicatecluster__status=DuplicateCluster.Status.PROPOSED)
    for kind, through, column in (
        (SESSION, DuplicateCluster.sessions.through, "session_id"),
        (RESOURCE, DuplicateCluster.resources.through, "resource_id"),
    ):
        for cluster_id, member_id in through.objects.filter(not_proposed).values_list(
            "duplicatecluster_id", column
        ):
            decided.setdefault(cluster_id, set()).add((kind, member_id))
    return decided
