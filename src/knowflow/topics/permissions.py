"""Who may change the topic taxonomy."""

from __future__ import annotations

from knowflow.accounts.models import Person


def can_manage_topics(*, actor: Person) -> bool:
    return actor.is_enabler
