"""Who may do what with expertise: one place for pages, API and command line."""

from __future__ import annotations

from knowflow.accounts.models import Person


def can_find_experts(*, actor: Person | None) -> bool:
    """Anyone signed in: finding who to ask is the point."""
    return actor is not None and actor.is_active


def can_confirm_skill(*, actor: Person, person: Person) -> bool:
    """A colleague, never the person themselves."""
    return actor.is_active and actor.pk != person.pk and person.is_active


def can_correct_expertise(*, actor: Person, person: Person) -> bool:
    """The person themselves (an admin too, for someone who asks for help)."""
    return actor.pk == person.pk or actor.is_admin
