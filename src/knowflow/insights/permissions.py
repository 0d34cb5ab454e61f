"""Who may see insights and act on them (used by pages and the API alike).

The issue says "enablers and leaders": leaders (``Person.Role.LEADER``) fund or oversee the
programme and read its results, enablers and admins run it. So reading is for all three, and
everything that changes what the figures say (deciding duplicates, ROI studies and their
inputs, hourly costs) stays with enablers and admins. Figures here are aggregates over the
whole organisation, so members see none of them: a member could otherwise read a team's
attendance or an expert's reach.
"""

from __future__ import annotations

from knowflow.accounts.models import Person
from knowflow.errors import Forbidden
from knowflow.events.models import Session
from knowflow.events.permissions import can_edit_session


def can_view_insights(*, actor: Person) -> bool:
    """The dashboard, duplicates, expertise, network and ROI studies (read)."""
    return actor.is_enabler or actor.is_leader


def check_view_insights(*, actor: Person) -> None:
    """Refuse (``Forbidden``) anyone who may not read insights; every insights read starts
    with it."""
    if not can_view_insights(actor=actor):
        raise Forbidden("Insights are for enablers and leaders.")


def can_decide_duplicates(*, actor: Person) -> bool:
    """Not leaders: a "merged" decision adds a benefit to the ROI studies they read."""
    return actor.is_enabler


def can_manage_roi(*, actor: Person) -> bool:
    """Create and edit ROI studies and loaded hourly costs. Not leaders: a study is made by
    those who run the programme for those who fund it, who read it."""
    return actor.is_enabler


def can_see_already_taught(*, actor: Person) -> bool:
    """Anyone proposing a session sees what was already taught on its subject: titles,
    speakers and recordings are public inside the organisation anyway."""
    return True


def can_run_again(*, actor: Person, session: Session) -> bool:
    """ "Run this again" (a new proposal from a well-received session, or a repeat in another
    region's hours): the people who may schedule the session — enablers, its speakers, its
    circle's champions (``events.permissions.can_edit_session``). Not leaders as such: they
    read the programme, they do not run it."""
    return can_edit_session(actor=actor, session=session)
