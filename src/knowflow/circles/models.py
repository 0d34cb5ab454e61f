"""Circles: communities of practice with a charter, champions, facilitators, members, topics
and a lifecycle (proposed → forming → active → dormant → sunset)."""

from __future__ import annotations

from django.db import models


class Circle(models.Model):
    class Visibility(models.TextChoices):
        OPEN = "open", "Open: anyone can join"
        INVITE_ONLY = "invite_only", "Invite only: champions add members"

    class Cadence(models.TextChoices):
        # The value is how often the circle means to meet; `sessions_per_month` turns it into
        # the number health compares the sessions held against.
        WEEKLY = "weekly", "Weekly"
        FORTNIGHTLY = "fortnightly", "Every two weeks"
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Every three months"

    class State(models.TextChoices):
        PROPOSED = "proposed", "Waiting for approval"
        DECLINED = "declined", "Declined"
        FORMING = "forming", "Forming"
        ACTIVE = "active", "Active"
        DORMANT = "dormant", "Dormant"
        SUNSET = "sunset", "Sunset"

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)
    mission = models.TextField(blank=True, help_text="Markdown.")
    scope = models.TextField(blank=True, help_text="Markdown: what the circle covers, and not.")
    cadence = models.CharField(max_length=16, choices=Cadence.choices, default=Cadence.MONTHLY)
    visibility = models.CharField(max_length=16, choices=Visibility.choices, default="open")
    topics = models.ManyToManyField("topics.Topic", blank=True, related_name="circles")
    members = models.ManyToManyField(
        "accounts.Person", through="Membership", related_name="circles"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.FORMING)
    # When the state last changed: a dormant circle's quiet prompt is keyed on it, so each
    # quiet spell prompts once.
    state_changed_at = models.DateTimeField(null=True, blank=True)
    # When the circle last (re)started: created without approval, approved, or revived. It
    # counts as activity, so a circle just started or revived is not dormant at once.
    started_at = models.DateTimeField(null=True, blank=True)
    proposed_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="circles_proposed",
    )
    decline_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["state"])]

    def __str__(self) -> str:
        return self.name

    @property
    def sessions_per_month(self) -> float:
        return SESSIONS_PER_MONTH[self.cadence]

    @property
    def is_listed(self) -> bool:
        """Proposed and declined circles are seen by their starter and enablers only."""
        return self.state not in (Circle.State.PROPOSED, Circle.State.DECLINED)


SESSIONS_PER_MONTH: dict[str, float] = {
    Circle.Cadence.WEEKLY: 4.0,
    Circle.Cadence.FORTNIGHTLY: 2.0,
    Circle.Cadence.MONTHLY: 1.0,
    Circle.Cadence.QUARTERLY: 1 / 3,
}


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        FACILITATOR = "facilitator", "Facilitator"
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
