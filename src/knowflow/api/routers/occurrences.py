from typing import Annotated

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import Field, WithJsonSchema

from knowflow.api.auth import viewer
from knowflow.api.schemas import (
    BodyIn,
    BoundedPagination,
    DatabaseInt,
    IsoDateTime,
    OccurrenceIn,
    OccurrenceOut,
    OccurrencePatch,
    one_of,
)
from knowflow.events import attendance, services
from knowflow.events import selectors as events_selectors
from knowflow.events.models import Occurrence

router = Router(tags=["occurrences"])


class OccurrenceQuery(Schema):
    session_id: DatabaseInt | None = None
    starts_after: IsoDateTime | None = None
    starts_before: IsoDateTime | None = None


@router.get("/", response=list[OccurrenceOut])
@paginate(BoundedPagination)
def occurrence_list(request: HttpRequest, filters: Query[OccurrenceQuery]) -> QuerySet[Occurrence]:
    occurrences = Occurrence.objects.order_by("start", "id")
    if filters.session_id is not None:
        occurrences = occurrences.filter(session_id=filters.session_id)
    if filters.starts_after is not None:
        occurrences = occurrences.filter(start__gte=filters.starts_after)
    if filters.starts_before is not None:
        occurrences = occurrences.filter(start__lt=filters.starts_before)
    return occurrences


@router.get("/{occurrence_id}", response=OccurrenceOut)
def occurrence_get(request: HttpRequest, occurrence_id: DatabaseInt) -> Occurrence:
    return events_selectors.occurrence_get(id=occurrence_id)


@router.post("/", response={201: OccurrenceOut})
def occurrence_create(request: HttpRequest, payload: OccurrenceIn) -> tuple[int, Occurrence]:
    session = events_selectors.session_get(id=payload.session_id, field="session_id")
    room = (
        events_selectors.room_get(id=payload.room_id, field="room_id") if payload.room_id else None
    )
    occurrence = services.occurrence_create(
        session=session,
        actor=viewer(request),
        start=payload.start,
        end=payload.end,
        room=room,
        online_url=payload.online_url,
        capacity=payload.capacity,
    )
    # Read it back: the answer shows the stored UTC times, as every GET does, not the offset sent.
    return 201, events_selectors.occurrence_get(id=occurrence.pk)


@router.patch("/{occurrence_id}", response=OccurrenceOut)
def occurrence_update(
    request: HttpRequest, occurrence_id: DatabaseInt, payload: OccurrencePatch
) -> Occurrence:
    occurrence = events_selectors.occurrence_get(id=occurrence_id)
    room = (
        events_selectors.room_get(id=payload.room_id, field="room_id") if payload.room_id else None
    )
    services.occurrence_update(
        occurrence=occurrence,
        actor=viewer(request),
        start=payload.start,
        end=payload.end,
        room=room,
        online_url=payload.online_url,
        capacity=payload.capacity,
    )
    return events_selectors.occurrence_get(id=occurrence.pk)


PresentMode = one_of("", "room", "online")  # "" is absent; a recording is not taken here
Marks = Annotated[
    dict[DatabaseInt, PresentMode],
    WithJsonSchema(
        {
            "type": "object",
            "description": 'Person id → "room", "online" or "" (absent).',
            "propertyNames": {"pattern": "^[0-9]{1,18}$"},
            "additionalProperties": {"enum": ["", "room", "online"]},
        }
    ),
]


class AttendanceChecklistIn(BodyIn):
    """A date's attendance checklist: ``marks`` maps person ids on the checklist to "room",
    "online" or "" (absent); ``all_present`` marks everyone else on it; ``others`` names
    people who came without registering (names or emails), who attended ``others_mode``."""

    marks: Marks = {}
    all_present: PresentMode = ""
    others: str = Field("", max_length=5000)
    others_mode: PresentMode = ""


class AttendanceChangesOut(Schema):
    recorded: int
    removed: int


@router.post("/{occurrence_id}/attendance", response=AttendanceChangesOut)
def attendance_checklist_save(
    request: HttpRequest, occurrence_id: DatabaseInt, payload: AttendanceChecklistIn
) -> attendance.AttendanceChanges:
    occurrence = events_selectors.occurrence_get(id=occurrence_id)
    return attendance.attendance_record_bulk(
        occurrence=occurrence,
        actor=viewer(request),
        marks=payload.marks,
        others=payload.others,
        others_mode=payload.others_mode,
        all_present=payload.all_present,
    )


class CheckInLinkOut(Schema):
    url: str


@router.post("/{occurrence_id}/check-in-link", response=CheckInLinkOut)
def checkin_link_replace(request: HttpRequest, occurrence_id: DatabaseInt) -> dict:
    """Replace the date's self check-in link (every copy of the old one stops working)."""
    occurrence = events_selectors.occurrence_get(id=occurrence_id)
    token = attendance.occurrence_checkin_token(
        occurrence=occurrence, actor=viewer(request), rotate=True
    )
    return {
        "url": request.build_absolute_uri(reverse("events:check_in", args=[occurrence.pk, token]))
    }
