"""Who may read and change feedback (used by the pages and the API alike).

Results of a session are for the people who can act on them: its speakers and the enablers.
A circle champion runs the circle, not the session, and does not read its feedback; nor does
anyone else. Leaders oversee the programme: they read its aggregates (the programme and
evidence views, which sum only cells that the sessions' own pages would show), never one
session's page, whose comments and retrospective are for the people who give and run it.
Nobody, whatever their role, may learn who answered an anonymous survey: that is not a
permission, it is enforced by the data model (see `models`).
"""

from __future__ import annotations

from knowflow.accounts.models import Person
from knowflow.events.models import Session
from knowflow.feedback.models import RetrospectiveAction, SurveyRequest


def is_speaker(*, person: Person, session: Session) -> bool:
    # .all() so that a prefetched speaker list answers without a query.
    return any(speaker.pk == person.pk for speaker in session.speakers.all())


def can_view_session_results(*, actor: Person, session: Session) -> bool:
    return actor.is_enabler or is_speaker(person=actor, session=session)


def can_edit_retrospective(*, actor: Person, session: Session) -> bool:
    return can_view_session_results(actor=actor, session=session)


def can_set_action_done(*, actor: Person, action: RetrospectiveAction, session: Session) -> bool:
    """An action's owner may close it even if they do not speak at the session: owning it is
    the reason they were named."""
    return action.owner_id == actor.pk or can_edit_retrospective(actor=actor, session=session)


def can_view_open_actions(*, actor: Person) -> bool:
    """Every open action across the programme: enablers, who chase them. Leaders read the
    programme's aggregates only, and an action is a line of one session's retrospective,
    which stays with its speakers and enablers; owners see their own on the home page."""
    return actor.is_enabler


def can_view_programme(*, actor: Person) -> bool:
    """The programme and evidence views (pages and API): enablers, admins and leaders."""
    return actor.is_enabler or actor.is_leader


def can_manage_templates(*, actor: Person) -> bool:
    return actor.is_enabler


def can_create_request(*, actor: Person) -> bool:
    """Requests are made by the scheduler; enablers may ask someone by hand (e.g. a late
    attendance record)."""
    return actor.is_enabler


def can_answer_request(*, actor: Person, request: SurveyRequest) -> bool:
    """In the app, only the person asked may open their request (the link works alone)."""
    return actor.pk == request.person_id
