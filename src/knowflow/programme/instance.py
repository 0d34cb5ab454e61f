"""The problem-B instance format (``"kind": "conference"``) read into frozen dataclasses.

The format is the one of ``../shared/bench/scheduling/README.md`` and ``score.py`` defines what a
programme is worth. Any instance in that format must work, not only the shipped ones, so every
field is checked here with a message that names it: a solver fed a dangling speaker id or a
negative capacity would otherwise fail much later, with a message nobody can act on.

A programme (the solver's output, ``--previous`` and ``--pinned``) is ``{talk_id: [period_id,
room_id]}``; :func:`placements_from_json` reads one against a conference.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

CONFERENCE_KIND = "conference"


class ProgrammeInputError(ValueError):
    """Input a person can fix (a missing file, a dangling id, a negative number...).

    The message is one line and names the offending value.
    """


@dataclass(frozen=True)
class Period:
    """A time slot in which every room runs one talk; periods never overlap."""

    id: int
    day: int
    start: datetime
    duration_min: int

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.duration_min)


@dataclass(frozen=True)
class Room:
    id: str
    capacity: int


@dataclass(frozen=True)
class Speaker:
    """A speaker's hard availability and soft preference, as period ids."""

    id: str
    available_periods: frozenset[int]
    preferred_periods: frozenset[int]


@dataclass(frozen=True)
class Talk:
    id: str
    track: str
    speakers: tuple[str, ...]
    duration_min: int
    expected_audience: int


@dataclass(frozen=True)
class Attendee:
    """An interest vote: every pair of these talks placed in one period is a conflict."""

    id: str
    interests: tuple[str, ...]


@dataclass(frozen=True)
class Conference:
    name: str
    periods: tuple[Period, ...]
    rooms: tuple[Room, ...]
    speakers: tuple[Speaker, ...]
    talks: tuple[Talk, ...]
    attendees: tuple[Attendee, ...]
    audience_conflict_weight: int
    speaker_preference_weight: int


# A placement is where one talk runs: (period id, room id); the room may be left open (None)
# in a pin, meaning "this period, any room that fits".
Placement = tuple[int, str | None]


def _field(data: Mapping[str, Any], name: str, where: str) -> Any:
    if name not in data:
        raise ProgrammeInputError(f"{where}: missing field {name!r}")
    return data[name]


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ProgrammeInputError(f"{where} must be an object, got {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ProgrammeInputError(f"{where} must be a list, got {type(value).__name__}")
    return value


def _integer(value: Any, where: str, *, minimum: int) -> int:
    # JSON has one number type; 45.0 is a fine duration, 45.5 and True are not.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProgrammeInputError(f"{where} must be a whole number, got {value!r}")
    if value < minimum:
        raise ProgrammeInputError(f"{where} must be at least {minimum}, got {value}")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ProgrammeInputError(f"{where} must be a non-empty string, got {value!r}")
    return value


def _unique_ids(items: Sequence[Any], what: str) -> None:
    seen: set[object] = set()
    for item in items:
        if item.id in seen:
            raise ProgrammeInputError(f"two {what} have the id {item.id!r}")
        seen.add(item.id)


def _period(data: Any, position: int) -> Period:
    where = f"period #{position}"
    data = _object(data, where)
    ident = _integer(_field(data, "id", where), f"{where} id", minimum=0)
    where = f"period {ident}"
    start_text = _text(_field(data, "start", where), f"{where} start")
    try:
        start = datetime.strptime(start_text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError as error:
        raise ProgrammeInputError(
            f"{where} start must be a UTC time like 2025-06-10T06:00:00Z, got {start_text!r}"
        ) from error
    return Period(
        id=ident,
        day=_integer(data.get("day", 0), f"{where} day", minimum=0),
        start=start,
        duration_min=_integer(
            _field(data, "duration_min", where), f"{where} duration_min", minimum=1
        ),
    )


def _room(data: Any, position: int) -> Room:
    where = f"room #{position}"
    data = _object(data, where)
    ident = _text(_field(data, "id", where), f"{where} id")
    capacity = _integer(_field(data, "capacity", where), f"room {ident!r} capacity", minimum=1)
    return Room(id=ident, capacity=capacity)


def _period_ids(value: Any, where: str, known: set[int]) -> frozenset[int]:
    ids = frozenset(_integer(item, where, minimum=0) for item in _list(value, where))
    unknown = sorted(ids - known)
    if unknown:
        raise ProgrammeInputError(f"{where} names unknown period {unknown[0]}")
    return ids


def _speaker(data: Any, position: int, periods: set[int]) -> Speaker:
    where = f"speaker #{position}"
    data = _object(data, where)
    ident = _text(_field(data, "id", where), f"{where} id")
    where = f"speaker {ident!r}"
    available = _period_ids(
        _field(data, "available_periods", where), f"{where} available_periods", periods
    )
    preferred = _period_ids(
        data.get("preferred_periods", sorted(available)), f"{where} preferred_periods", periods
    )
    return Speaker(id=ident, available_periods=available, preferred_periods=preferred)


def _talk(data: Any, position: int, speakers: set[str]) -> Talk:
    where = f"talk #{position}"
    data = _object(data, where)
    ident = _text(_field(data, "id", where), f"{where} id")
    where = f"talk {ident!r}"
    names = tuple(
        _text(item, f"{where} speakers")
        for item in _list(_field(data, "speakers", where), f"{where} speakers")
    )
    if not names:
        raise ProgrammeInputError(f"{where} has no speakers")
    for name in names:
        if name not in speakers:
            raise ProgrammeInputError(f"{where} names unknown speaker {name!r}")
    if len(set(names)) != len(names):
        raise ProgrammeInputError(f"{where} lists a speaker twice")
    return Talk(
        id=ident,
        track=str(data.get("track", "")),
        speakers=names,
        duration_min=_integer(
            _field(data, "duration_min", where), f"{where} duration_min", minimum=1
        ),
        expected_audience=_integer(
            _field(data, "expected_audience", where), f"{where} expected_audience", minimum=0
        ),
    )


def _attendee(data: Any, position: int, talks: set[str]) -> Attendee:
    where = f"attendee #{position}"
    data = _object(data, where)
    ident = str(data.get("id", position))
    where = f"attendee {ident!r}"
    interests = tuple(
        _text(item, f"{where} interests")
        for item in _list(_field(data, "interests", where), f"{where} interests")
    )
    for talk in interests:
        if talk not in talks:
            raise ProgrammeInputError(f"{where} is interested in unknown talk {talk!r}")
    # The scorer would count a talk listed twice as a conflict with itself, wherever it runs.
    if len(set(interests)) != len(interests):
        raise ProgrammeInputError(f"{where} lists a talk twice in interests")
    return Attendee(id=ident, interests=interests)


def _weights(data: Any) -> tuple[int, int]:
    weights = _object(data, "objective_weights")
    conflict = _integer(
        weights.get("audience_conflict", 1), "objective_weights.audience_conflict", minimum=0
    )
    preference = _integer(
        weights.get("speaker_pref_violation", 10),
        "objective_weights.speaker_pref_violation",
        minimum=0,
    )
    # The reference scorer reports same-track parallels but never counts them; a weight other
    # than 0 asks for something neither it nor this solver optimises.
    if weights.get("same_track_parallel", 0) not in (0, 0.0):
        raise ProgrammeInputError(
            "objective_weights.same_track_parallel must be 0 (same-track parallels are not optimised)"
        )
    return conflict, preference


def _check_no_overlap(periods: Sequence[Period]) -> None:
    # The scorer counts conflicts and double-booking per period id, so two periods that overlap
    # in time would let a speaker be in two rooms at once unnoticed: parallel sessions are rooms.
    ordered = sorted(periods, key=lambda period: period.start)
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if later.start < earlier.end:
            raise ProgrammeInputError(
                f"periods {earlier.id} and {later.id} overlap in time; parallel sessions are "
                "rooms of one period, not overlapping periods"
            )


def conference_from_json(data: Any) -> Conference:
    """Validate a decoded problem-B instance; raises :class:`ProgrammeInputError`."""
    data = _object(data, "the instance")
    kind = data.get("kind")
    if kind != CONFERENCE_KIND:
        raise ProgrammeInputError(f"kind is {kind!r}, expected {CONFERENCE_KIND!r}")
    version = data.get("schema_version", 1)
    if version != 1:
        raise ProgrammeInputError(f"schema_version {version!r} is not supported (only 1)")
    periods = tuple(
        _period(item, n)
        for n, item in enumerate(_list(_field(data, "periods", "instance"), "periods"))
    )
    rooms = tuple(
        _room(item, n) for n, item in enumerate(_list(_field(data, "rooms", "instance"), "rooms"))
    )
    if not periods or not rooms:
        raise ProgrammeInputError("the instance needs at least one period and one room")
    _unique_ids(periods, "periods")
    _unique_ids(rooms, "rooms")
    _check_no_overlap(periods)
    period_ids = {period.id for period in periods}
    speakers = tuple(
        _speaker(item, n, period_ids)
        for n, item in enumerate(_list(_field(data, "speakers", "instance"), "speakers"))
    )
    _unique_ids(speakers, "speakers")
    speaker_ids = {speaker.id for speaker in speakers}
    talks = tuple(
        _talk(item, n, speaker_ids)
        for n, item in enumerate(_list(_field(data, "talks", "instance"), "talks"))
    )
    if not talks:
        raise ProgrammeInputError("the instance has no talks")
    _unique_ids(talks, "talks")
    talk_ids = {talk.id for talk in talks}
    attendees = tuple(
        _attendee(item, n, talk_ids)
        for n, item in enumerate(_list(data.get("attendees", []), "attendees"))
    )
    conflict, preference = _weights(data.get("objective_weights", {}))
    return Conference(
        name=str(data.get("name", "")),
        periods=periods,
        rooms=rooms,
        speakers=speakers,
        talks=talks,
        attendees=attendees,
        audience_conflict_weight=conflict,
        speaker_preference_weight=preference,
    )


def json_load(path: str | Path, what: str) -> Any:
    """Decode a JSON file, turning every way it can be unreadable into one clear line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ProgrammeInputError(f"{what} {str(path)!r} does not exist") from error
    except (OSError, UnicodeDecodeError) as error:
        raise ProgrammeInputError(f"cannot read {what} {str(path)!r}: {error}") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ProgrammeInputError(
            f"{what} {str(path)!r} is not valid JSON (line {error.lineno}: {error.msg})"
        ) from error


def conference_load(path: str | Path) -> Conference:
    """Read and validate an instance file; raises :class:`ProgrammeInputError`."""
    return conference_from_json(json_load(path, "instance"))


def placements_from_json(
    data: Any, conference: Conference, *, what: str, pin: bool = False
) -> dict[str, Placement]:
    """Read ``{talk_id: [period_id, room_id]}`` against ``conference``.

    For a previous programme (``pin`` false), talks the conference no longer has are dropped:
    a talk withdrawn since the last run is no reason to refuse the run. A pin must name a known
    talk and may leave the room open (``null``). An unknown period or room is always an error,
    because it cannot be a place to keep a talk in.
    """
    data = _object(data, what)
    periods = {period.id for period in conference.periods}
    rooms = {room.id for room in conference.rooms}
    talks = {talk.id for talk in conference.talks}
    placements: dict[str, Placement] = {}
    for talk, value in data.items():
        where = f"{what}: talk {talk!r}"
        if pin and talk not in talks:
            raise ProgrammeInputError(f"{what} names unknown talk {talk!r}")
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise ProgrammeInputError(f"{where} must be [period_id, room_id], got {value!r}")
        period = _integer(value[0], f"{where} period", minimum=0)
        if period not in periods:
            raise ProgrammeInputError(f"{where} names unknown period {period}")
        room: str | None = None
        if value[1] is not None or not pin:
            room = _text(value[1], f"{where} room")
            if room not in rooms:
                raise ProgrammeInputError(f"{where} names unknown room {room!r}")
        if talk in talks:
            placements[talk] = (period, room)
    return placements
