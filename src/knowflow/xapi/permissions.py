"""Who may see the learning record store's delivery log: admins, who configure it."""

from __future__ import annotations

from knowflow.accounts.models import Person


def can_see_lrs_log(*, actor: Person) -> bool:
    return actor.is_admin
