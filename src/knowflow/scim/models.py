"""What SCIM needs beside a person: its ids, its groups and the tokens that may call it.

A person is the SCIM User; `ScimUser` adds what only the identity provider cares about (the
SCIM id it addresses the person by, its own `externalId`, the manager it named and the
attributes it sent that Knowflow keeps only to give them back). Groups are SCIM's own: they
grant roles (`knowflow.accounts.roles.role_for_groups`), nothing else.
"""

from __future__ import annotations

import uuid

from django.db import models

from knowflow.accounts.models import Person


class ScimToken(models.Model):
    """A bearer token an identity provider calls SCIM with; only its SHA-256 is stored."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ScimUser(models.Model):
    """A person as the identity provider knows them."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="scim")
    scim_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # userName, unique without regard to case (RFC 7643 §4.1.1): kept lower-cased in
    # `user_name_key` so the uniqueness holds in the database on SQLite and PostgreSQL alike.
    user_name = models.CharField(max_length=150)
    user_name_key = models.CharField(max_length=150, unique=True)
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    # The manager's SCIM id as the provider sent it; it may name someone not provisioned yet.
    manager_scim_id = models.CharField(max_length=64, blank=True)
    # Attributes Knowflow has no field for but gives back as sent (name parts, locale, the
    # other addresses): {"name": {...}, "emails": [...], "locale": "de-CH"}.
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.user_name


class ScimGroup(models.Model):
    scim_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    display_name = models.CharField(max_length=255)
    display_name_key = models.CharField(max_length=255, unique=True)
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    members = models.ManyToManyField(ScimUser, blank=True, related_name="groups")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.display_name
