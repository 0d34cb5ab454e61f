"""Running a conference: creating it and its tracks, putting sessions into it as talks, and
publishing a release of its programme. Enablers only; every refusal writes nothing.

Publishing takes the conference's row lock first, so two organisers pressing "Publish" at the
same moment make releases N and N+1 one after the other (each with its own changelog) rather
than two releases N (the unique constraint is the backstop).
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone as django_timezone
from django.utils.text import slugify

from knowflow.accounts.models import Person
from knowflow.accounts.services import check_timezone
from knowflow.conferences.models import Conference, ConferenceTalk, Release, Star, Track
from knowflow.conferences.permissions import can_manage_conferences, can_see_conferences
from knowflow.conferences.selectors import release_preview
from knowflow.errors import Conflict, DomainError, Forbidden
from knowflow.events.models import Session

ENABLERS_ONLY = "Only enablers run conferences."
# The export URLs begin with the slug (/<slug>/schedule.json), and the c3voc acronym made from
# it needs at least four letters or digits.
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_LENGTH = (4, 50)
ACRONYM = re.compile(r"^[a-z0-9_-][a-z0-9_]{3,}(-2[0-9]{3}-[a-z]+)?$")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_DAYS = 31
DEFAULT_COLOUR = "#1f5fbf"


def _check_actor(actor: Person) -> None:
    if not can_manage_conferences(actor=actor):
        raise Forbidden(ENABLERS_ONLY)


def _route_words(patterns: list[URLPattern | URLResolver]) -> set[str]:
    words: set[str] = set()
    for pattern in patterns:
        first = str(pattern.pattern).lstrip("^").split("/", 1)[0]
        if not first and isinstance(pattern, URLResolver):
            words |= _route_words(pattern.url_patterns)  # included at the root: its own words
        elif first and re.fullmatch(r"[\w.-]+", first):  # a literal word, not a <parameter>
            words.add(first.lower())
    return words


@functools.cache
def reserved_slugs() -> frozenset[str]:
    """The first path segments of the site's own URLs (/admin/, /sessions/, /search/ …), read
    from the root URLconf, plus the static and media folders: a conference named like one of
    them would shadow it, or be shadowed, at /<slug>/schedule.json."""
    words = _route_words(get_resolver().url_patterns)
    words.add(settings.STATIC_URL.strip("/").split("/")[0])
    words.add("media")
    return frozenset(words)


def acronym_for(slug: str) -> str:
    """The c3voc acronym of a slug: the slug itself when it fits the pattern ("devconf",
    "devconf-2025-berlin"), else with its hyphens as underscores ("dev-days" → "dev_days")."""
    return slug if ACRONYM.fullmatch(slug) else slug.replace("-", "_")


def check_conference_fields(
    *,
    name: str,
    slug: str,
    timezone: str,
    starts_on: date,
    ends_on: date,
    conference: Conference | None = None,
) -> tuple[str, str]:
    """The cleaned name and slug, or a DomainError naming the first field that is wrong (the
    admin's form asks the same questions through this)."""
    name = name.strip()
    if not name:
        raise DomainError("A conference needs a name.", field="name")
    if len(name) > 120:
        raise DomainError("A conference's name has at most 120 characters.", field="name")
    slug = (slug.strip() or slugify(name)[: SLUG_LENGTH[1]].strip("-")).lower()
    low, high = SLUG_LENGTH
    if not SLUG.fullmatch(slug) or not low <= len(slug) <= high:
        raise DomainError(
            f"The short name is {low} to {high} lower-case letters, digits and single hyphens "
            "(e.g. devdays-2025): it is the start of the programme's addresses.",
            field="slug",
        )
    if slug in reserved_slugs():
        raise DomainError(
            f"“{slug}” is taken by one of Knowflow's own addresses (/{slug}/): choose another "
            "short name.",
            field="slug",
        )
    others = Conference.objects.filter(slug=slug)
    if conference is not None:
        others = others.exclude(pk=conference.pk)
    if others.exists():
        raise Conflict(f"Another conference already has the short name “{slug}”.", field="slug")
    check_timezone(timezone)  # DomainError on "timezone"
    if ends_on < starts_on:
        raise DomainError("The last day cannot be before the first day.", field="ends_on")
    if (ends_on - starts_on).days + 1 > MAX_DAYS:
        raise DomainError(f"A conference lasts at most {MAX_DAYS} days.", field="ends_on")
    return name, slug


@transaction.atomic
def conference_create(
    *,
    actor: Person,
    name: str,
    timezone: str,
    starts_on: date,
    ends_on: date,
    slug: str = "",
    description: str = "",
) -> Conference:
    """A new conference (enablers). The slug, made from the name when not given, is the start
    of its export URLs and gives its c3voc acronym, which never changes afterwards."""
    _check_actor(actor)
    timezone = timezone.strip()
    name, slug = check_conference_fields(
        name=name, slug=slug, timezone=timezone, starts_on=starts_on, ends_on=ends_on
    )
    return Conference.objects.create(
        name=name,
        slug=slug,
        acronym=acronym_for(slug),
        description=description,
        timezone=timezone,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor,
    )


def track_slug_for(conference: Conference, name: str) -> str:
    # The XSD wants a track slug to start with a letter and hold no underscore.
    base = slugify(name).replace("_", "-").strip("-")[:80] or "track"
    if not base[0].isalpha():
        base = f"track-{base}"
    taken = set(Track.objects.filter(conference=conference).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def track_create(
    *, actor: Person, conference: Conference, name: str, colour: str = DEFAULT_COLOUR
) -> Track:
    """A track of the conference, with the colour schedule apps draw it in (#rrggbb)."""
    _check_actor(actor)
    name = name.strip()
    if not name or len(name) > 80:
        raise DomainError("A track needs a name of at most 80 characters.", field="name")
    if Track.objects.filter(conference=conference, name__iexact=name).exists():
        raise Conflict(f"{conference.name} already has a track called {name}.", field="name")
    if not COLOUR.fullmatch(colour.strip()):
        raise DomainError("The colour is written #rrggbb, e.g. #1f5fbf.", field="colour")
    return Track.objects.create(
        conference=conference,
        name=name,
        slug=track_slug_for(conference, name),
        colour=colour.strip().lower(),
    )


@transaction.atomic
def talk_add(
    *, actor: Person, conference: Conference, session: Session, track: Track | None = None
) -> ConferenceTalk:
    """Put an existing session into the conference as a talk (in a track of that conference,
    or none). Its time and room stay its session's date: moving the date moves the talk at the
    next release."""
    _check_actor(actor)
    if track is not None and track.conference_id != conference.pk:
        raise DomainError(f"{track.name} is a track of another conference.", field="track")
    if session.status == Session.Status.CANCELLED:
        raise DomainError(f"“{session.title}” is cancelled.", field="session")
    existing = ConferenceTalk.objects.filter(session=session).select_related("conference").first()
    if existing is not None:
        raise Conflict(
            f"“{session.title}” is already a talk of {existing.conference.name}.",
            field="session",
        )
    return ConferenceTalk.objects.create(conference=conference, session=session, track=track)


@transaction.atomic
def release_publish(
    *, actor: Person, conference: Conference, now: datetime | None = None
) -> Release:
    """Publish the programme as it is now: the c3voc schedule document of the live data (a
    fixed number of queries whatever the number of talks) stored whole in release N+1, with
    its changelog against release N. Refused (Conflict) when nothing changed since release N.
    The exports switch to the new release at once: their cache keys hold its number."""
    _check_actor(actor)
    locked = Conference.objects.select_for_update().get(pk=conference.pk)
    preview = release_preview(conference=locked)
    if preview.unchanged:
        raise Conflict(
            f"Nothing has changed since release {preview.number - 1}: there is nothing to publish."
        )
    return Release.objects.create(
        conference=locked,
        number=preview.number,
        published_at=now or django_timezone.now(),
        published_by=actor,
        schedule=preview.document,
        changes=preview.changes,
    )


def star_set(*, actor: Person, talk: ConferenceTalk, starred: bool) -> bool:
    """Put a talk in the member's agenda (``starred``) or take it out; True when that changed
    something. Any member, any talk of a conference: asking twice is not an error."""
    if not can_see_conferences(actor=actor):
        raise Forbidden("Conferences are for the organisation's members.")
    if starred:
        _, created = Star.objects.get_or_create(talk=talk, person=actor)
        return created
    deleted, _ = Star.objects.filter(talk=talk, person=actor).delete()
    return deleted > 0


@transaction.atomic
def conference_update(
    *,
    actor: Person,
    conference: Conference,
    name: str,
    timezone: str,
    starts_on: date,
    ends_on: date,
    description: str = "",
) -> Conference:
    """Change a conference's name, zone, days and description (enablers). Its short name and
    acronym never change: schedule apps and calendars know it by them."""
    _check_actor(actor)
    timezone = timezone.strip()
    name, _ = check_conference_fields(
        name=name,
        slug=conference.slug,
        timezone=timezone,
        starts_on=starts_on,
        ends_on=ends_on,
        conference=conference,
    )
    conference.name, conference.timezone = name, timezone
    conference.starts_on, conference.ends_on = starts_on, ends_on
    conference.description = description
    conference.save(update_fields=["name", "timezone", "starts_on", "ends_on", "description"])
    return conference


@transaction.atomic
def talk_remove(*, actor: Person, talk: ConferenceTalk) -> None:
    """Take a talk out of the conference (its session stays, as any session): it leaves the
    programme at the next release, whose changelog says so."""
    _check_actor(actor)
    ConferenceTalk.objects.filter(pk=talk.pk).delete()
