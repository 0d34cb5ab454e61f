"""Topics as search finds them, the synonyms every query is expanded with, and people's skills.

A topic is also part of every document tagged with it (its name and synonyms are matched, so
"k8s" finds a session tagged Kubernetes): the apps that tag follow ``TOPIC`` (``follow``), so
renaming a topic rewrites their documents. Skills are a person's topics: this app adds them
to the people's documents, which accounts builds without knowing topics.
"""

from __future__ import annotations

from collections.abc import Sequence

from knowflow.accounts.models import Person
from knowflow.accounts.search import PERSON
from knowflow.search import registry
from knowflow.search.registry import DocumentSource
from knowflow.topics.models import Topic

TOPIC = "topic"


def topic_sources(topic_ids: list[int]) -> list[DocumentSource]:
    return [
        DocumentSource(
            kind=TOPIC,
            object_id=topic.pk,
            slug=topic.slug,
            title=topic.name,
            body=topic.description,
            topics=[topic],
        )
        for topic in Topic.objects.filter(pk__in=topic_ids)
    ]


def topic_synonyms() -> list[tuple[int, str, Sequence[str]]]:
    return list(Topic.objects.values_list("id", "name", "synonyms"))


def add_skills(sources: dict[int, DocumentSource]) -> None:
    """A person's skills are the topics of their document."""
    people = Person.objects.filter(pk__in=list(sources)).only("id").prefetch_related("skills")
    for person in people:
        sources[person.pk].topics = list(person.skills.all())


def people_skilled_in(topic_ids: list[int]) -> list[int]:
    through = Person.skills.through.objects.filter(topic_id__in=topic_ids)
    return list(through.values_list("person_id", flat=True))


def register() -> None:
    registry.register(
        kind=TOPIC, label="Topic", position=5, model=Topic, build=topic_sources, prior=0.5
    )
    registry.register_synonyms(topic_synonyms)
    registry.extend(kind=PERSON, extension=add_skills)
    registry.follow(kind=PERSON, on=TOPIC, ids=people_skilled_in)
