from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from knowflow.accounts.models import Person
from knowflow.api.auth import viewer
from knowflow.api.lookups import fetch_many
from knowflow.api.schemas import BoundedPagination, DatabaseInt, SessionIn, SessionOut, SessionPatch
from knowflow.circles import selectors as circles_selectors
from knowflow.events import selectors, services
from knowflow.events.models import Occurrence, Session
from knowflow.topics.models import Topic

router = Router(tags=["sessions"])


class SessionQuery(Schema):
    topic: str = ""
    format: str = ""
    circle: str = ""
    status: str = ""


def _with_details(sessions: QuerySet[Session]) -> QuerySet[Session]:
    return sessions.prefetch_related(
        "topics",
        Prefetch("speakers", queryset=Person.objects.only("id")),
        Prefetch("occurrences", queryset=Occurrence.objects.order_by("start")),
    )


@router.get("/", response=list[SessionOut])
@paginate(BoundedPagination)
def session_list(request: HttpRequest, filters: Query[SessionQuery]) -> QuerySet[Session]:
    return _with_details(selectors.session_list(**filters.dict()))


@router.get("/{session_id}", response=SessionOut)
def session_get(request: HttpRequest, session_id: DatabaseInt) -> Session:
    return selectors.session_get(id=session_id)


@router.post("/", response={201: SessionOut})
def session_create(request: HttpRequest, payload: SessionIn) -> tuple[int, Session]:
    circle = (
        circles_selectors.circle_get(id=payload.circle_id, field="circle_id")
        if payload.circle_id
        else None
    )
    session = services.session_create(
        actor=viewer(request),
        title=payload.title,
        abstract=payload.abstract,
        format=payload.format,
        level=payload.level,
        language=payload.language,
        topics=fetch_many(Topic, payload.topic_ids, what="topic", field="topic_ids"),
        speakers=fetch_many(Person, payload.speaker_ids, what="person", field="speaker_ids"),
        circle=circle,
    )
    return 201, selectors.session_get(id=session.pk)


@router.patch("/{session_id}", response=SessionOut)
def session_update(request: HttpRequest, session_id: DatabaseInt, payload: SessionPatch) -> Session:
    session = selectors.session_get(id=session_id)
    circle = (
        circles_selectors.circle_get(id=payload.circle_id, field="circle_id")
        if payload.circle_id
        else None
    )
    services.session_update(
        session=session,
        actor=viewer(request),
        title=payload.title,
        abstract=payload.abstract,
        format=payload.format,
        level=payload.level,
        language=payload.language,
        status=payload.status,
        circle=circle,
        topics=None
        if payload.topic_ids is None
        else fetch_many(Topic, payload.topic_ids, what="topic", field="topic_ids"),
        speakers=None
        if payload.speaker_ids is None
        else fetch_many(Person, payload.speaker_ids, what="person", field="speaker_ids"),
    )
    return selectors.session_get(id=session.pk)
