"""The published programme in the three formats schedule tools read, each rendered from the
stored schedule document of one release alone (never from live data):

- ``schedule.json``: the document itself (c3voc JSON);
- ``schedule.xml``: the same in frab's XML (the c3voc XSD);
- ``schedule.ics``: one VEVENT per talk (RFC 5545), UID = the talk's guid, so a calendar
  keeps one entry per talk for good, and SEQUENCE = the release number, so every client
  replaces its copy when a new release comes.

As in `events.ical` (whose escaping, folding and VTIMEZONE are used here), the VEVENTs are
written as content lines (the `icalendar` library writes the calendar header and the VTIMEZONE,
where the subtle parts are): building 300
`icalendar.Event` objects would take most of the time budget of the export. The tests parse
everything with `icalendar`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from knowflow.conferences.schedule import clean, published_talks
from knowflow.events import ical


def schedule_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _xml(value: object) -> str:
    """Text or attribute content: what XML 1.0 cannot carry removed, markup escaped."""
    text = clean("" if value is None else str(value))
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\r", "&#13;")
        .replace("\n", "&#10;")
        .replace("\t", "&#9;")
    )


def _element(tag: str, value: object, **attributes: object) -> str:
    attrs = "".join(f' {name}="{_xml(v)}"' for name, v in attributes.items())
    return f"<{tag}{attrs}>{_xml(value)}</{tag}>"


def schedule_xml(document: dict[str, Any], *, url: str) -> bytes:
    """frab's schedule.xml of a document; `url` is where this file is served.

    Written as text rather than as an ElementTree: 300 talks make some 9,000 elements, whose
    objects cost more than the text and, on a busy process, a full garbage collection now and
    then (a p95 of 100 ms against a median of 14 ms). The tests validate it with lxml."""
    schedule = document["schedule"]
    conference = schedule["conference"]
    generator = document.get("generator", {})
    out = [
        '<?xml version="1.0" encoding="utf-8"?>\n<schedule>',
        f'<generator name="{_xml(generator.get("name"))}"'
        f' version="{_xml(generator.get("version"))}"/>',
        _element("url", url),
        _element("version", schedule["version"]),
        "<conference>",
    ]
    for tag, value in (
        ("title", conference["title"]),
        ("acronym", conference["acronym"]),
        ("start", conference["start"]),
        ("end", conference["end"]),
        ("days", conference["daysCount"]),
        ("timeslot_duration", conference["timeslot_duration"]),
        ("base_url", schedule["base_url"]),
        ("url", conference["url"]),
    ):
        out.append(_element(tag, value))
    if "time_zone_name" in conference:
        out.append(_element("time_zone_name", conference["time_zone_name"]))
    for track in conference["tracks"]:
        out.append(
            _element(
                "track", track["name"], name=track["name"], color=track["color"], slug=track["slug"]
            )
        )
    out.append("</conference>")
    guids = {room["name"]: room["guid"] for room in conference["rooms"]}
    for day in conference["days"]:
        out.append(
            f'<day index="{day["index"]}" date="{_xml(day["date"])}"'
            f' start="{_xml(day["day_start"])}" end="{_xml(day["day_end"])}">'
        )
        for room, events in day["rooms"].items():
            out.append(f'<room name="{_xml(room)}" guid="{_xml(guids[room])}">')
            out.extend(_event_xml(event) for event in events)
            out.append("</room>")
        out.append("</day>")
    out.append("</schedule>\n")
    return "".join(out).encode()


def _event_xml(event: dict[str, Any]) -> str:
    parts = [f'<event guid="{_xml(event["guid"])}" id="{int(event["id"])}">']
    for tag in ("room", "title", "subtitle", "type", "date", "start", "duration", "abstract"):
        parts.append(_element(tag, event[tag]))
    parts.append(_element("slug", event["slug"]))
    parts.append(_element("track", event["track"]))
    parts.append("<persons>")
    parts.extend(
        _element("person", person["name"], guid=person["guid"]) for person in event["persons"]
    )
    parts.append("</persons>")
    if event["language"]:
        parts.append(_element("language", event["language"]))
    parts.append("<links>")
    parts.extend(
        _element("link", link.get("title", link["url"]), href=link["url"])
        for link in event["links"]
    )
    parts.append("</links>")
    parts.append(_element("url", event["url"]))
    parts.append(_element("feedback_url", event["feedback_url"]))
    parts.append("</event>")
    return "".join(parts)


# iCalendar -----------------------------------------------------------------------------------


def _when(name: str, moment: datetime, zone: str | None) -> str:
    if zone is None:
        return f"{name}:{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    # The document's times were written in the conference's zone: their wall time is local.
    return f"{name};TZID={zone}:{moment:%Y%m%dT%H%M%S}"


def schedule_ics(
    document: dict[str, Any],
    *,
    sequence: int,
    stamp: datetime,
    only: set[str] | None = None,
    name: str | None = None,
) -> bytes:
    """The whole programme as one calendar, or the talks whose guids are in ``only`` (a
    member's agenda, called ``name``). Times carry the conference's zone (with its VTIMEZONE)
    when the document names it, UTC otherwise."""
    conference = document["schedule"]["conference"]
    zone = conference.get("time_zone_name")
    zone = None if zone in (None, "UTC") else zone
    events = {
        event["guid"]: event
        for day in conference["days"]
        for room_events in day["rooms"].values()
        for event in room_events
    }
    # One line: a name with a line break (a person's, a conference's) would break the header.
    header = ical.calendar_text([], name=" ".join(clean(name or conference["title"]).split()))
    end = "END:VCALENDAR\r\n"
    parts = [header[: -len(end)]]
    talks = published_talks(document)
    if only is not None:
        talks = [talk for talk in talks if talk.guid in only]
    if zone is not None and talks:
        first, last = talks[0].start.year - 1, max(t.end.year for t in talks)
        parts.append(ical.vtimezone(zone, first, last))
    dtstamp = f"DTSTAMP:{stamp.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    lines: list[str] = []
    for talk in talks:
        event = events[talk.guid]
        lines += [
            "BEGIN:VEVENT",
            f"UID:{talk.guid}",
            dtstamp,
            f"SEQUENCE:{sequence}",
            _when("DTSTART", talk.start, zone),
            _when("DTEND", talk.end, zone),
            ical.fold(f"SUMMARY:{ical.text_value(talk.title)}"),
            ical.fold(
                "DESCRIPTION:"
                + ical.text_value(ical.description_text(event["abstract"] or "", talk.url))
            ),
            ical.fold(f"LOCATION:{ical.text_value(talk.room)}"),
            ical.fold(f"URL;VALUE=URI:{''.join(talk.url.split())}"),
        ]
        if talk.track:
            lines.append(ical.fold(f"CATEGORIES:{ical.text_value(talk.track)}"))
        lines += ["STATUS:CONFIRMED", "END:VEVENT"]
    if lines:
        parts.append("\r\n".join(lines) + "\r\n")
    parts.append(end)
    return "".join(parts).encode()
