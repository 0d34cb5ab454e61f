"""The emails the feedback app writes: survey requests and their reminders.

They go through the mail app's outbox (`knowflow.mail.services.outbox_enqueue`), in the
caller's transaction, so an email exists exactly when the request's step committed.
"""

from __future__ import annotations

from knowflow.mail.kinds import outbox_kind
from knowflow.mail.services import outbox_enqueue

# The kind of email this app writes (`knowflow.mail.kinds`), with the words people read.
SURVEY = outbox_kind("feedback.survey", "Survey request")


def outbox_enqueue_feedback_email(
    *, recipient: str, subject: str, body: str, dedupe_key: str
) -> None:
    """The one call into the email outbox (knowflow.mail), in the caller's transaction."""
    outbox_enqueue(
        kind=SURVEY,
        recipient=recipient,
        subject=subject,
        body=body,
        dedupe_key=dedupe_key,
    )
