"""Who may see conferences and who may run them (used by the pages, the exports and the admin's
services alike)."""

from __future__ import annotations

from knowflow.accounts.models import Person


def can_see_conferences(*, actor: Person | None) -> bool:
    """Every active member reads every conference's published programme: it is an internal
    event, open to the whole organisation."""
    return actor is not None and actor.is_active


def can_manage_conferences(*, actor: Person) -> bool:
    """Create conferences and tracks, put sessions into them, publish a release."""
    return actor.is_active and actor.is_enabler


def can_read_report(*, actor: Person) -> bool:
    """A conference's follow-up report: enablers (and admins) and leaders, as the feedback
    programme view and insights. Per talk it shows what the programme view shows them
    (aggregates of talks with enough responses); only enablers reach a talk's own results."""
    return actor.is_active and (actor.is_enabler or actor.is_leader)


def can_collect_recordings(*, actor: Person) -> bool:
    """Put a conference's recordings in a library collection: those who run conferences."""
    return can_manage_conferences(actor=actor)
