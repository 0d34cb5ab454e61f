"""Reads of the outbox (the debug mailbox)."""

from __future__ import annotations

from knowflow.errors import NotFound
from knowflow.mail.models import OutboxMessage


def outbox_recent(*, limit: int = 200) -> list[OutboxMessage]:
    """The newest emails of the outbox, whatever their state (the debug mailbox)."""
    return list(OutboxMessage.objects.order_by("-created_at", "-id")[:limit])


def outbox_message(*, message_id: int) -> OutboxMessage:
    message = OutboxMessage.objects.filter(pk=message_id).first()
    if message is None:
        raise NotFound("There is no such email.")
    return message


def outbox_dedupe_keys_taken(*, dedupe_keys: list[str]) -> set[str]:
    """Which of these dedupe keys have a message already (written earlier, in any state): a
    writer that scans for due messages skips rendering those."""
    return set(
        OutboxMessage.objects.filter(dedupe_key__in=dedupe_keys).values_list(
            "dedupe_key", flat=True
        )
    )
