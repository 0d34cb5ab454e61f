"""Read queries for topics."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from knowflow.errors import NotFound
from knowflow.topics.models import Topic


def topic_list() -> QuerySet[Topic]:
    return Topic.objects.only("id", "name", "slug")


def topic_overview() -> QuerySet[Topic]:
    return Topic.objects.select_related("parent").annotate(session_count=Count("sessions"))


def topic_detail(*, slug: str) -> Topic:
    """A topic with its parent and sub-topics, or NotFound."""
    topic = (
        Topic.objects.select_related("parent")
        .prefetch_related("children")
        .filter(slug=slug)
        .first()
    )
    if topic is None:
        raise NotFound("There is no such topic.")
    return topic
