"""What crosses the organisation's boundary: calendar feed secrets.

(The email outbox is the mail app's: `knowflow.mail.models.OutboxMessage`.)
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
