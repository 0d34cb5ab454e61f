"""Who may manage webhooks: admins only. A webhook sends people's names and emails to another
system, and its delivery log shows what was sent, so enablers do not get it."""

from __future__ import annotations

from knowflow.accounts.models import Person


def can_manage_webhooks(*, actor: Person) -> bool:
    return actor.is_admin
