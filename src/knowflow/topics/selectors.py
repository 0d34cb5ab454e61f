"""Read queries for topics: one public taxonomy, the same for everyone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, QuerySet

from knowflow.errors import NotFound
from knowflow.pickers import Nouns, PickerOption, resolve_names, suggest_by_name
from knowflow.topics.models import Topic

if TYPE_CHECKING:
    from knowflow.accounts.models import Person


def topic_list() -> QuerySet[Topic]:
    return Topic.objects.only("id", "name", "slug")


def topic_overview() -> QuerySet[Topic]:
    return Topic.objects.select_related("parent").annotate(session_count=Count("sessions"))


def topic_get(*, id: int, field: str | None = None) -> Topic:
    """One topic by id, or NotFound (naming ``field``, the input that pointed at it). Every
    topic is public: the taxonomy is the same for everyone."""
    topic = Topic.objects.filter(pk=id).first()
    if topic is None:
        raise NotFound(f"There is no topic with id {id}.", field=field)
    return topic


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


TOPICS = Nouns(one="topic", many="topics", nobody="No topic")


def topics_for_picker(*, entries: list[str]) -> list[Topic]:
    """The topics a picker's entries mean (a slug, a name or a unique part of one)."""
    return resolve_names(
        queryset=Topic.objects.select_related("parent"),
        entries=entries,
        nouns=TOPICS,
        describe=_described,
    )


def _described(topic: Topic) -> str:
    return f"{topic.name} ({topic.slug})"


def topic_picker_options(*, viewer: Person, text: str) -> list[PickerOption]:
    """Suggestions for a topic picker: every topic is public, the parent says where it sits."""
    return [
        PickerOption(
            value=topic.slug,
            label=topic.name,
            detail=f"under {topic.parent.name}" if topic.parent else "",
        )
        for topic in suggest_by_name(queryset=Topic.objects.select_related("parent"), text=text)
    ]
