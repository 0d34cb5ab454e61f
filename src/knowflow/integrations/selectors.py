"""Read queries for calendar feeds.

Each feed is one query: occurrences with their session, room and office joined in (and, for a
person, their own registration status as an annotation), read as plain rows into
`ical.CalendarEvent`s, so rendering issues no query per event. Tests pin the counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.circles.models import Circle
from knowflow.errors import NotFound
from knowflow.events import ical
from knowflow.events.models import Occurrence, Registration, Session
from knowflow.integrations.models import CalendarFeedToken
from knowflow.topics.models import Topic

# A feed carries the past year too, so last month's sessions stay in the subscribed calendar,
# but not the whole history, which would grow every feed without bound.
FEED_HISTORY = timedelta(days=365)

# The columns a VEVENT shows, in the order `_events` reads them.
FEED_COLUMNS = (
    "pk",
    "start",
    "end",
    "sequence",
    "online_url",
    "session__title",
    "session__slug",
    "session__abstract",
    "session__status",
    "room_id",
    "room__name",
    "room__office__name",
    "room__office__city",
    "room__office__timezone",
    "cancelled_at",
)

LIVE_REGISTRATION = (Registration.Status.GOING, Registration.Status.WAITLISTED)


def _feed_rows(occurrences: QuerySet[Occurrence], *, now: datetime) -> QuerySet[Occurrence]:
    return occurrences.filter(end__gte=now - FEED_HISTORY).order_by("start", "id")


def _events(rows: Iterable[tuple], *, waitlisted_at: int | None = None) -> list[ical.CalendarEvent]:
    """Rows of FEED_COLUMNS (plus, for a person, their registration status) as events.

    Plain tuples, not model objects: for a 500-event feed, building ORM objects took longer
    than the query and the iCalendar text together.
    """
    events = []
    for row in rows:
        (pk, start, end, sequence, url, title, slug, abstract, status, room_id, room, office,
         city, zone, cancelled_at) = row[:15]  # fmt: skip
        events.append(
            ical.CalendarEvent(
                occurrence_id=pk,
                start=start,
                end=end,
                sequence=sequence,
                online_url=url,
                title=title,
                slug=slug,
                abstract=abstract,
                session_cancelled=status == Session.Status.CANCELLED or cancelled_at is not None,
                room=room or "",
                office=office or "",
                city=city or "",
                zone=ical.zone_name_for(has_room=room_id is not None, office_timezone=zone or ""),
                status=ical.TENTATIVE
                if waitlisted_at is not None
                and row[waitlisted_at] == Registration.Status.WAITLISTED
                else ical.CONFIRMED,
            )
        )
    return events


def feed_token_for(*, person: Person) -> CalendarFeedToken | None:
    return CalendarFeedToken.objects.filter(person=person).first()


def feed_owner(*, secret: str) -> Person:
    """The person a feed secret belongs to, or NotFound (also for a revoked secret)."""
    token = (
        CalendarFeedToken.objects.filter(secret=secret).select_related("person").first()
        if secret
        else None
    )
    if token is None:
        raise NotFound("There is no calendar feed at this address.")
    return token.person


def person_feed_entries(*, person: Person, now: datetime | None = None) -> list[ical.CalendarEvent]:
    """The person's calendar: occurrences they are going to or waiting for, and their talks.

    A waitlisted place is TENTATIVE (it may still turn into a seat); a cancelled registration
    drops out of the feed, which removes the event from a subscribed calendar.
    """
    now = now or timezone.now()
    registered = Registration.objects.filter(person=person, status__in=LIVE_REGISTRATION)
    spoken = Session.speakers.through.objects.filter(person=person)
    rows = (
        _feed_rows(
            Occurrence.objects.filter(
                Q(pk__in=registered.values("occurrence_id"))
                | Q(session_id__in=spoken.values("session_id"))
            ),
            now=now,
        )
        .annotate(
            my_status=Subquery(registered.filter(occurrence=OuterRef("pk")).values("status")[:1])
        )
        .values_list(*FEED_COLUMNS, "my_status")
    )
    return _events(rows, waitlisted_at=len(FEED_COLUMNS))


def circle_for_feed(*, slug: str) -> Circle:
    """Any circle: its programme is public within the organisation, like its page (an
    invite-only circle limits who joins, not who may see its sessions)."""
    circle = Circle.objects.filter(slug=slug).first()
    if circle is None:
        raise NotFound("There is no such circle.")
    return circle


def circle_feed_entries(*, circle: Circle, now: datetime | None = None) -> list[ical.CalendarEvent]:
    occurrences = _feed_rows(
        Occurrence.objects.filter(session__circle=circle), now=now or timezone.now()
    )
    return _events(occurrences.values_list(*FEED_COLUMNS))


def topic_for_feed(*, slug: str) -> Topic:
    topic = Topic.objects.filter(slug=slug).first()
    if topic is None:
        raise NotFound("There is no such topic.")
    return topic


def topic_feed_entries(*, topic: Topic, now: datetime | None = None) -> list[ical.CalendarEvent]:
    occurrences = _feed_rows(
        Occurrence.objects.filter(session__topics=topic), now=now or timezone.now()
    )
    return _events(occurrences.values_list(*FEED_COLUMNS))


def occurrence_for_download(*, occurrence_id: int) -> Occurrence:
    occurrence = (
        Occurrence.objects.filter(pk=occurrence_id)
        .select_related("session", "room__office")
        .first()
    )
    if occurrence is None:
        raise NotFound("There is no such date.")
    return occurrence


@dataclass(frozen=True)
class FeedUrls:
    """Where a calendar application subscribes: the same address as https:// and webcal://."""

    https: str
    webcal: str


def feed_urls(
    *, token: CalendarFeedToken, circle: Circle | None = None, topic: Topic | None = None
) -> FeedUrls:
    """The person's feed (or, through the same secret, a circle's or a topic's feed)."""
    if circle is not None:
        path = reverse("calendar:circle_feed", args=[token.secret, circle.slug])
    elif topic is not None:
        path = reverse("calendar:topic_feed", args=[token.secret, topic.slug])
    else:
        path = reverse("calendar:person_feed", args=[token.secret])
    https = settings.KNOWFLOW_BASE_URL + path
    return FeedUrls(https=https, webcal="webcal://" + https.split("://", 1)[1])
