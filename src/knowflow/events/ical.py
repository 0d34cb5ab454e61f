"""iCalendar (RFC 5545) for occurrences: one writer for downloads, feeds and email invitations.

The `icalendar` library does the parts where correctness is subtle: the calendar header, the
VTIMEZONE components (built from the tz database for the years the events span) and the
quoting of ORGANIZER/ATTENDEE parameters. VEVENTs are written here as content lines (TEXT
escaping and line folding as RFC 5545 defines them) rather than as `icalendar.Event` objects,
because building and serialising 500 `Event` objects takes 450-650 ms on our 2-CPU machine
(bench/feed_bench.py) and a person's feed has to render in under 100 ms. The tests parse
everything this module writes with `icalendar` and `recurring-ical-events` (including text
full of escapes and multi-byte characters), so the shortcut cannot drift from what real
parsers accept.

Every occurrence keeps one UID for its whole life (`occurrence-<id>@<host>`), its SEQUENCE
(raised by `events.services` on every visible change) and STATUS:CANCELLED once cancelled, so
subscribed calendars and invitations update the same entry instead of adding a second one.
Times carry the IANA zone of the room's office (so "10:00 in Berlin" stays 10:00 in Berlin
across a DST change) or UTC for an online-only occurrence.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from icalendar import Calendar, Timezone, vCalAddress, vText
from icalendar.parser import Contentline

from knowflow.events.models import Occurrence, Session
from knowflow.links import is_web_url
from knowflow.markdown import markdown_to_text

PRODID = "-//Knowflow//Knowflow calendar 1.0//EN"
# How often a subscribed client should fetch a feed again (RFC 7986 REFRESH-INTERVAL).
REFRESH_INTERVAL = "PT1H"

CONFIRMED, TENTATIVE, CANCELLED = "CONFIRMED", "TENTATIVE", "CANCELLED"


@dataclass(frozen=True)
class Attendee:
    """The addressee of an invitation (iTIP needs ORGANIZER and ATTENDEE; feeds need neither)."""

    name: str
    email: str


def uid_host() -> str:
    """The right-hand side of every UID: the site's host, so two installations never collide.

    It comes from KNOWFLOW_BASE_URL; changing that setting changes every UID, which calendar
    clients would see as new events (the docs say so).
    """
    return urlsplit(settings.KNOWFLOW_BASE_URL).hostname or "knowflow"


def occurrence_uid(occurrence_id: int) -> str:
    return f"occurrence-{occurrence_id}@{uid_host()}"


def session_url(slug: str) -> str:
    return settings.KNOWFLOW_BASE_URL + reverse("events:session", args=[slug])


@dataclass(frozen=True)
class _Site:
    """What every event of one calendar shares, looked up once per calendar: resolving a URL
    and reading settings 500 times costs more than writing the events."""

    uid_host: str
    session_url_pattern: str  # the session page's absolute URL with "{slug}" for the slug

    @classmethod
    def current(cls) -> _Site:
        marker = "slug-placeholder"
        pattern = session_url(marker).replace(marker, "{slug}")
        return cls(uid_host=uid_host(), session_url_pattern=pattern)

    def session_url(self, slug: str) -> str:
        return self.session_url_pattern.replace("{slug}", slug)


@functools.lru_cache(maxsize=256)
def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    """The office's zone, or None (write UTC) for a name the tz database does not know."""
    if not name or name == "UTC":
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def zone_name_for(*, has_room: bool, office_timezone: str) -> str:
    """The zone an occurrence is written in: its room's office, or UTC when it is online only
    (or its office names a zone this machine does not know)."""
    zone = _zone(office_timezone) if has_room else None
    return zone.key if zone is not None else "UTC"


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """What a VEVENT shows of an occurrence: a plain read model.

    Feeds build these straight from database rows (`selectors`), skipping ORM model objects,
    which cost more than writing the iCalendar text; emails build one from an `Occurrence`.
    """

    occurrence_id: int
    start: datetime
    end: datetime
    sequence: int
    online_url: str
    title: str
    slug: str
    abstract: str
    session_cancelled: bool
    room: str = ""  # empty: online only
    office: str = ""
    city: str = ""
    zone: str = "UTC"
    status: str = CONFIRMED

    @classmethod
    def from_occurrence(cls, occurrence: Occurrence, *, status: str = CONFIRMED) -> CalendarEvent:
        """Needs `occurrence.session` and `occurrence.room.office` (select_related)."""
        session, room = occurrence.session, occurrence.room
        office = room.office if room is not None else None
        return cls(
            occurrence_id=occurrence.pk,
            start=occurrence.start,
            end=occurrence.end,
            sequence=occurrence.sequence,
            online_url=occurrence.online_url,
            title=session.title,
            slug=session.slug,
            abstract=session.abstract,
            session_cancelled=session.status == Session.Status.CANCELLED
            or occurrence.cancelled_at is not None,
            room=room.name if room is not None else "",
            office=office.name if office is not None else "",
            city=office.city if office is not None else "",
            zone=zone_name_for(
                has_room=room is not None, office_timezone=office.timezone if office else ""
            ),
            status=status,
        )

    @property
    def location(self) -> str:
        if not self.room:
            return "Online"
        place = ", ".join(part for part in (self.room, self.office, self.city) if part)
        return f"{place} (and online)" if self.online_url else place


def fold(line: str) -> str:
    """Fold a content line into 75-octet pieces (RFC 5545 3.1), never inside a UTF-8 sequence.

    Like `icalendar`, a piece never ends with the backslash of an escape (some clients
    mis-read a split "\\n"). Lines are folded by octets in one pass over the encoded bytes
    instead of character by character, which is where most of the library's time goes.
    """
    if line.isascii():  # one octet per character: cut the string itself
        pieces, start, limit = [], 0, 75
        while len(line) - start > limit:
            cut = start + limit
            if line[cut - 1] == "\\":
                cut -= 1
            pieces.append(line[start:cut])
            start, limit = cut, 74
        pieces.append(line[start:])
        return "\r\n ".join(pieces)
    raw = line.encode()
    if len(raw) <= 75:
        return line
    pieces: list[bytes] = []
    start, limit = 0, 75
    while len(raw) - start > limit:
        cut = start + limit
        while raw[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: back up to its lead byte
            cut -= 1
        if raw[cut - 1] == 0x5C and cut - 1 > start:  # do not end a piece on a backslash
            cut -= 1
        pieces.append(raw[start:cut])
        start, limit = cut, 74  # continuation lines start with the folding space
    pieces.append(raw[start:])
    return b"\r\n ".join(pieces).decode()


def text_value(value: str) -> str:
    """TEXT escaping (RFC 5545 3.3.11), as `icalendar.vText` does it, minus the per-value
    object: backslash first, then ; and , and every line break as \\n."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _uri(value: str) -> str:
    # A URI value is not TEXT-escaped; a line break inside one would end the content line.
    return "".join(value.split())


def _when(name: str, moment: datetime, zone_name: str) -> str:
    if zone_name == "UTC":
        return f"{name}:{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    local = moment.astimezone(_zone(zone_name))
    return f"{name};TZID={zone_name}:{local:%Y%m%dT%H%M%S}"


def _address_line(name: str, address: vCalAddress) -> str:
    return str(Contentline.from_parts(name, address.params, address))


def description_text(abstract: str, page: str) -> str:
    """DESCRIPTION: the abstract as plain text (calendars show it as typed, so its Markdown is
    rendered to words, lists and "text (address)" links), then the session page."""
    about = markdown_to_text(abstract)
    return f"{about}\n\n{page}" if about else page


def vevent(
    event: CalendarEvent,
    *,
    stamp: datetime,
    attendee: Attendee | None = None,
    site: _Site | None = None,
) -> list[str]:
    """The content lines of one VEVENT, folded, without line ends.

    A cancelled session always gives STATUS:CANCELLED, whatever the event's own status.
    """
    status = CANCELLED if event.session_cancelled else event.status
    site = site or _Site.current()
    page = site.session_url(event.slug)
    lines = [
        "BEGIN:VEVENT",
        f"UID:occurrence-{event.occurrence_id}@{site.uid_host}",
        f"DTSTAMP:{stamp.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        f"SEQUENCE:{event.sequence}",
        _when("DTSTART", event.start, event.zone),
        _when("DTEND", event.end, event.zone),
        f"SUMMARY:{text_value(event.title)}",
        f"DESCRIPTION:{text_value(description_text(event.abstract, page))}",
        f"LOCATION:{text_value(event.location)}",
        f"STATUS:{status}",
    ]
    if is_web_url(event.online_url):  # a stored non-http(s) link is never handed to a calendar
        link = _uri(event.online_url)
        lines.append(f"URL;VALUE=URI:{link}")
        lines.append(f"CONFERENCE;VALUE=URI;FEATURE=VIDEO;LABEL=Join online:{link}")
    else:
        lines.append(f"URL;VALUE=URI:{_uri(page)}")
    if attendee is not None:
        organizer = vCalAddress(f"mailto:{_from_address()}")
        organizer.params["CN"] = "Knowflow"
        guest = vCalAddress(f"mailto:{attendee.email}")
        guest.params.update(
            {
                "CN": attendee.name,
                "ROLE": "REQ-PARTICIPANT",
                "PARTSTAT": "ACCEPTED",
                "RSVP": "FALSE",
            }
        )
        lines.append(_address_line("ORGANIZER", organizer))
        lines.append(_address_line("ATTENDEE", guest))
    lines.append("END:VEVENT")
    return [line if len(line) <= 75 and line.isascii() else fold(line) for line in lines]


def _from_address() -> str:
    from email.utils import parseaddr

    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "knowflow@localhost"


@functools.lru_cache(maxsize=128)
def vtimezone(zone_name: str, first_year: int, last_year: int) -> str:
    """VTIMEZONE text for the years a calendar spans; built once per process per span."""
    component = Timezone.from_tzid(
        zone_name, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)
    )
    return component.to_ical().decode()


def _header(*, name: str, method: str | None) -> str:
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    if method:
        calendar.add("METHOD", method)
    else:
        # Names and refresh hints only matter to subscriptions; iTIP messages carry none.
        calendar.add("NAME", name)
        calendar.add("X-WR-CALNAME", name)
        calendar.add("REFRESH-INTERVAL", vText(REFRESH_INTERVAL), parameters={"VALUE": "DURATION"})
        calendar.add("X-PUBLISHED-TTL", REFRESH_INTERVAL)
    text = calendar.to_ical().decode()
    end = "END:VCALENDAR\r\n"
    assert text.endswith(end)
    return text[: -len(end)]


def calendar_text(
    events: Iterable[CalendarEvent],
    *,
    name: str,
    method: str | None = None,
    attendee: Attendee | None = None,
    stamp: datetime | None = None,
) -> str:
    """A whole VCALENDAR for these events, with the VTIMEZONEs they use.

    `method` makes it an iTIP message (REQUEST, CANCEL) for `attendee`; without it, it is a
    feed or a download.
    """
    stamp = stamp or datetime.now(UTC)
    site = _Site.current()
    lines: list[str] = []
    spans: dict[str, tuple[int, int]] = {}
    for event in events:
        lines.extend(vevent(event, stamp=stamp, attendee=attendee, site=site))
        if event.zone != "UTC":
            # From a year before the first event, so the component covers every date used.
            first, last = spans.get(event.zone, (event.start.year - 1, event.end.year))
            spans[event.zone] = (min(first, event.start.year - 1), max(last, event.end.year))
    parts = [_header(name=name, method=method)]
    parts.extend(vtimezone(zone, first, last) for zone, (first, last) in sorted(spans.items()))
    if lines:
        parts.append("\r\n".join(lines) + "\r\n")
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts)
