from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from knowflow.accounts import selectors as accounts_selectors
from knowflow.accounts.models import Person
from knowflow.api.auth import viewer
from knowflow.api.lookups import fetch_many
from knowflow.api.schemas import CircleIn, CircleOut, CirclePatch, DatabaseInt, MemberIn
from knowflow.circles import selectors as circles_selectors
from knowflow.circles import services
from knowflow.circles.models import Circle
from knowflow.circles.permissions import can_see_circle
from knowflow.circles.selectors import circle_list as select_circles
from knowflow.errors import NotFound
from knowflow.topics.models import Topic

router = Router(tags=["circles"])


@router.get("/", response=list[CircleOut])
def circle_list(request: HttpRequest) -> list[Circle]:
    return list(select_circles())


@router.get("/{circle_id}", response=CircleOut)
def circle_get(request: HttpRequest, circle_id: DatabaseInt) -> Circle:
    circle = circles_selectors.circle_get(id=circle_id)
    if not can_see_circle(actor=viewer(request), circle=circle):
        # A proposed or declined circle is its starter's and the enablers' business.
        raise NotFound(f"There is no circle with id {circle_id}.")
    return circle


@router.post("/", response={201: CircleOut})
def circle_create(request: HttpRequest, payload: CircleIn) -> tuple[int, Circle]:
    circle = services.circle_create(
        actor=viewer(request),
        name=payload.name,
        mission=payload.mission,
        scope=payload.scope,
        cadence=payload.cadence,
        visibility=payload.visibility,
        topics=fetch_many(Topic, payload.topic_ids, what="topic", field="topic_ids"),
        champions=fetch_many(Person, payload.champion_ids, what="person", field="champion_ids"),
    )
    return 201, circle


@router.patch("/{circle_id}", response=CircleOut)
def circle_update(request: HttpRequest, circle_id: DatabaseInt, payload: CirclePatch) -> Circle:
    circle = circles_selectors.circle_get(id=circle_id)
    topics = (
        fetch_many(Topic, payload.topic_ids, what="topic", field="topic_ids")
        if payload.topic_ids is not None
        else None
    )
    return services.circle_update(
        circle=circle,
        actor=viewer(request),
        name=payload.name,
        mission=payload.mission,
        scope=payload.scope,
        cadence=payload.cadence,
        visibility=payload.visibility,
        topics=topics,
    )


@router.post("/{circle_id}/join", response={201: dict})
def circle_join(request: HttpRequest, circle_id: DatabaseInt) -> tuple[int, dict]:
    circle = circles_selectors.circle_get(id=circle_id)
    membership = services.circle_join(circle=circle, person=viewer(request), actor=viewer(request))
    return 201, {"circle_id": circle.pk, "person_id": membership.person_id, "role": membership.role}


@router.post("/{circle_id}/leave", response={204: None})
def circle_leave(request: HttpRequest, circle_id: DatabaseInt) -> tuple[int, None]:
    circle = circles_selectors.circle_get(id=circle_id)
    services.circle_leave(circle=circle, person=viewer(request), actor=viewer(request))
    return 204, None


@router.post("/{circle_id}/members", response={201: dict})
def circle_member_add(
    request: HttpRequest, circle_id: DatabaseInt, payload: MemberIn
) -> tuple[int, dict]:
    """Add someone to the circle: its champions and enablers (invite-only circles need this)."""
    circle = circles_selectors.circle_get(id=circle_id)
    person = accounts_selectors.person_get(id=payload.person_id, field="person_id")
    membership = services.circle_join(circle=circle, person=person, actor=viewer(request))
    return 201, {"circle_id": circle.pk, "person_id": membership.person_id, "role": membership.role}
