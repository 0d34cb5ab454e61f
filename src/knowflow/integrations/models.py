"""What crosses the organisation's boundary: calendar feed secrets and the email outbox.

The outbox is the only way Knowflow sends email. A service that changes state writes an
`OutboxMessage` in the same transaction as the change, so an email exists exactly when the
change committed; the delivery loop sends it later (see `services.outbox_deliver_due`).
"""

from __future__ import annotations

from django.db import models


class CalendarFeedToken(models.Model):
    """The secret that makes a person's calendar feed URLs (one per person).

    Calendar applications subscribe without cookies, so the URL itself is the credential. It
    is stored as is, not hashed, because the profile page has to show it again whenever the
    person wants to add it to another calendar (as calendar providers do with their "secret
    address"); 256 random bits make guessing hopeless. Regenerating replaces the secret, which
    revokes every URL built from the old one.
    """

    person = models.OneToOneField(
        "accounts.Person", on_delete=models.CASCADE, related_name="calendar_feed_token"
    )
    secret = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"calendar feed of {self.person}"


class OutboxMessage(models.Model):
    """One email waiting to go out, or the record that it went.

    Life cycle: pending → sending (claimed by one worker, with its claim token) → sent; or back
    to pending with a later `next_attempt_at` after a temporary failure, or after its worker
    died mid-delivery (the lease ran out); or failed after too many attempts or a permanent
    refusal (see the module docstring of `services`).
    """

    class Kind(models.TextChoices):
        INVITATION = "invitation", "Invitation"
        UPDATE = "update", "Update"
        CANCELLATION = "cancellation", "Cancellation"
        REMINDER = "reminder", "Reminder"
        SURVEY = "survey", "Survey request"
        REVIEW = "review", "Resource review"
        WAITLIST = "waitlist", "Waitlist"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=16, choices=Kind.choices)
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
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.status})"
