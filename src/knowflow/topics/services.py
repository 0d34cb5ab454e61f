"""Changes to the topic taxonomy, and to the topics people name as their skills."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from knowflow.accounts.models import Person
from knowflow.accounts.permissions import can_edit_profile
from knowflow.accounts.search import PERSON
from knowflow.accounts.services import unique_slug
from knowflow.errors import Conflict, DomainError, Forbidden
from knowflow.search.index import index_write
from knowflow.topics.models import Topic
from knowflow.topics.permissions import can_manage_topics
from knowflow.topics.search import TOPIC


def _clean_synonyms(synonyms: Iterable[str]) -> list[str]:
    """Trimmed, one per spelling regardless of case (the first one given wins), sorted.

    Deduplicating through a set let "ML" and "ml" both stay, in an order that changed from
    one run to the next.
    """
    kept: dict[str, str] = {}
    for synonym in synonyms:
        synonym = synonym.strip()
        if synonym:
            kept.setdefault(synonym.lower(), synonym)
    return [kept[key] for key in sorted(kept)]


def _check_parent(topic: Topic | None, parent: Topic | None) -> None:
    node = parent
    while node is not None:
        if topic is not None and node.pk == topic.pk:
            raise DomainError("A topic cannot be its own ancestor.", field="parent")
        node = node.parent


@transaction.atomic
def topic_create(
    *,
    actor: Person,
    name: str,
    synonyms: Iterable[str] = (),
    parent: Topic | None = None,
    description: str = "",
) -> Topic:
    if not can_manage_topics(actor=actor):
        raise Forbidden("Only enablers change the topic taxonomy.")
    name = name.strip()
    if not name:
        raise DomainError("A topic needs a name.", field="name")
    if Topic.objects.filter(name__iexact=name).exists():
        raise Conflict(f"The topic {name} exists already.", field="name")
    topic = Topic.objects.create(
        name=name,
        slug=unique_slug(Topic, name),
        synonyms=_clean_synonyms(synonyms),
        parent=parent,
        description=description,
    )
    index_write(kind=TOPIC, object_ids=[topic.pk])
    return topic


@transaction.atomic
def topic_update(
    *,
    topic: Topic,
    actor: Person,
    name: str | None = None,
    synonyms: Iterable[str] | None = None,
    parent: Topic | None = None,
    clear_parent: bool = False,
    description: str | None = None,
) -> Topic:
    if not can_manage_topics(actor=actor):
        raise Forbidden("Only enablers change the topic taxonomy.")
    if name is not None:
        name = name.strip()
        if not name:
            raise DomainError("A topic needs a name.", field="name")
        if Topic.objects.filter(name__iexact=name).exclude(pk=topic.pk).exists():
            raise Conflict(f"The topic {name} exists already.", field="name")
        topic.name = name
    if synonyms is not None:
        topic.synonyms = _clean_synonyms(synonyms)
    if parent is not None:
        _check_parent(topic, parent)
        topic.parent = parent
    elif clear_parent:
        topic.parent = None
    if description is not None:
        topic.description = description
    topic.save()
    index_write(kind=TOPIC, object_ids=[topic.pk], dependents=True)
    return topic


@transaction.atomic
def person_skills_set(*, person: Person, actor: Person, skills: Iterable[Topic]) -> Person:
    """Replace a person's skills with ``skills``. Only the person themselves or an admin may
    (as for the rest of a profile); the person's search document follows."""
    if not can_edit_profile(actor=actor, person=person):
        raise Forbidden("You can only edit your own profile.")
    person.skills.set(skills)
    index_write(kind=PERSON, object_ids=[person.pk])
    return person
