from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from knowflow.api.auth import viewer
from knowflow.api.schemas import DatabaseInt, TopicIn, TopicOut, TopicPatch
from knowflow.topics import selectors as topics_selectors
from knowflow.topics import services
from knowflow.topics.models import Topic
from knowflow.topics.selectors import topic_overview

router = Router(tags=["topics"])


@router.get("/", response=list[TopicOut])
def topic_list(request: HttpRequest) -> list[Topic]:
    return list(topic_overview())


@router.get("/{topic_id}", response=TopicOut)
def topic_get(request: HttpRequest, topic_id: DatabaseInt) -> Topic:
    return topics_selectors.topic_get(id=topic_id)


@router.post("/", response={201: TopicOut})
def topic_create(request: HttpRequest, payload: TopicIn) -> tuple[int, Topic]:
    parent = (
        topics_selectors.topic_get(id=payload.parent_id, field="parent_id")
        if payload.parent_id
        else None
    )
    topic = services.topic_create(
        actor=viewer(request),
        name=payload.name,
        synonyms=payload.synonyms,
        parent=parent,
        description=payload.description,
    )
    return 201, topic


@router.patch("/{topic_id}", response=TopicOut)
def topic_update(request: HttpRequest, topic_id: DatabaseInt, payload: TopicPatch) -> Topic:
    topic = topics_selectors.topic_get(id=topic_id)
    parent = (
        topics_selectors.topic_get(id=payload.parent_id, field="parent_id")
        if payload.parent_id
        else None
    )
    return services.topic_update(
        topic=topic,
        actor=viewer(request),
        name=payload.name,
        synonyms=payload.synonyms,
        parent=parent,
        description=payload.description,
    )
