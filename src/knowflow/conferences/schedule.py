"""The c3voc schedule document (schedule.json) of a conference, and the changelog between two.

The document is the format of frab, pretalx and the c3voc tools (validated in the tests against
the published JSON Schema and XSD): a conference with its tracks and rooms, then its days, each
with its rooms, each with its events. It is built here from plain rows (`selectors` reads them
from the database in a fixed number of queries) and stored whole in a `Release`; the XML and
iCalendar exports are rendered from that stored document, never from the live data.

Choices the format leaves open:
- an event's `id` is its session's id and its `guid` the talk's, made once; a person's `guid`
  is uuid5(NAMESPACE_URL, "acct:" + email) as the schema describes (from their page's address
  when they have no email), so all of them stay the same from release to release;
- times are written in the conference's zone with their offset; a talk belongs to the day of
  its start in that zone, and the days run from the first day to the last (widened when a
  talk lies outside them, so that no talk is lost);
- a session with several dates is a talk at its first date that is not cancelled;
- a talk without a room is in a room called "Online"; two rooms of one name in different
  offices are told apart by their office.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib import metadata
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.text import slugify

SCHEMA_URL = "https://c3voc.de/schedule/schema.json"


def _version() -> str:
    try:
        return metadata.version("knowflow")
    except metadata.PackageNotFoundError:
        return "0"


GENERATOR = {"name": "Knowflow", "version": _version()}
TIMESLOT = "00:05"
ONLINE = "Online"
# The c3voc JSON Schema only accepts zone names of this shape (and UTC); the XML takes any.
C3VOC_ZONE = re.compile(r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$")
# Characters XML 1.0 cannot carry at all (not even escaped); removed from every text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class ConferenceInfo:
    name: str
    slug: str
    acronym: str
    description: str
    timezone: str
    starts_on: date
    ends_on: date


@dataclass(frozen=True, slots=True)
class TrackInfo:
    id: int
    name: str
    slug: str
    colour: str


@dataclass(frozen=True, slots=True)
class SpeakerInfo:
    name: str
    email: str
    page_url: str
    bio: str


class TalkState:
    LIVE = "live"  # a date that is not cancelled: in the programme
    CANCELLED = "cancelled"  # the session, or every date of it, was cancelled
    UNSCHEDULED = "unscheduled"  # no date at all (yet, or any more)


@dataclass(frozen=True, slots=True)
class TalkInfo:
    """A talk with its session and the date it is shown at (`start` is None unless live)."""

    guid: str
    session_id: int
    title: str
    session_slug: str
    abstract: str
    format: str
    language: str
    track_id: int | None
    state: str
    start: datetime | None = None
    end: datetime | None = None
    room_id: int | None = None
    room_name: str = ""
    room_office: str = ""
    room_capacity: int | None = None
    online_url: str = ""
    speakers: tuple[SpeakerInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """Absolute addresses, resolved once per document."""

    base_url: str
    programme_url: str
    session_url_pattern: str  # with "{slug}" for the session's slug
    feedback_url: str

    def session_url(self, slug: str) -> str:
        return self.session_url_pattern.replace("{slug}", slug)


def clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def event_slug(acronym: str, session_id: int, title: str) -> str:
    """pretalx's "<acronym>-<id>-<title>", shaped to fit both the JSON Schema
    (``^[a-z0-9_-]+[a-z0-9]$``) and the XSD (``[a-z0-9_]{4,}-[a-z0-9\\-_]{4,}``)."""
    words = slugify(title)[:50].strip("-_")
    rest = f"{session_id}-{words}" if len(words) >= 3 else f"talk-{session_id}"
    return f"{acronym.replace('-', '_')}-{rest}"


def person_guid(email: str, page_url: str) -> str:
    if email:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, "acct:" + email.strip().lower()))
    return str(uuid.uuid5(uuid.NAMESPACE_URL, page_url))


def room_names(talks: list[TalkInfo]) -> dict[int | None, str]:
    """The name each room is shown by: its own, or with its office when two rooms (or a room
    and the online "room") share a name."""
    rooms = {
        t.room_id: (" ".join(clean(t.room_name).split()), " ".join(clean(t.room_office).split()))
        for t in talks
        if t.room_id is not None
    }
    by_name: dict[str, set[int | None]] = defaultdict(set)
    for room_id, (name, _) in rooms.items():
        by_name[name].add(room_id)
    if any(t.room_id is None for t in talks):
        by_name[ONLINE].add(None)
    names: dict[int | None, str] = {None: ONLINE}
    for room_id, (name, office) in rooms.items():
        names[room_id] = name if len(by_name[name]) == 1 else f"{name} ({office})"
    return names


def _event(
    talk: TalkInfo,
    *,
    conference: ConferenceInfo,
    zone: ZoneInfo,
    room: str,
    track: str | None,
    site: SiteInfo,
) -> dict[str, Any]:
    assert talk.start is not None and talk.end is not None
    start, end = talk.start.astimezone(zone), talk.end.astimezone(zone)
    minutes = int((end - start).total_seconds() // 60)
    links = []
    if talk.online_url.startswith(("https://", "http://")):
        links.append({"type": "web", "url": talk.online_url, "title": "Join online"})
    return {
        "guid": talk.guid,
        "id": talk.session_id,
        "date": start.isoformat(),
        "start": f"{start:%H:%M}",
        "end": end.isoformat(),
        "duration": hhmm(minutes),
        "room": room,
        "slug": event_slug(conference.acronym, talk.session_id, talk.title),
        "url": site.session_url(talk.session_slug),
        "title": clean(talk.title),
        "subtitle": "",
        "track": track,
        "type": talk.format,
        "language": talk.language or None,
        "abstract": clean(talk.abstract),
        "persons": [
            {
                "guid": person_guid(s.email, s.page_url),
                "name": clean(s.name),
                "url": s.page_url,
                "biography": clean(s.bio) or None,
            }
            for s in talk.speakers
        ],
        "links": links,
        "feedback_url": site.feedback_url,
    }


def schedule_document(
    *,
    conference: ConferenceInfo,
    tracks: list[TrackInfo],
    talks: list[TalkInfo],
    version: str,
    site: SiteInfo,
) -> dict[str, Any]:
    """The whole schedule.json of the talks in the programme (the live ones)."""
    zone = ZoneInfo(conference.timezone)
    live = sorted(
        (t for t in talks if t.state == TalkState.LIVE and t.start is not None),
        key=lambda t: (t.start, t.session_id),
    )
    names = room_names(live)
    track_names = {t.id: t.name for t in tracks}
    by_day: dict[date, list[TalkInfo]] = defaultdict(list)
    for talk in live:
        assert talk.start is not None
        by_day[talk.start.astimezone(zone).date()].append(talk)
    first = min([conference.starts_on, *by_day])
    last = max([conference.ends_on, *by_day])
    # Rooms in the order of their names, the online "room" last.
    rooms = sorted({(t.room_id is None, names[t.room_id], t.room_id) for t in live})
    capacity = {t.room_id: t.room_capacity for t in live}
    days = []
    for index in range((last - first).days + 1):
        day = first + timedelta(days=index)
        day_talks = by_day.get(day, [])
        midnight = datetime.combine(day, time(0), tzinfo=zone)
        day_start = min((t.start for t in day_talks if t.start), default=midnight)
        day_end = max(
            (t.end for t in day_talks if t.end),
            default=datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone),
        )
        in_rooms: dict[str, list[dict[str, Any]]] = {name: [] for _, name, _ in rooms}
        for talk in day_talks:
            name = names[talk.room_id]
            in_rooms[name].append(
                _event(
                    talk,
                    conference=conference,
                    zone=zone,
                    room=name,
                    track=track_names.get(talk.track_id) if talk.track_id else None,
                    site=site,
                )
            )
        days.append(
            {
                "index": index + 1,
                "date": day.isoformat(),
                "day_start": day_start.astimezone(zone).isoformat(),
                "day_end": day_end.astimezone(zone).isoformat(),
                "rooms": in_rooms,
            }
        )
    described: dict[str, Any] = {
        "acronym": conference.acronym,
        "title": clean(conference.name),
        "start": first.isoformat(),
        "end": last.isoformat(),
        "daysCount": len(days),
        "timeslot_duration": TIMESLOT,
    }
    if conference.description:
        described["description"] = clean(conference.description)
    if C3VOC_ZONE.match(conference.timezone):
        described["time_zone_name"] = conference.timezone
    described |= {
        "url": site.programme_url,
        "tracks": [{"name": t.name, "slug": t.slug, "color": t.colour} for t in tracks],
        "rooms": [
            _room(name, room_id, capacity.get(room_id), site=site, slug=conference.slug)
            for _, name, room_id in rooms
        ],
        "days": days,
    }
    return {
        "$schema": SCHEMA_URL,
        "generator": GENERATOR,
        "schedule": {
            "version": version,
            "base_url": site.base_url + "/",
            "conference": described,
        },
    }


def _room(
    name: str, room_id: int | None, capacity: int | None, *, site: SiteInfo, slug: str
) -> dict[str, Any]:
    if room_id is None:
        where = f"{site.base_url}/conferences/{slug}/online"
        return {"name": name, "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, where)), "type": "online"}
    where = f"{site.base_url}/rooms/{room_id}"
    return {"name": name, "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, where)), "capacity": capacity}


# Reading a document back ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublishedTalk:
    """One event of a stored document, as the changelog and the programme page read it."""

    guid: str
    session_id: int
    title: str
    start: datetime
    end: datetime
    room: str
    track: str | None
    type: str
    url: str
    persons: tuple[str, ...]
    online: bool


def published_talks(document: dict[str, Any]) -> list[PublishedTalk]:
    """Every event of a document, by start time then room."""
    found = []
    for day in document["schedule"]["conference"]["days"]:
        for room, events in day["rooms"].items():
            for event in events:
                found.append(
                    PublishedTalk(
                        guid=event["guid"],
                        session_id=event["id"],
                        title=event["title"],
                        start=datetime.fromisoformat(event["date"]),
                        end=datetime.fromisoformat(event["end"]),
                        room=room,
                        track=event["track"],
                        type=event["type"],
                        url=event["url"],
                        persons=tuple(p["name"] for p in event["persons"]),
                        online=any(link.get("type") == "web" for link in event["links"]),
                    )
                )
    found.sort(key=lambda t: (t.start, t.room, t.session_id))
    return found


# The changelog -------------------------------------------------------------------------------


def _when(moment: datetime, zone: ZoneInfo, *, with_date: bool) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %H:%M}" if with_date else f"{local:%a %H:%M}"


def _same_content(previous: dict[str, Any], current: dict[str, Any]) -> bool:
    """Whether two documents hold the same programme (their version numbers and generators
    aside)."""

    def content(document: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in document["schedule"].items() if k != "version"}

    return content(previous) == content(current)


def nothing_changed(previous: dict[str, Any] | None, current: dict[str, Any]) -> bool:
    return previous is not None and _same_content(previous, current)


def changelog(
    *,
    previous: dict[str, Any] | None,
    current: dict[str, Any],
    talks: list[TalkInfo],
    timezone: str,
) -> list[str]:
    """What changed for a reader since the previous release, one line a change, in the order
    of the programme, with times in the conference's zone ("“X” moved from Tue 10:00 to Wed
    14:00"). A talk that left the programme says why when the data still knows (cancelled,
    no date any more, taken out of the conference)."""
    now = {t.guid: t for t in published_talks(current)}
    if previous is None:
        days = len({t.start.date() for t in now.values()})
        counted = f"{len(now)} talk{'s' if len(now) != 1 else ''}"
        return [f"First release: {counted} on {days} day{'s' if days != 1 else ''}."]
    zone = ZoneInfo(timezone)
    before = {t.guid: t for t in published_talks(previous)}
    states = {t.guid: t for t in talks}
    lines: list[tuple[datetime, str, str]] = []
    for guid, talk in now.items():
        old = before.get(guid)
        if old is None:
            when = _when(talk.start, zone, with_date=False)
            lines.append((talk.start, talk.room, f"“{talk.title}” added: {when}, {talk.room}."))
            continue
        if old.title != talk.title:
            lines.append((talk.start, talk.room, f"“{old.title}” is now called “{talk.title}”."))
        if old.start != talk.start:
            far = abs(old.start - talk.start) >= timedelta(days=6)
            lines.append(
                (
                    talk.start,
                    talk.room,
                    f"“{talk.title}” moved from {_when(old.start, zone, with_date=far)} "
                    f"to {_when(talk.start, zone, with_date=far)}.",
                )
            )
        if old.room != talk.room:
            lines.append(
                (talk.start, talk.room, f"“{talk.title}” moved from {old.room} to {talk.room}.")
            )
        old_minutes = int((old.end - old.start).total_seconds() // 60)
        minutes = int((talk.end - talk.start).total_seconds() // 60)
        if old_minutes != minutes:
            lines.append(
                (
                    talk.start,
                    talk.room,
                    f"“{talk.title}” now lasts {minutes} minutes (was {old_minutes}).",
                )
            )
    for guid, old in before.items():
        if guid in now:
            continue
        state = states.get(guid)
        was = f"{_when(old.start, zone, with_date=False)}, {old.room}"
        if state is None:
            line = f"“{old.title}” was taken out of the programme (it was on {was})."
        elif state.state == TalkState.CANCELLED:
            line = f"“{old.title}” was cancelled (it was on {was})."
        else:
            line = f"“{old.title}” has no date any more (it was on {was})."
        lines.append((old.start, old.room, line))
    lines.sort(key=lambda item: (item[0], item[1]))  # the programme's order: time, room
    found = [line for _, _, line in lines]
    if not found:
        found = ["Descriptions, speakers or links were updated; no talk moved."]
    return found
