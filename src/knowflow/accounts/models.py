"""People, their place in the organisation, and how they sign in.

`User` is only the credential; `Person` is who someone is in the organisation. A person may
have no user at all (a speaker imported from a conference archive who never signs in).
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.db import models

from knowflow.accounts.working_hours import WorkingHours


class User(AbstractUser):
    pass


class OrgUnit(models.Model):
    class Kind(models.TextChoices):
        COMPANY = "company", "Company"
        DIVISION = "division", "Division"
        TEAM = "team", "Team"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TEAM)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Office(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)
    city = models.CharField(max_length=120, blank=True)
    country = models.CharField(max_length=120, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def default_working_hours() -> list:
    return WorkingHours.default().to_json()


class Person(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        ENABLER = "enabler", "Enabler"
        # Funds or oversees the programme and reads its results (insights, ROI, programme
        # feedback) without running it: otherwise a member.
        LEADER = "leader", "Leader"
        MEMBER = "member", "Member"

    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    display_name = models.CharField(max_length=150)
    slug = models.SlugField(max_length=160, unique=True)
    email = models.EmailField(blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    timezone = models.CharField(max_length=64, default="UTC")
    working_hours = models.JSONField(default=default_working_hours)
    office = models.ForeignKey(
        Office, null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    org_unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    languages = models.JSONField(default=list, blank=True)
    # How numbers and money are written for this person (a CLDR locale such as "de_CH", see
    # knowflow.l10n); empty: as their browser asks. Set from the provider's `locale` claim.
    locale = models.CharField(max_length=35, blank=True, default="")
    skills = models.ManyToManyField("topics.Topic", blank=True, related_name="skilled_people")
    bio = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the person left (deactivated by an admin, SCIM or the people file): they keep their
    # history and authorship but cannot sign in, hold no future place and are offered nowhere.
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["display_name", "id"]
        indexes = [models.Index(fields=["timezone"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def hours(self) -> WorkingHours:
        return WorkingHours.from_json(self.working_hours)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    @property
    def is_active(self) -> bool:
        return self.deactivated_at is None

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def is_enabler(self) -> bool:
        return self.role in (self.Role.ADMIN, self.Role.ENABLER)

    @property
    def is_leader(self) -> bool:
        """Only the leader role: admins and enablers are not leaders, they already read more."""
        return self.role == self.Role.LEADER


class ApiToken(models.Model):
    """A personal API token. Only a hash is stored; the secret is shown once on creation."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class PeopleFileUpload(models.Model):
    """A people file uploaded on the page, kept from its preview to its confirmation; once
    applied, only its summary stays (who imported what, and when)."""

    uploaded_by = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    file_name = models.CharField(max_length=200)
    content = models.TextField(blank=True)  # emptied once applied
    deactivate_missing = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name


class ProviderIdentity(models.Model):
    """A user's account at the organisation's OpenID Connect provider: the issuer and the
    subject it gives them, which never change even when their email does. The email links a
    person on the first sign-in; this row recognises them on every one after."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="provider_identities")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_signed_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="provider_identity_unique"),
            models.UniqueConstraint(
                fields=["user", "issuer"], name="provider_identity_one_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
