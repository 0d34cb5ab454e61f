"""Who may read the outbox's records (used by the debug mailbox's pages)."""

from __future__ import annotations

from typing import Protocol


class Viewer(Protocol):
    # The mail app knows no domain: a viewer is anything that says whether it is an enabler
    # (accounts' Person does).
    @property
    def is_enabler(self) -> bool: ...


def can_read_debug_outbox(*, actor: Viewer) -> bool:
    """The debug mailbox shows every queued email, personal survey links included: enablers
    and admins running a demo or a development copy, never anyone in production (the view
    also answers 404 unless DEBUG is on)."""
    return actor.is_enabler
