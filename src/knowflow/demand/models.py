"""Topic requests ("I need an intro to Terraform for data engineers") and their votes.

A request is open until an expert turns it into a proposed session (answered, linked to the
session) or it is merged into another request (merged, pointing at it: its page redirects
there). One vote per person and request, held by a constraint; the requester does not vote on
their own request — they are counted with the voters wherever "the people who asked" matter.
"""

from __future__ import annotations

from django.db import models

from knowflow.events.models import Session

# A request may not care: "any" (empty) before the session's own formats and levels.
FORMATS = [("", "Any format"), *Session.Format.choices]
LEVELS = [("", "Any level"), *Session.Level.choices]


class TopicRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ANSWERED = "answered", "Answered"
        MERGED = "merged", "Merged"

    title = models.CharField(max_length=200, help_text="What you need, in a sentence.")
    description = models.TextField(blank=True, help_text="Markdown.")
    topics = models.ManyToManyField("topics.Topic", blank=True, related_name="topic_requests")
    format = models.CharField(max_length=16, choices=FORMATS, blank=True, default="")
    level = models.CharField(max_length=16, choices=LEVELS, blank=True, default="")
    requester = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="topic_requests"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_requests"
    )
    session = models.ForeignKey(
        "events.Session",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="topic_requests",
    )
    answered_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="topic_requests_answered",
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return self.title


class Vote(models.Model):
    request = models.ForeignKey(TopicRequest, on_delete=models.CASCADE, related_name="votes")
    person = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="topic_request_votes"
    )
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "person"], name="one_vote_per_request")
        ]
        indexes = [models.Index(fields=["person", "request"])]

    def __str__(self) -> str:
        return f"{self.person} wants {self.request}"
