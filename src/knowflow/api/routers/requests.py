"""Topic requests in the API: list the open ones by votes, ask, read one, vote and withdraw.
The same services and selectors as the pages (``knowflow.demand``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from knowflow.api.auth import viewer
from knowflow.api.lookups import fetch_many
from knowflow.api.schemas import BodyIn, DatabaseInt
from knowflow.demand import selectors, services
from knowflow.demand.models import TopicRequest
from knowflow.topics.models import Topic

router = Router(tags=["topic requests"])

RequestFormat = Literal[
    "", "talk", "workshop", "lightning", "demo", "panel", "ama", "course_module"
]
RequestLevel = Literal["", "introductory", "intermediate", "advanced"]


class TopicRequestIn(BodyIn):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)
    topic_ids: list[DatabaseInt] = Field(default=[], max_length=50)
    format: RequestFormat = ""
    level: RequestLevel = ""


class VoteIn(BodyIn):
    reason: str = Field(default="", max_length=500)


class VoteOut(Schema):
    person_id: int
    person: str
    reason: str
    created_at: datetime


class TopicRequestOut(Schema):
    id: int
    title: str
    description: str
    status: str
    format: str
    level: str
    topics: list[str]
    requester_id: int
    votes: int
    session_id: int | None
    merged_into_id: int | None
    created_at: datetime


def _out(request: TopicRequest, votes: int) -> TopicRequestOut:
    return TopicRequestOut(
        id=request.pk,
        title=request.title,
        description=request.description,
        status=request.status,
        format=request.format,
        level=request.level,
        topics=[t.name for t in request.topics.all()],
        requester_id=request.requester_id,
        votes=votes,
        session_id=request.session_id,
        merged_into_id=request.merged_into_id,
        created_at=request.created_at,
    )


@router.get("/", response=list[TopicRequestOut])
def request_list(request: HttpRequest) -> list[TopicRequestOut]:
    """The open requests, the most wanted first."""
    return [_out(r, getattr(r, "vote_count", 0)) for r in selectors.request_list()]


@router.post("/", response={201: TopicRequestOut})
def request_create(request: HttpRequest, payload: TopicRequestIn) -> tuple[int, TopicRequestOut]:
    created = services.request_create(
        actor=viewer(request),
        title=payload.title,
        description=payload.description,
        topics=fetch_many(Topic, payload.topic_ids, what="topic", field="topic_ids"),
        format=payload.format,
        level=payload.level,
    )
    return 201, _out(created, 0)


@router.get("/{request_id}", response=TopicRequestOut)
def request_get(request: HttpRequest, request_id: DatabaseInt) -> TopicRequestOut:
    found = selectors.request_get(pk=request_id)
    return _out(found, len(found.votes.all()))


@router.get("/{request_id}/votes", response=list[VoteOut])
def request_votes(request: HttpRequest, request_id: DatabaseInt) -> list[VoteOut]:
    found = selectors.request_get(pk=request_id)
    return [
        VoteOut(
            person_id=v.person_id,
            person=v.person.display_name,
            reason=v.reason,
            created_at=v.created_at,
        )
        for v in found.votes.all()
    ]


@router.post("/{request_id}/vote", response={201: VoteOut})
def request_vote(
    request: HttpRequest, request_id: DatabaseInt, payload: VoteIn
) -> tuple[int, VoteOut]:
    found = selectors.request_get(pk=request_id)
    vote = services.request_vote(request=found, actor=viewer(request), reason=payload.reason)
    return 201, VoteOut(
        person_id=vote.person_id,
        person=vote.person.display_name,
        reason=vote.reason,
        created_at=vote.created_at,
    )


@router.delete("/{request_id}/vote", response={204: None})
def request_unvote(request: HttpRequest, request_id: DatabaseInt) -> tuple[int, None]:
    found = selectors.request_get(pk=request_id)
    services.request_unvote(request=found, actor=viewer(request))
    return 204, None
