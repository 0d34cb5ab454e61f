"""Who may manage SCIM provisioning (its tokens): admins only, on the page and anywhere else."""

from __future__ import annotations

from knowflow.accounts.models import Person


def can_manage_scim(*, actor: Person) -> bool:
    return actor.is_admin
