"""Creating the dates the organiser chose in *Find a time*, all or nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.events.models import Occurrence, Room, Session
from knowflow.events.planning import PlanningError
from knowflow.events.services import occurrence_create


def occurrences_create_from_plan(
    *,
    session: Session,
    actor: Person,
    starts: list[datetime],
    duration_min: int,
    capacity: int,
    online_url: str,
    room_ids: list[int | None],
) -> list[Occurrence]:
    """One click: create the chosen occurrence(s), all or nothing."""
    if not starts:
        raise PlanningError("Choose at least one time.", field="starts")
    now = timezone.now()
    for start in starts:
        if start <= now:
            raise PlanningError(f"{start:%Y-%m-%d %H:%M} UTC is in the past.", field="starts")
    rooms = {room.pk: room for room in Room.objects.filter(pk__in=[r for r in room_ids if r])}
    created = []
    with transaction.atomic():
        for start, room_id in zip(starts, room_ids, strict=True):
            created.append(
                occurrence_create(
                    session=session,
                    actor=actor,
                    start=start,
                    end=start + timedelta(minutes=duration_min),
                    room=rooms.get(room_id) if room_id else None,
                    online_url=online_url,
                    capacity=capacity,
                )
            )
    return created
