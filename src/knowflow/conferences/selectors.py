"""Read queries for conferences: the live data a release is made from (a fixed number of
queries whatever the size), and the published releases the pages and exports read.

The exports and the programme page read only the newest release: one small query for its
number, then the rendered bytes (or the page's rows) from Django's cache under a key holding
that number, or, on a miss, one more query for the stored document. A new release has a new
number, so publishing invalidates every cached copy on every process without telling any.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, QuerySet
from django.urls import reverse

from knowflow.conferences import exports
from knowflow.conferences.models import Conference, ConferenceTalk, Release, Star, Track
from knowflow.conferences.schedule import (
    ConferenceInfo,
    PublishedTalk,
    SiteInfo,
    SpeakerInfo,
    TalkInfo,
    TalkState,
    TrackInfo,
    changelog,
    nothing_changed,
    published_talks,
    schedule_document,
)
from knowflow.errors import NotFound
from knowflow.events.models import Occurrence, Session

# Cached renderings live a day; a new release never reads an old key, so this only bounds the
# memory an abandoned release keeps.
CACHE_SECONDS = 24 * 3600
NO_CONFERENCE = "There is no such conference."


def conference_list() -> QuerySet[Conference]:
    """Every conference, newest first, with the number of its latest release (None before the
    first)."""
    # Explicit order: Django leaves Meta.ordering out of a query with GROUP BY.
    return Conference.objects.annotate(latest_release=Max("releases__number")).order_by(
        "-starts_on", "name", "id"
    )


def conference_get(*, slug: str) -> Conference:
    conference = Conference.objects.filter(slug=slug).first()
    if conference is None:
        raise NotFound(NO_CONFERENCE)
    return conference


# The live data -------------------------------------------------------------------------------


def site_info(*, conference_slug: str) -> SiteInfo:
    base = settings.KNOWFLOW_BASE_URL
    marker = "slug-placeholder"
    return SiteInfo(
        base_url=base,
        programme_url=base + reverse("conferences:programme", args=[conference_slug]),
        session_url_pattern=base
        + reverse("events:session", args=[marker]).replace(marker, "{slug}"),
        # Surveys are personal (a link per person and date): the stable address every attendee
        # reaches theirs from is "waiting for your answer", which lists this session's survey
        # to whoever was asked (knowflow.feedback.views.my_requests).
        feedback_url=base + reverse("feedback:my_requests"),
    )


def _person_url_pattern() -> str:
    marker = "slug-placeholder"
    pattern = reverse("accounts:person", args=[marker]).replace(marker, "{slug}")
    return settings.KNOWFLOW_BASE_URL + pattern


def conference_info(conference: Conference) -> ConferenceInfo:
    return ConferenceInfo(
        name=conference.name,
        slug=conference.slug,
        acronym=conference.acronym,
        description=conference.description,
        timezone=conference.timezone,
        starts_on=conference.starts_on,
        ends_on=conference.ends_on,
    )


def tracks_of(*, conference: Conference) -> list[TrackInfo]:
    return [
        TrackInfo(id=pk, name=name, slug=slug, colour=colour)
        for pk, name, slug, colour in Track.objects.filter(conference=conference)
        .order_by("name", "id")
        .values_list("id", "name", "slug", "colour")
    ]


def talks_of(*, conference: Conference) -> list[TalkInfo]:
    """Every talk of the conference with the date it is shown at: three queries (talks, their
    dates, their speakers), whatever the number of talks. Rows, not model objects: a 300-talk
    release is built from about 1,500 of them."""
    talks = list(
        ConferenceTalk.objects.filter(conference=conference)
        .order_by("id")
        .values_list(
            "guid",
            "session_id",
            "session__title",
            "session__slug",
            "session__abstract",
            "session__format",
            "session__language",
            "session__status",
            "track_id",
        )
    )
    in_conference = {"session__conference_talk__conference": conference}
    dates: dict[int, tuple] = {}
    cancelled: set[int] = set()
    for row in (
        Occurrence.objects.filter(**in_conference)
        .order_by("session_id", "start", "id")
        .values_list(
            "session_id",
            "start",
            "end",
            "room_id",
            "room__name",
            "room__office__name",
            "room__capacity",
            "online_url",
            "cancelled_at",
        )
    ):
        if row[-1] is not None:
            cancelled.add(row[0])
        else:
            dates.setdefault(row[0], row)  # the first date that is not cancelled
    person_url = _person_url_pattern()
    speakers: dict[int, list[SpeakerInfo]] = {}
    for session_id, name, email, slug, bio in (
        Session.speakers.through.objects.filter(**in_conference)
        .order_by("session_id", "id")
        .values_list(
            "session_id", "person__display_name", "person__email", "person__slug", "person__bio"
        )
    ):
        speakers.setdefault(session_id, []).append(
            SpeakerInfo(
                name=name, email=email, page_url=person_url.replace("{slug}", slug), bio=bio
            )
        )
    found = []
    for guid, session_id, title, slug, abstract, fmt, language, status, track_id in talks:
        date = dates.get(session_id)
        if status == Session.Status.CANCELLED or (date is None and session_id in cancelled):
            state = TalkState.CANCELLED
        elif date is None:
            state = TalkState.UNSCHEDULED
        else:
            state = TalkState.LIVE
        common: dict[str, Any] = {
            "guid": str(guid),
            "session_id": session_id,
            "title": title,
            "session_slug": slug,
            "abstract": abstract,
            "format": fmt,
            "language": language,
            "track_id": track_id,
            "speakers": tuple(speakers.get(session_id, ())),
        }
        if state != TalkState.LIVE or date is None:
            found.append(TalkInfo(state=state, **common))
            continue
        _, start, end, room_id, room, office, capacity, online_url, _ = date
        found.append(
            TalkInfo(
                state=state,
                start=start,
                end=end,
                room_id=room_id,
                room_name=room or "",
                room_office=office or "",
                room_capacity=capacity,
                online_url=online_url,
                **common,
            )
        )
    return found


@dataclass(frozen=True)
class Draft:
    """The schedule the live data makes now, and what it was made from."""

    document: dict[str, Any]
    talks: list[TalkInfo]


def schedule_draft(*, conference: Conference, version: str) -> Draft:
    """The schedule document of the live data (four queries: tracks, talks, dates, speakers)."""
    talks = talks_of(conference=conference)
    document = schedule_document(
        conference=conference_info(conference),
        tracks=tracks_of(conference=conference),
        talks=talks,
        version=version,
        site=site_info(conference_slug=conference.slug),
    )
    return Draft(document=document, talks=talks)


def latest_release(*, conference: Conference) -> Release | None:
    return Release.objects.filter(conference=conference).order_by("-number").first()


@dataclass(frozen=True)
class ReleasePreview:
    """What publishing now would publish: the next number, the document, its changelog."""

    number: int
    document: dict[str, Any]
    changes: list[str]
    unchanged: bool  # the same programme as the latest release: nothing to publish
    talks: list[TalkInfo]

    @property
    def in_programme(self) -> list[TalkInfo]:
        return [t for t in self.talks if t.state == TalkState.LIVE]

    @property
    def left_out(self) -> list[TalkInfo]:
        """Talks of the conference the programme cannot show: cancelled, or without a date."""
        return [t for t in self.talks if t.state != TalkState.LIVE]


def release_preview(*, conference: Conference) -> ReleasePreview:
    """The next release of the live data against the latest one, in six queries whatever the
    number of talks (the latest release, the conference's tracks, talks, dates, speakers)."""
    previous = latest_release(conference=conference)
    number = previous.number + 1 if previous else 1
    draft = schedule_draft(conference=conference, version=str(number))
    before = previous.schedule if previous else None
    unchanged = nothing_changed(before, draft.document)
    changes = (
        []
        if unchanged
        else changelog(
            previous=before,
            current=draft.document,
            talks=draft.talks,
            timezone=conference.timezone,
        )
    )
    return ReleasePreview(
        number=number,
        document=draft.document,
        changes=changes,
        unchanged=unchanged,
        talks=draft.talks,
    )


# The published programme ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseRef:
    """The newest release of a conference, without its document."""

    id: int
    number: int
    published_at: datetime
    conference_id: int
    conference_slug: str
    conference_name: str

    def cache_key(self, what: str) -> str:
        return f"conferences:{self.conference_id}:release:{self.number}:{self.id}:{what}"


def release_ref(*, slug: str) -> ReleaseRef:
    """The newest release of the conference `slug` (one query), or NotFound saying whether the
    conference exists and is not published yet (a second query, on that path only)."""
    row = (
        Release.objects.filter(conference__slug=slug)
        .order_by("-number")
        .values_list("id", "number", "published_at", "conference_id", "conference__name")
        .first()
    )
    if row is None:
        name = Conference.objects.filter(slug=slug).values_list("name", flat=True).first()
        if name is None:
            raise NotFound(NO_CONFERENCE)
        raise NotFound(f"The programme of {name} is not published yet.")
    pk, number, published_at, conference_id, name = row
    return ReleaseRef(
        id=pk,
        number=number,
        published_at=published_at,
        conference_id=conference_id,
        conference_slug=slug,
        conference_name=name,
    )


def _document(ref: ReleaseRef) -> dict[str, Any]:
    return Release.objects.values_list("schedule", flat=True).get(pk=ref.id)


@dataclass(frozen=True)
class Export:
    content: bytes
    content_type: str
    filename: str
    etag: str


FORMATS = {
    "json": "application/json; charset=utf-8",
    "xml": "application/xml; charset=utf-8",
    "ics": "text/calendar; charset=utf-8",
}


def schedule_export(*, ref: ReleaseRef, fmt: str) -> Export:
    """The newest release in one format, from the cache or rendered from its stored document
    (then cached under the release's number)."""
    key = ref.cache_key(f"export:{fmt}")
    content = cache.get(key)
    if content is None:
        document = _document(ref)
        if fmt == "json":
            content = exports.schedule_json(document)
        elif fmt == "xml":
            url = settings.KNOWFLOW_BASE_URL + reverse(
                "conference_exports:schedule_xml", args=[ref.conference_slug]
            )
            content = exports.schedule_xml(document, url=url)
        else:
            content = exports.schedule_ics(document, sequence=ref.number, stamp=ref.published_at)
        cache.set(key, content, CACHE_SECONDS)
    return Export(
        content=content,
        content_type=FORMATS[fmt],
        filename=f"{ref.conference_slug}-schedule.{fmt}",
        etag=f'"{ref.conference_id}-{ref.number}-{ref.id}-{fmt}"',
    )


@dataclass(frozen=True)
class PublishedProgramme:
    """What the programme page shows of a release: its talks and the filters' choices."""

    number: int
    published_at: datetime
    timezone_name: str  # as the document names it ("" when it does not)
    talks: list[PublishedTalk]
    tracks: list[dict[str, str]]
    rooms: list[str]
    formats: list[str]


def published_programme(*, ref: ReleaseRef) -> PublishedProgramme:
    key = ref.cache_key("programme")
    programme = cache.get(key)
    if programme is None:
        document = _document(ref)
        conference = document["schedule"]["conference"]
        talks = published_talks(document)
        programme = PublishedProgramme(
            number=ref.number,
            published_at=ref.published_at,
            timezone_name=conference.get("time_zone_name", ""),
            talks=talks,
            tracks=conference["tracks"],
            rooms=[room["name"] for room in conference["rooms"]],
            formats=sorted({talk.type for talk in talks}),
        )
        cache.set(key, programme, CACHE_SECONDS)
    return programme


@dataclass(frozen=True)
class ReleaseEntry:
    number: int
    published_at: datetime
    published_by: str
    changes: list[str]


def release_history(*, ref: ReleaseRef) -> list[ReleaseEntry]:
    """Every release up to `ref`, newest first, with its changelog (not its document); cached
    with the newest release, which is the only thing that changes it."""
    key = ref.cache_key("history")
    history = cache.get(key)
    if history is None:
        history = [
            ReleaseEntry(number=number, published_at=at, published_by=by or "", changes=changes)
            for number, at, by, changes in Release.objects.filter(
                conference_id=ref.conference_id, number__lte=ref.number
            )
            .order_by("-number")
            .values_list("number", "published_at", "published_by__display_name", "changes")
        ]
        cache.set(key, history, CACHE_SECONDS)
    return history


# Stars: each member's agenda, and the interest the organisers see ---------------------------


def talk_get(*, conference_slug: str, guid: str) -> ConferenceTalk:
    talk = (
        ConferenceTalk.objects.filter(conference__slug=conference_slug, guid=guid)
        .select_related("session")
        .first()
    )
    if talk is None:
        raise NotFound("There is no such talk in this conference.")
    return talk


def starred_guids(*, person_id: int, conference_id: int) -> set[str]:
    """The talks in one member's agenda, by guid (one query)."""
    return {
        str(guid)
        for guid in Star.objects.filter(
            person_id=person_id, talk__conference_id=conference_id
        ).values_list("talk__guid", flat=True)
    }


def star_counts(*, conference_id: int) -> dict[str, int]:
    """How many members want to see each talk, by guid (one query): the organisers' view of
    interest. Counts only: who starred a talk is shown to nobody."""
    return {
        str(guid): count
        for guid, count in Star.objects.filter(
            talk__conference_id=conference_id, person__deactivated_at__isnull=True
        )
        .values_list("talk__guid")
        .annotate(count=Count("id"))
        .values_list("talk__guid", "count")
    }


def interest_of(*, conference: Conference) -> dict[int, set[int]]:
    """Each member's starred talks (person id → session ids): the audience-conflict data a
    programme is built from (two talks one person wants to see should not run at once)."""
    found: dict[int, set[int]] = {}
    for person_id, session_id in Star.objects.filter(
        talk__conference=conference, person__deactivated_at__isnull=True
    ).values_list("person_id", "talk__session_id"):
        found.setdefault(person_id, set()).add(session_id)
    return found


def agenda_export(*, ref: ReleaseRef, person_id: int, name: str) -> Export:
    """One member's agenda of the newest release as a calendar file: the starred talks that
    are in the programme, with the same UIDs as the whole programme's file (not cached: it is
    one person's, and a handful of events)."""
    guids = starred_guids(person_id=person_id, conference_id=ref.conference_id)
    picked = hashlib.sha256(" ".join(sorted(guids)).encode()).hexdigest()[:16]
    content = exports.schedule_ics(
        _document(ref),
        sequence=ref.number,
        stamp=ref.published_at,
        only=guids,
        name=f"{ref.conference_name}: {name}'s agenda",
    )
    return Export(
        content=content,
        content_type=FORMATS["ics"],
        filename=f"{ref.conference_slug}-agenda.ics",
        etag=f'"{ref.conference_id}-{ref.number}-{ref.id}-agenda-{person_id}-{picked}"',
    )
