"""What goes into a digest, for a whole batch of people at once.

`digests_for` reads everything a batch needs in a fixed number of queries (ten at most, whatever
the batch's size), then sorts it out per person in Python: composing the digest of 20,000 people
is forty batches of 500, not 20,000 × ten queries. What it reads:

- new dates: dates created since the person's last digest, still to come, not cancelled, of a
  scheduled session in one of their circles or on one of their skills, that lie wholly inside
  their working hours (`WorkingHours.covers`, in their zone), and that they neither speak at
  nor have registered for;
- surveys waiting: their survey requests that were sent and are still open (their own; the
  digest shows nobody's answers, so the anonymity rules are not concerned);
- recordings they missed: a recording published since their last digest of a session whose
  date they registered for (going), that has ended, and that they did not attend (in the room,
  online or by watching the recording already).

- topic requests they voted for (or asked for) that were scheduled: the session a request
  became got a date since their last digest, still to come and not cancelled — the earliest
  such date per request.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q

from knowflow.accounts.models import Person
from knowflow.accounts.working_hours import InvalidWorkingHours, WorkingHours
from knowflow.circles.models import Membership
from knowflow.demand.models import Vote
from knowflow.digest.models import DigestSubscription
from knowflow.events.models import Attendance, Occurrence, Registration, Session
from knowflow.feedback.models import SurveyRequest
from knowflow.library.models import Resource

MAX_NEW_DATES = 15  # a digest is a glance, not the catalogue: the rest is one link away


@dataclass(frozen=True)
class NewDate:
    occurrence_id: int
    session_title: str
    session_slug: str
    start: datetime
    end: datetime
    why: str  # "in your circle Platform Guild", "on your skill Kubernetes"


@dataclass(frozen=True)
class WaitingSurvey:
    request_id: int
    session_title: str
    closes_at: datetime | None


@dataclass(frozen=True)
class MissedRecording:
    session_title: str
    resource_title: str
    resource_slug: str


@dataclass(frozen=True)
class ScheduledRequest:
    request_title: str
    session_title: str
    session_slug: str
    start: datetime
    end: datetime


@dataclass
class Digest:
    person: Person
    new_dates: list[NewDate] = field(default_factory=list)
    more_dates: int = 0  # beyond MAX_NEW_DATES
    surveys: list[WaitingSurvey] = field(default_factory=list)
    recordings: list[MissedRecording] = field(default_factory=list)
    requests: list[ScheduledRequest] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.new_dates or self.surveys or self.recordings or self.requests)


def person_zone_and_hours(person: Person) -> tuple[zoneinfo.ZoneInfo, WorkingHours]:
    """The person's zone and working hours, or UTC and 09:00–17:00 on weekdays when what is
    stored cannot be read (a row written around the services): one bad row must not stop
    everyone else's digest."""
    try:
        zone = person.zone
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    try:
        hours = person.hours
    except InvalidWorkingHours:
        hours = WorkingHours.default()
    return zone, hours


def digests_for(*, people: list[Person], since: dict[int, datetime], now: datetime) -> list[Digest]:
    """The digest of each person of the batch (empty ones included), in the batch's order.

    `since[person.pk]` is when their previous digest was composed: dates and recordings newer
    than that are new to them. Twelve queries at most, whatever the number of people.
    """
    if not people:
        return []
    ids = [person.pk for person in people]
    earliest = min(since[pk] for pk in ids)

    circles_of: dict[int, dict[int, str]] = defaultdict(dict)
    for person_id, circle_id, name in Membership.objects.filter(person_id__in=ids).values_list(
        "person_id", "circle_id", "circle__name"
    ):
        circles_of[person_id][circle_id] = name
    skills_of: dict[int, dict[int, str]] = defaultdict(dict)
    for person_id, topic_id, name in Person.skills.through.objects.filter(
        person_id__in=ids
    ).values_list("person_id", "topic_id", "topic__name"):
        skills_of[person_id][topic_id] = name

    new_dates = _new_dates(people, since, now, earliest, circles_of, skills_of)
    surveys = _waiting_surveys(ids, now)
    recordings = _missed_recordings(ids, since, now, earliest)
    requests = _scheduled_requests(ids, since, now, earliest)

    digests = []
    for person in people:
        dates = new_dates.get(person.pk, [])
        digests.append(
            Digest(
                person=person,
                new_dates=dates[:MAX_NEW_DATES],
                more_dates=max(0, len(dates) - MAX_NEW_DATES),
                surveys=surveys.get(person.pk, []),
                recordings=recordings.get(person.pk, []),
                requests=requests.get(person.pk, []),
            )
        )
    return digests


@dataclass(frozen=True)
class _Candidate:
    """A new date as the batch loop needs it: plain values, no model instances (a batch walks
    each person's candidates, and attribute access on model instances was most of its time)."""

    occurrence_id: int
    session_id: int
    circle_id: int | None
    title: str
    slug: str
    start: datetime
    end: datetime
    created_at: datetime


def _new_dates(
    people: list[Person],
    since: dict[int, datetime],
    now: datetime,
    earliest: datetime,
    circles_of: dict[int, dict[int, str]],
    skills_of: dict[int, dict[int, str]],
) -> dict[int, list[NewDate]]:
    circle_ids = {c for circles in circles_of.values() for c in circles}
    topic_ids = {t for topics in skills_of.values() for t in topics}
    if not circle_ids and not topic_ids:
        return {}
    on_skills = Session.topics.through.objects.filter(topic_id__in=topic_ids).values("session_id")
    candidates = [
        _Candidate(*row)
        for row in Occurrence.objects.filter(
            Q(session__circle_id__in=circle_ids) | Q(session_id__in=on_skills),
            created_at__gte=earliest,
            start__gt=now,
            cancelled_at__isnull=True,
            session__status=Session.Status.SCHEDULED,
        )
        .order_by("start", "id")
        .values_list(
            "id",
            "session_id",
            "session__circle_id",
            "session__title",
            "session__slug",
            "start",
            "end",
            "created_at",
        )
    ]
    if not candidates:
        return {}
    # Each person's candidates are the dates of their circles and of their skills' sessions:
    # looked up by key rather than by walking every new date of the organisation per person.
    by_circle: dict[int, list[_Candidate]] = defaultdict(list)
    by_session: dict[int, list[_Candidate]] = defaultdict(list)
    for candidate in candidates:
        if candidate.circle_id is not None:
            by_circle[candidate.circle_id].append(candidate)
        by_session[candidate.session_id].append(candidate)
    sessions_of_topic: dict[int, list[int]] = defaultdict(list)
    for session_id, topic_id in Session.topics.through.objects.filter(
        session_id__in=by_session, topic_id__in=topic_ids
    ).values_list("session_id", "topic_id"):
        sessions_of_topic[topic_id].append(session_id)
    ids = [person.pk for person in people]
    # Dates they are already going to (or waitlisted for), and sessions they give: not news.
    taken = set(
        Registration.objects.filter(
            person_id__in=ids, occurrence_id__in=[c.occurrence_id for c in candidates]
        )
        .exclude(status=Registration.Status.CANCELLED)
        .values_list("person_id", "occurrence_id")
    )
    speaking = set(
        Session.speakers.through.objects.filter(
            person_id__in=ids, session_id__in=by_session
        ).values_list("person_id", "session_id")
    )

    # Many people share a zone and working hours: each date is checked once per pair.
    covered: dict[tuple[str, str, int], bool] = {}
    found: dict[int, list[NewDate]] = {}
    for person in people:
        circles, skills = circles_of.get(person.pk, {}), skills_of.get(person.pk, {})
        why_of: dict[int, str] = {}  # occurrence id → why it is there (a circle first)
        mine: dict[int, _Candidate] = {}
        for circle_id, name in circles.items():
            for candidate in by_circle.get(circle_id, ()):
                mine[candidate.occurrence_id] = candidate
                why_of[candidate.occurrence_id] = f"in your circle {name}"
        on_my_skills: dict[int, list[str]] = defaultdict(list)
        for topic_id, name in skills.items():
            for session_id in sessions_of_topic.get(topic_id, ()):
                for candidate in by_session[session_id]:
                    if candidate.occurrence_id not in why_of:
                        mine[candidate.occurrence_id] = candidate
                        on_my_skills[candidate.occurrence_id].append(name)
        for occurrence_id, names in on_my_skills.items():
            why_of[occurrence_id] = "on your skill " + ", ".join(sorted(names))
        if not mine:
            continue
        zone, hours = person_zone_and_hours(person)
        hours_key = repr(hours.days)
        fresh_after = since[person.pk]
        dates: list[NewDate] = []
        for candidate in sorted(mine.values(), key=lambda c: (c.start, c.occurrence_id)):
            if candidate.created_at < fresh_after:
                continue
            if (person.pk, candidate.occurrence_id) in taken:
                continue
            if (person.pk, candidate.session_id) in speaking:
                continue
            key = (zone.key, hours_key, candidate.occurrence_id)
            if key not in covered:
                covered[key] = hours.covers(zone, candidate.start, candidate.end)
            if not covered[key]:
                continue
            dates.append(
                NewDate(
                    occurrence_id=candidate.occurrence_id,
                    session_title=candidate.title,
                    session_slug=candidate.slug,
                    start=candidate.start,
                    end=candidate.end,
                    why=why_of[candidate.occurrence_id],
                )
            )
        if dates:
            found[person.pk] = dates
    return found


def _waiting_surveys(ids: list[int], now: datetime) -> dict[int, list[WaitingSurvey]]:
    waiting: dict[int, list[WaitingSurvey]] = defaultdict(list)
    for request_id, person_id, title, expires_at in (
        SurveyRequest.objects.filter(
            person_id__in=ids, status=SurveyRequest.Status.SENT, expires_at__gt=now
        )
        .order_by("expires_at", "id")
        .values_list("id", "person_id", "occurrence__session__title", "expires_at")
    ):
        waiting[person_id].append(
            WaitingSurvey(request_id=request_id, session_title=title, closes_at=expires_at)
        )
    return waiting


def _missed_recordings(
    ids: list[int], since: dict[int, datetime], now: datetime, earliest: datetime
) -> dict[int, list[MissedRecording]]:
    recordings_of: dict[int, list[tuple[str, str, datetime]]] = defaultdict(list)
    fresh = Resource.objects.filter(
        kind=Resource.Kind.RECORDING, session__isnull=False, created_at__gte=earliest
    )
    registered = list(
        Registration.objects.filter(
            person_id__in=ids,
            status=Registration.Status.GOING,
            occurrence__end__lte=now,
            occurrence__cancelled_at__isnull=True,
            occurrence__session_id__in=fresh.values("session_id"),
        )
        .values_list("person_id", "occurrence__session_id", "occurrence__session__title")
        .order_by("occurrence__start", "id")
    )
    if not registered:
        return {}
    session_ids = {session_id for _, session_id, _ in registered}
    for session_id, title, slug, created_at in (
        fresh.filter(session_id__in=session_ids)
        .order_by("created_at", "id")
        .values_list("session_id", "title", "slug", "created_at")
    ):
        recordings_of[session_id].append((title, slug, created_at))
    attended = set(
        Attendance.objects.filter(
            person_id__in=ids, occurrence__session_id__in=session_ids
        ).values_list("person_id", "occurrence__session_id")
    )
    missed: dict[int, list[MissedRecording]] = defaultdict(list)
    seen: set[tuple[int, int]] = set()
    for person_id, session_id, session_title in registered:
        if (person_id, session_id) in attended or (person_id, session_id) in seen:
            continue
        seen.add((person_id, session_id))
        for title, slug, created_at in recordings_of.get(session_id, ()):
            if created_at >= since[person_id]:
                missed[person_id].append(
                    MissedRecording(
                        session_title=session_title, resource_title=title, resource_slug=slug
                    )
                )
    return missed


def _scheduled_requests(
    ids: list[int], since: dict[int, datetime], now: datetime, earliest: datetime
) -> dict[int, list[ScheduledRequest]]:
    """Two queries: the new dates of sessions that answered topic requests, then who among the
    batch voted for those requests (requesters come with the first)."""
    rows = list(
        Occurrence.objects.filter(
            created_at__gte=earliest,
            start__gt=now,
            cancelled_at__isnull=True,
            session__status=Session.Status.SCHEDULED,
            session__topic_requests__isnull=False,
        )
        .order_by("start", "id")
        .values_list(
            "session__topic_requests__id",
            "session__topic_requests__title",
            "session__topic_requests__requester_id",
            "session__title",
            "session__slug",
            "start",
            "end",
            "created_at",
        )
    )
    if not rows:
        return {}
    asked_by: dict[int, set[int]] = defaultdict(set)
    for request_id, _, requester_id, *_rest in rows:
        asked_by[request_id].add(requester_id)
    for request_id, person_id in Vote.objects.filter(
        request_id__in=list(asked_by), person_id__in=ids
    ).values_list("request_id", "person_id"):
        asked_by[request_id].add(person_id)
    wanted = set(ids)
    found: dict[int, list[ScheduledRequest]] = defaultdict(list)
    told: set[tuple[int, int]] = set()
    for request_id, request_title, _, title, slug, start, end, created_at in rows:
        for person_id in asked_by[request_id] & wanted:
            if created_at < since[person_id] or (person_id, request_id) in told:
                continue
            told.add((person_id, request_id))  # the earliest new date of each request
            found[person_id].append(ScheduledRequest(request_title, title, slug, start, end))
    return found


def digest_subscription_for(*, person: Person) -> DigestSubscription:
    """The person's digest setting as it stands: an unsaved weekly one (the default) when the
    job has not written their row yet."""
    found = DigestSubscription.objects.filter(person=person).first()
    return found or DigestSubscription(person=person, frequency=DigestSubscription.Frequency.WEEKLY)
