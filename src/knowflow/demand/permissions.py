"""Who may do what with topic requests (used by the pages and the API alike)."""

from __future__ import annotations

from knowflow.accounts.models import Person
from knowflow.demand.models import TopicRequest
from knowflow.events.permissions import can_propose_session


def can_ask(*, actor: Person) -> bool:
    return actor.is_active  # anyone signed in asks for a topic


def can_vote(*, actor: Person, request: TopicRequest) -> bool:
    """Anyone but the requester (who asked: their voice is counted already)."""
    return actor.is_active and actor.pk != request.requester_id


def can_merge(*, actor: Person, request: TopicRequest) -> bool:
    """Enablers merge any duplicate; a requester merges their own request into another."""
    return actor.is_enabler or actor.pk == request.requester_id


def can_propose_from(*, actor: Person, request: TopicRequest) -> bool:
    """Whoever may propose a session may answer a request with one (they will be its speaker)."""
    return can_propose_session(actor=actor)


def can_see_demand(*, actor: Person) -> bool:
    """The demand list (requests by votes and the searches that found nothing) is for enablers:
    it reads the search log, which is theirs to act on."""
    return actor.is_enabler
