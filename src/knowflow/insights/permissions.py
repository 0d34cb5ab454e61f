"""Who may see insights and act on them (used by pages and the API alike).

The issue says "enablers and leaders". Knowflow has no leader role (accounts has admin,
enabler, member), and adding one is an accounts decision; until then leaders are given the
enabler or admin role, which ``Person.is_enabler`` covers. Figures here are aggregates over the
whole organisation, so members see none of them: a member could otherwise read a team's
attendance or an expert's reach.
"""

from __future__ import annotations

from knowflow.accounts.models import Person


def can_view_insights(*, actor: Person) -> bool:
    """The dashboard, duplicates, expertise, network and ROI studies (read)."""
    return actor.is_enabler


def can_decide_duplicates(*, actor: Person) -> bool:
    return actor.is_enabler


def can_manage_roi(*, actor: Person) -> bool:
    """Create and edit ROI studies and loaded hourly costs."""
    return actor.is_enabler


def can_see_already_taught(*, actor: Person) -> bool:
    """Anyone proposing a session sees what was already taught on its subject: titles,
    speakers and recordings are public inside the organisation anyway."""
    return True
