"""Which rooms suit a time: free then, big enough for the audience expected in the room, in
the office where most of them work. One rule for *Find a time* and for a date typed by hand."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from knowflow.events.models import Occurrence, Room, Session
from knowflow.events.planning import PlanningError
from knowflow.events.planning.audience import (
    Audience,
    audience_by_office,
    session_audience_spec,
)


@dataclass(frozen=True)
class RoomOption:
    """One room at a given time, and whether (and why) it suits the expected audience."""

    room: Room
    audience_here: int  # people of the expected audience who work in the room's office
    seats_needed: int
    clash: Occurrence | None = None  # the booking that holds the room then, if any
    suggested: bool = False

    @property
    def free(self) -> bool:
        return self.clash is None

    @property
    def large_enough(self) -> bool:
        return self.room.capacity >= self.seats_needed

    @property
    def offered(self) -> bool:
        return self.free and self.large_enough


def _seats_needed(*, audience_here: int, capacity: int | None, online: bool) -> int:
    if capacity is None:  # no capacity chosen yet (find a time): whoever works there
        return audience_here
    # Without an online link the room is the only way in: every place needs a seat.
    return min(audience_here, capacity) if online else capacity


def room_options(
    *,
    audience_by_office: Mapping[int, int],
    start: datetime,
    end: datetime,
    capacity: int | None = None,
    online: bool = True,
    exclude: Occurrence | None = None,
    rooms: list[Room] | None = None,
) -> list[RoomOption]:
    """Every room for [start, end), the ones to offer first, best first.

    A room is offered when no live occurrence holds it then (the rule `occurrence_create`
    enforces) and it seats the expected in-room audience: the people of the audience who work
    in its office, at most ``capacity``; everyone (``capacity``) when there is no online link,
    since then the room is the only way in. Offered rooms come in the office where most of the
    audience works first, then the smallest that fits (the large rooms stay free for large
    audiences). The first offered room in an office where someone of the audience works is
    the suggested one. ``exclude`` is the occurrence being moved: it does not clash with itself.
    Two queries (rooms, bookings), or one when ``rooms`` is given.
    """
    if rooms is None:
        rooms = list(Room.objects.select_related("office"))
    bookings = Occurrence.objects.filter(
        room__isnull=False, start__lt=end, end__gt=start, cancelled_at__isnull=True
    )
    if exclude is not None and exclude.pk is not None:
        bookings = bookings.exclude(pk=exclude.pk)
    clashes: dict[int | None, Occurrence] = {}  # room_id is never None here (the filter)
    for booking in bookings.select_related("session").order_by("start", "id"):
        clashes.setdefault(booking.room_id, booking)
    options = []
    for room in rooms:
        here = audience_by_office.get(room.office_id, 0)
        options.append(
            RoomOption(
                room=room,
                audience_here=here,
                seats_needed=_seats_needed(audience_here=here, capacity=capacity, online=online),
                clash=clashes.get(room.pk),
            )
        )
    offered = sorted(
        (o for o in options if o.offered),
        key=lambda o: (-o.audience_here, o.room.capacity, o.room.office.name, o.room.name),
    )
    refused = sorted(
        (o for o in options if not o.offered),
        key=lambda o: (-o.audience_here, o.room.office.name, o.room.name),
    )
    if offered and offered[0].audience_here > 0:
        offered[0] = replace(offered[0], suggested=True)
    return offered + refused


def suggested_room(
    audience: Audience, start: datetime, end: datetime, rooms: list[Room] | None = None
) -> Room | None:
    """A free room, big enough, in the office where most of the audience works."""
    offices = Counter(p.office_id for p in audience.people if p.office_id)
    if not offices:
        return None
    options = room_options(audience_by_office=offices, start=start, end=end, rooms=rooms)
    return next((option.room for option in options if option.suggested), None)


@dataclass
class RoomChoice:
    """The rooms for a date typed by hand: offered ones best first, then the others."""

    start: datetime
    end: datetime
    options: list[RoomOption]

    @property
    def offered(self) -> list[RoomOption]:
        return [option for option in self.options if option.offered]

    @property
    def refused(self) -> list[RoomOption]:
        return [option for option in self.options if not option.offered]

    @property
    def suggested(self) -> RoomOption | None:
        return next((option for option in self.options if option.suggested), None)

    def option_for(self, room: Room | None) -> RoomOption | None:
        if room is None:
            return None
        return next((option for option in self.options if option.room.pk == room.pk), None)


def room_choice_for_date(
    *,
    session: Session,
    start: datetime,
    end: datetime,
    capacity: int | None,
    online_url: str,
    occurrence: Occurrence | None = None,
) -> RoomChoice:
    """Which rooms suit a date of the session typed by hand (add a date, change a date).

    The same rule as the rooms *Find a time* suggests (`room_options`), for the session's
    expected audience (`session_audience_spec`). It only reads: `occurrence_create` and
    `occurrence_update` still refuse a taken room under the room's lock, since a room free now
    can be booked by someone else before the form is sent.
    """
    if end <= start:
        raise PlanningError("The end must be after the start.", field="end")
    counts = audience_by_office(spec=session_audience_spec(session=session, occurrence=occurrence))
    return RoomChoice(
        start=start,
        end=end,
        options=room_options(
            audience_by_office=counts,
            start=start,
            end=end,
            capacity=capacity,
            online=bool(online_url),
            exclude=occurrence,
        ),
    )
