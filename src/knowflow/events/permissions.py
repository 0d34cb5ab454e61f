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


def is_open_proposal_of(*, actor: Person, session: Session) -> bool:
    """Whether ``actor`` proposed ``session`` and it is still only proposed.

    A proposer edits what their proposal says (title, abstract, speakers, topics, circle)
    until it is scheduled; from then on the speakers, the circle's champions and the
    enablers own it, because people have registered for what it says. A proposer who is
    not a speaker never schedules it nor changes its status: enablers decide that.
    """
    return session.proposed_by_id == actor.pk and session.status == Session.Status.PROPOSED


def can_edit_session_details(*, actor: Person, session: Session) -> bool:
    """Editing what a session says: its editors (``can_edit_session``) and its proposer
    while it is only proposed (``is_open_proposal_of``)."""
    return is_open_proposal_of(actor=actor, session=session) or can_edit_session(
        actor=actor, session=session
    )


def can_manage_rooms(*, actor: Person) -> bool:
    return actor.is_enabler


def can_register_someone_else(*, actor: Person) -> bool:
    return actor.is_enabler


def can_see_availability_of(*, actor: Person, person_id: int) -> bool:
    """Whether find a time may name this person and say why they cannot come.

    Busy times and days off are private: enablers (who plan for everyone) and the person
    themselves see names and reasons; every other member sees only how many people are early,
    late, busy or off.
    """
    return actor.is_enabler or actor.pk == person_id
