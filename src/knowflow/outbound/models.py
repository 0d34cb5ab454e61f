"""The outbound queue: one row per HTTP POST to another system."""

from __future__ import annotations

from django.db import models


class OutboundPost(models.Model):
    """A JSON body to POST to an endpoint, and what became of it.

    `endpoint` names the receiver as "<prefix>:<id>" ("webhook:12", "chat:3", "xapi:lrs"); the
    app owning the prefix turns it into a URL and headers at send time, so no secret (a signing
    key, a webhook URL, credentials) is ever stored here. The rows of one endpoint are its
    delivery log.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        # The endpoint was removed or turned off before the post left: nothing was sent.
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=80)
    endpoint = models.CharField(max_length=80)
    body = models.TextField()
    dedupe_key = models.CharField(max_length=200, unique=True)
    # Never posted again after an attempt whose outcome is unknown (a chat message: a copy in a
    # channel is worse than a missing one). Otherwise at least once.
    at_most_once = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbound_due"),
            models.Index(fields=["endpoint", "-created_at"], name="outbound_endpoint_log"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.endpoint} ({self.status})"
