"""The one topic taxonomy, shared by sessions, resources, skills and circles."""

from __future__ import annotations

from django.db import models


class Topic(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)
    synonyms = models.JSONField(default=list, blank=True, help_text="Other names for this topic.")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
