"""Chat channels: a circle's or a topic's Slack or Microsoft Teams channel that Knowflow posts to.

A channel is reached through an incoming webhook (Slack) or a Workflows webhook (Teams). The
webhook URL is the only credential: whoever holds it can post to the channel, so it is stored
sealed (`knowflow.sealing`) and never shown again after it is saved; pages show its host only.
What was sent, and how it went, is the outbound log (`knowflow.outbound`) of the endpoint
``chat:<id>``: nothing here duplicates it.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class ChatChannel(models.Model):
    class Kind(models.TextChoices):
        SLACK = "slack", "Slack"
        TEAMS = "teams", "Microsoft Teams"

    # Exactly one of the two (a constraint): the channel of a circle, or of a topic.
    circle = models.ForeignKey(
        "circles.Circle",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="chat_channels",
    )
    topic = models.ForeignKey(
        "topics.Topic",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="chat_channels",
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    name = models.CharField(max_length=80, help_text="How people know the channel: #data-eng.")
    webhook_url_sealed = models.TextField()
    webhook_host = models.CharField(max_length=255)  # shown instead of the URL
    notify_new_sessions = models.BooleanField(default=True)
    notify_date_changes = models.BooleanField(default=True)
    notify_starting_soon = models.BooleanField(default=True)
    notify_recordings = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(circle__isnull=False, topic__isnull=True)
                | Q(circle__isnull=True, topic__isnull=False),
                name="chat_channel_of_circle_or_topic",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def has_url(self) -> bool:
        """False for a channel imported from an export without credentials: it posts nothing
        until it is connected again."""
        return bool(self.webhook_url_sealed)

    @property
    def endpoint(self) -> str:
        """The outbound endpoint key its posts are queued under."""
        return f"chat:{self.pk}"

    @property
    def owner_name(self) -> str:
        owner = self.circle or self.topic
        return owner.name if owner else ""
