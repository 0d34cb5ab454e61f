"""Who may do what with sessions, occurrences, rooms and registrations.

Decided here once, and used by the pages and the API alike.
"""

from __future__ import annotations

from knowflow.accounts.models import Person
from knowflow.circles.permissions import is_champion
from knowflow.events.models import Session


def can_propose_session(*, actor: Person) -> bool:
    return True  # every member may propose; enablers decide what gets scheduled


def can_edit_session(*, actor: Person, session: Session) -> bool:
    """Enablers and admins edit every session; speakers their own; champions their circle's."""
    if actor.is_enabler:
        return True
    if session.pk and session.speakers.filter(pk=actor.pk).exists():
        return True
    return session.circle_id is not None and is_champion(person=actor, circle=session.circle)


def can_manage_rooms(*, actor: Person) -> bool:
    return actor.is_enabler


def can_register_someone_else(*, actor: Person) -> bool:
    return actor.is_enabler
