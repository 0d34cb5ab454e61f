"""Each person's digest setting and where their digest schedule stands.

A person without a row gets the default (weekly); the periodic job writes the row the first
time it sees them. `next_due_at` is indexed so that finding who is due among 20,000 people
every few minutes is one index range scan, not a walk over everyone's time zone.
"""

from __future__ import annotations

from django.db import models


class DigestSubscription(models.Model):
    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Weekly, on my first working day"
        DAILY = "daily", "Every working day"
        OFF = "off", "Off"

    person = models.OneToOneField(
        "accounts.Person",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="digest_subscription",
    )
    frequency = models.CharField(max_length=16, choices=Frequency.choices, default="weekly")
    # The next 08:00 (local, as UTC) at which this person's digest is due; null when it is off.
    next_due_at = models.DateTimeField(null=True, blank=True)
    # The period ("2026-W49" for a week, "2026-12-03" for a day) last composed, sent or found
    # empty: a re-run within the same period composes nothing.
    last_period = models.CharField(max_length=16, blank=True)
    # When the last digest was composed: the next one tells what is new since then.
    last_composed_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["next_due_at"], name="digest_due_idx")]

    def __str__(self) -> str:
        return f"Digest of person {self.person_id}: {self.frequency}"
