"""The emails feedback sends, handed to the outbox in the caller's transaction."""

from __future__ import annotations


def outbox_enqueue_feedback_email(
    *, recipient: str, subject: str, body: str, dedupe_key: str
) -> None:
    """The one call into the email outbox (knowflow.integrations), in the caller's transaction."""
    from knowflow.integrations.models import OutboxMessage
    from knowflow.integrations.services import outbox_enqueue_email

    outbox_enqueue_email(
        kind=OutboxMessage.Kind.SURVEY,
        recipient=recipient,
        subject=subject,
        body=body,
        dedupe_key=dedupe_key,
    )
