"""Circles: communities of practice with a mission, champions, members and topics."""

from __future__ import annotations

from django.db import models


class Circle(models.Model):
    class Visibility(models.TextChoices):
        OPEN = "open", "Open: anyone can join"
        INVITE_ONLY = "invite_only", "Invite only: champions add members"

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)
    mission = models.TextField(blank=True, help_text="Markdown.")
    visibility = models.CharField(max_length=16, choices=Visibility.choices, default="open")
    topics = models.ManyToManyField("topics.Topic", blank=True, related_name="circles")
    members = models.ManyToManyField(
        "accounts.Person", through="Membership", related_name="circles"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        CHAMPION = "champion", "Champion"

    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["circle", "person"]
        constraints = [
            models.UniqueConstraint(fields=["circle", "person"], name="one_membership_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.circle} ({self.role})"
