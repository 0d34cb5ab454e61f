"""Read queries for topics."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from knowflow.topics.models import Topic


def topic_list() -> QuerySet[Topic]:
    return Topic.objects.only("id", "name", "slug")


def topic_overview() -> QuerySet[Topic]:
    return Topic.objects.select_related("parent").annotate(session_count=Count("sessions"))
