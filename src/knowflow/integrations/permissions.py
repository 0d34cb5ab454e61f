"""Who may read the integrations' records (used by the pages)."""

from __future__ import annotations

from knowflow.accounts.models import Person


def can_read_debug_outbox(*, actor: Person) -> bool:
    """The debug mailbox shows every queued email, personal survey links included: enablers
    and admins running a demo or a development copy, never anyone in production (the view
    also answers 404 unless DEBUG is on)."""
    return actor.is_enabler
