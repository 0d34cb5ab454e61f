"""What people say about expertise: colleagues' confirmations, hidden topics, opting out.

The evidence itself (sessions given, resources written, circle roles) lives in the apps that
own it; expertise only keeps what a person or their colleagues added to it or took out.
"""

from __future__ import annotations

from django.db import models


class SkillConfirmation(models.Model):
    """A colleague confirms that ``person`` knows ``topic``: one per confirmer, person and
    topic; nobody confirms themselves (checked here and by the services)."""

    person = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="skill_confirmations"
    )
    topic = models.ForeignKey("topics.Topic", on_delete=models.CASCADE, related_name="+")
    confirmed_by = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="skill_confirmations_given"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "topic", "confirmed_by"], name="one_confirmation_per_confirmer"
            ),
            models.CheckConstraint(
                condition=~models.Q(person=models.F("confirmed_by")), name="no_self_confirmation"
            ),
        ]
        indexes = [models.Index(fields=["topic", "person"], name="confirmation_topic")]

    def __str__(self) -> str:
        return f"{self.confirmed_by} confirms {self.person} knows {self.topic}"


class HiddenTopic(models.Model):
    """A topic a person asked not to be listed for, whatever the evidence says."""

    person = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="hidden_expertise"
    )
    topic = models.ForeignKey("topics.Topic", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "topic"], name="hidden_topic_once")
        ]

    def __str__(self) -> str:
        return f"{self.person} hides {self.topic}"


class ExpertOptOut(models.Model):
    """A person who asked not to be listed as an expert at all (pages, API, command line)."""

    person = models.OneToOneField(
        "accounts.Person", on_delete=models.CASCADE, related_name="expert_opt_out"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.person} is not listed"
