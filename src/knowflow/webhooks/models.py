"""A webhook: an address of another system that Knowflow tells about the events it subscribed
to, each delivery signed with the webhook's secret.

The secret is kept sealed (``knowflow.sealing``), never hashed: it must be read again at every
send to sign the body. It is shown once, when the webhook is created or its secret rotated.
"""

from __future__ import annotations

from django.db import models

from knowflow.links import WebURLField


class Webhook(models.Model):
    url = WebURLField("payload URL", max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # Names from webhooks.catalogue.EVENTS; a short list, read with the row.
    events = models.JSONField(default=list)
    secret_sealed = models.TextField()
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhooks_created",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.description or self.url

    @property
    def endpoint(self) -> str:
        """The receiver's key in the outbound queue."""
        return f"webhook:{self.pk}"

    @property
    def has_secret(self) -> bool:
        """False for a webhook imported without credentials: it sends nothing until an admin
        makes a new secret."""
        return bool(self.secret_sealed)

    @property
    def label(self) -> str:
        return self.description or self.url
