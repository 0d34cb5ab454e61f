"""Who may do what with people and their profiles (used by pages and the API alike)."""

from __future__ import annotations

from knowflow.accounts.models import Person


def can_edit_profile(*, actor: Person, person: Person) -> bool:
    return actor.pk == person.pk or actor.is_admin


def can_change_role(*, actor: Person) -> bool:
    return actor.is_admin


def can_import_people(*, actor: Person) -> bool:
    """Importing a people file creates, changes and deactivates anyone: an admin's job."""
    return actor.is_admin
