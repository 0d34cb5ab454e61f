"""The email outbox: the only way Knowflow sends email.

A service that changes state writes an `OutboxMessage` in the same transaction as the change,
so an email exists exactly when the change committed; the delivery loop sends it later (see
`services.outbox_deliver_due`). The table was the integrations app's until the outbox became
an app of its own; the migration that moved it kept every row.
"""

from __future__ import annotations

from django.db import models

from knowflow.mail.kinds import KIND_MAX_LENGTH, kind_label, validate_kind


class OutboxMessage(models.Model):
    """One email waiting to go out, or the record that it went.

    Life cycle: pending → sending (claimed by one worker, with its claim token) → sent; or back
    to pending with a later `next_attempt_at` after a temporary failure, or after its worker
    died mid-delivery (the lease ran out); or failed after too many attempts or a permanent
    refusal (see the module docstring of `services`).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    # A dotted name owned by the app that wrote the message (`kinds`): no choices, so a new
    # kind of email needs no migration here.
    kind = models.CharField(max_length=KIND_MAX_LENGTH, validators=[validate_kind])
    recipient = models.EmailField()
    subject = models.CharField(max_length=255)
    body = models.TextField()
    # The same message as HTML (an alternative part; empty on rows written before it existed).
    # Rendered with the text when the change happens, so a restart sends what was true then.
    html = models.TextField(blank=True)
    # The iCalendar part, if any, and its iTIP method (REQUEST, CANCEL): the method is repeated
    # in the MIME Content-Type, where mail clients look for it.
    ics = models.TextField(blank=True)
    ics_method = models.CharField(max_length=16, blank=True)
    # Extra header lines of this one message, name → value (a digest's List-Unsubscribe and
    # List-Unsubscribe-Post, RFC 8058). Rendered with the message, like its text.
    headers = models.JSONField(default=dict, blank=True)
    # What makes two enqueue calls "the same email": a retried job or a second reminder scan
    # collides on this key instead of writing a second row.
    dedupe_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="mail_outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.status})"

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)
