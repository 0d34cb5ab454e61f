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
