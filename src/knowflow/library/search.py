"""Resources and collections as search finds them, and what the library adds to sessions.

A resource recorded at a session shares the session's group (``session:<id>``): search shows
them as one result. A session's document says whether it has a recording and carries the
external id of its first resource that has one (``add_recordings``), which only the library
knows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch

from knowflow.accounts.models import Person
from knowflow.events.search import SESSION
from knowflow.library.models import CaptionPassage, Collection, Resource
from knowflow.search import registry
from knowflow.search.registry import DocumentSource
from knowflow.topics.search import TOPIC

RESOURCE = "resource"
COLLECTION = "collection"
# About 30 seconds of what was said in a captioned recording. A passage shares its
# recording's group, so search shows the recording (or its session) once, with the best
# moment; one found alone is shown as its recording (``selectors.search_everything``).
PASSAGE = "passage"
# A passage is a few lines of speech against a resource's curated title and description:
# it should find a recording by what was said without outranking what names the subject.
PASSAGE_PRIOR = 0.8


def resource_source(resource: Resource) -> DocumentSource:
    """Needs ``topics`` and ``authors`` prefetched and ``occurrence`` selected."""
    date = resource.occurrence.start if resource.occurrence_id else None
    return DocumentSource(
        kind=RESOURCE,
        object_id=resource.pk,
        slug=resource.slug,
        title=resource.title,
        body=f"{resource.description}\n\n{resource.body}\n{resource.file_name}",
        topics=list(resource.topics.all()),
        people=[p.display_name for p in resource.authors.all()],
        group_key=f"session:{resource.session_id}" if resource.session_id else "",
        external_id=resource.external_id,
        format=resource.kind,
        language=resource.language,
        circle_id=resource.circle_id,
        date=date or resource.created_at,
        has_recording=resource.kind == Resource.Kind.RECORDING,
    )


def resource_sources(resource_ids: list[int]) -> list[DocumentSource]:
    resources = (
        Resource.objects.filter(pk__in=resource_ids)
        .select_related("occurrence")
        .prefetch_related(
            "topics", Prefetch("authors", queryset=Person.objects.only("id", "display_name"))
        )
    )
    return [resource_source(resource) for resource in resources]


def collection_sources(collection_ids: list[int]) -> list[DocumentSource]:
    collections = (
        Collection.objects.filter(pk__in=collection_ids)
        .select_related("owner", "topic")
        .prefetch_related("sections", "items__resource", "items__session")
    )
    sources = []
    for collection in collections:
        steps = " ".join(
            [s.title for s in collection.sections.all()]
            + [str(item.target) for item in collection.items.all()]
        )
        sources.append(
            DocumentSource(
                kind=COLLECTION,
                object_id=collection.pk,
                slug=collection.slug,
                title=collection.title,
                body=f"{collection.description}\n{steps}",
                topics=[collection.topic] if collection.topic else [],
                people=[collection.owner.display_name],
                format=collection.kind,
                circle_id=collection.circle_id,
                date=collection.updated_at,
            )
        )
    return sources


def add_recordings(sources: dict[int, DocumentSource]) -> None:
    """A session has a recording when one of its resources is one; the first resource with
    an external id (an imported talk's) gives the session that id too."""
    resources = Resource.objects.filter(session_id__in=list(sources)).only(
        "id", "session_id", "kind", "external_id"
    )
    for resource in resources:
        source = sources[resource.session_id]
        if resource.external_id and not source.external_id:
            source.external_id = resource.external_id
        if resource.kind == Resource.Kind.RECORDING:
            source.has_recording = True


@dataclass(frozen=True)
class TopicId:
    """A topic as a filter sees it: its id, no words."""

    pk: int
    name: str = ""
    synonyms: list[str] = field(default_factory=list)


def resource_group_key(resource: Resource) -> str:
    return f"session:{resource.session_id}" if resource.session_id else f"resource:{resource.pk}"


def passage_sources(passage_ids: list[int]) -> list[DocumentSource]:
    """The spoken text only: the title stays blank (so a recording's hundred passages do
    not each weigh its title), while filters see what its recording carries."""
    passages = (
        CaptionPassage.objects.filter(pk__in=passage_ids)
        .select_related("resource__occurrence")
        .prefetch_related("resource__topics")
    )
    sources = []
    for passage in passages:
        resource = passage.resource
        date = resource.occurrence.start if resource.occurrence_id else None
        sources.append(
            DocumentSource(
                kind=PASSAGE,
                object_id=passage.pk,
                slug=resource.slug,
                title="",
                body=passage.text,
                # Only the ids (the topic filter): its names would weigh in every passage.
                topics=[TopicId(pk=t.pk) for t in resource.topics.all()],
                group_key=resource_group_key(resource),
                format=resource.kind,
                language=resource.language,
                circle_id=resource.circle_id,
                date=date or resource.created_at,
                has_recording=True,
            )
        )
    return sources


def passages_of_resources(resource_ids: list[int]) -> list[int]:
    return list(
        CaptionPassage.objects.filter(resource_id__in=resource_ids).values_list("pk", flat=True)
    )


def resources_tagged(topic_ids: list[int]) -> list[int]:
    through = Resource.topics.through.objects.filter(topic_id__in=topic_ids)
    return list(through.values_list("resource_id", flat=True))


def register() -> None:
    registry.register(
        kind=RESOURCE, label="Resource", position=1, model=Resource, build=resource_sources
    )
    registry.register(
        kind=COLLECTION, label="Collection", position=2, model=Collection, build=collection_sources
    )
    registry.register(
        kind=PASSAGE,
        label="Spoken passage",
        position=9,
        model=CaptionPassage,
        build=passage_sources,
        prior=PASSAGE_PRIOR,
        stands_for=RESOURCE,
    )
    registry.extend(kind=SESSION, extension=add_recordings)
    registry.follow(kind=PASSAGE, on=RESOURCE, ids=passages_of_resources)
    registry.follow(kind=RESOURCE, on=TOPIC, ids=resources_tagged)
