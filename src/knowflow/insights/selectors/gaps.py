"""Knowledge gaps for the enablement team: the facts of each topic gathered from sessions,
registrations and searches, handed to the pure rules of :mod:`knowflow.discovery.gaps`.

An *expert* here is someone who taught the topic: a speaker of one of its sessions with a date
that took place (not cancelled). Open topic requests count with their votes, and their requesters and
voters are people who want the topic in their region. Searches that found nothing are anonymous (the log keeps no
person), so they count towards a topic's demand but never towards a region.
"""

from __future__ import annotations

import math
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count, F, Max
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.accounts.working_hours import InvalidWorkingHours, WorkingHours
from knowflow.demand.models import TopicRequest, Vote
from knowflow.discovery.gaps import (
    HOURS_PER_WEEK,
    Demand,
    Expert,
    Gap,
    TopicFacts,
    find_gaps,
    topic_phrases,
    topics_named_in,
)
from knowflow.events.models import Occurrence, Registration, Session
from knowflow.events.planning.audience import region_of
from knowflow.insights.selectors.periods import Period
from knowflow.library.models import SearchQueryLog
from knowflow.topics.models import Topic

# A search that found nothing is listed on its own (as a topic nobody has yet) once it was run
# this many times in the period: once is a typo as often as a need.
UNMET_SEARCH_MIN = 2
UNMET_SEARCH_LIMIT = 20


@dataclass(frozen=True)
class UnmetSearch:
    query: str
    searches: int


@dataclass(frozen=True)
class GapReport:
    period: Period
    gaps: list[Gap]
    topic_slugs: dict[int, str]
    unmet_searches: list[UnmetSearch]  # found nothing and named no topic
    last_sessions: dict[int, str]  # topic → slug of its last session held, to run it again
    person_slugs: dict[int, str]  # expert → slug of their page

    def of_kind(self, kind: str) -> list[Gap]:
        return [gap for gap in self.gaps if gap.kind == kind]


def week_hours(
    *, zone: zoneinfo.ZoneInfo, hours: WorkingHours, week_start: datetime
) -> frozenset[int]:
    """The whole hours of the week from ``week_start`` (a Monday 00:00 UTC) in which a person
    works, as indices 0–167. Computed on a real week, so that the offset is the one of that
    week (summer or winter time)."""
    week_end = week_start + timedelta(days=7)
    found: set[int] = set()
    for start, end in hours.windows_utc(zone, week_start, week_end):
        first = math.ceil((max(start, week_start) - week_start).total_seconds() / 3600)
        last = math.floor((min(end, week_end) - week_start).total_seconds() / 3600)
        found.update(range(max(first, 0), min(last, HOURS_PER_WEEK)))
    return frozenset(found)


def _reference_week(now: datetime) -> datetime:
    monday = now.astimezone(UTC).date() - timedelta(days=now.astimezone(UTC).weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=UTC)


class _Hours:
    """Each person's week, computed once per distinct zone and working hours."""

    def __init__(self, week_start: datetime) -> None:
        self.week_start = week_start
        self._cache: dict[tuple[str, str], frozenset[int]] = {}

    def of(self, zone_name: str, raw_hours: object) -> frozenset[int]:
        key = (zone_name, repr(raw_hours))
        if key not in self._cache:
            try:
                zone = zoneinfo.ZoneInfo(zone_name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                zone = zoneinfo.ZoneInfo("UTC")
            try:
                hours = WorkingHours.from_json(raw_hours)
            except InvalidWorkingHours:
                hours = WorkingHours.default()
            self._cache[key] = week_hours(zone=zone, hours=hours, week_start=self.week_start)
        return self._cache[key]


def _experts(now: datetime, hours: _Hours) -> dict[int, list[Expert]]:
    """Per topic, the people who taught it, with the date of their last session on it."""
    rows = (
        Occurrence.objects.filter(end__lte=now, cancelled_at__isnull=True)
        .exclude(session__status=Session.Status.CANCELLED)
        .filter(session__topics__isnull=False, session__speakers__isnull=False)
        .values("session__topics", "session__speakers")
        .annotate(last=Max("end"))
    )
    last_by_pair = {(r["session__topics"], r["session__speakers"]): r["last"] for r in rows}
    people = {
        p["id"]: p
        for p in Person.objects.filter(
            id__in={person for _, person in last_by_pair}, deactivated_at__isnull=True
        ).values("id", "display_name", "timezone", "working_hours")
    }
    experts: dict[int, list[Expert]] = defaultdict(list)
    for (topic_id, person_id), last in sorted(last_by_pair.items()):
        person = people.get(person_id)
        if person is None:  # left the organisation: their knowledge left with them
            continue
        experts[topic_id].append(
            Expert(
                person_id=person_id,
                name=person["display_name"],
                last_session=last.date(),
                hours=hours.of(person["timezone"], person["working_hours"]),
            )
        )
    return experts


def _last_sessions(topic_ids: set[int], now: datetime) -> dict[int, str]:
    """Per topic, the session whose date took place last: the one to run again."""
    rows = (
        Occurrence.objects.filter(
            end__lte=now, cancelled_at__isnull=True, session__topics__in=topic_ids
        )
        .exclude(session__status=Session.Status.CANCELLED)
        .values("session__topics")
        .annotate(last=Max("end"))
    )
    last = {r["session__topics"]: r["last"] for r in rows}
    found = (
        Occurrence.objects.filter(end__in=set(last.values()), session__topics__in=topic_ids)
        .values("session__topics", "end", "session__slug")
        .order_by("session__slug")
    )
    return {
        r["session__topics"]: r["session__slug"]
        for r in found
        if last.get(r["session__topics"]) == r["end"]
    }


def _sessions_in_period(period: Period) -> dict[int, int]:
    rows = (
        Occurrence.objects.filter(end__gte=period.start, cancelled_at__isnull=True)
        .exclude(session__status=Session.Status.CANCELLED)
        .filter(session__topics__isnull=False)
        .values("session__topics")
        .annotate(n=Count("session", distinct=True))
    )
    return {r["session__topics"]: r["n"] for r in rows}


def _waiting(now: datetime) -> Iterable[Mapping[str, Any]]:
    return (
        Registration.objects.filter(
            status=Registration.Status.WAITLISTED,
            occurrence__start__gt=now,
            occurrence__cancelled_at__isnull=True,
            occurrence__session__topics__isnull=False,
            person__deactivated_at__isnull=True,
        )
        .values(
            "occurrence__session__topics",
            "person_id",
            "person__timezone",
            "person__working_hours",
        )
        .distinct()
    )


def _open_requests() -> tuple[
    dict[int, int], Sequence[Mapping[str, Any]], Sequence[Mapping[str, Any]]
]:
    """Open topic requests per topic, and the people behind them (requesters, then voters),
    each row with the topic, the person and their zone and hours."""
    requests = dict(
        TopicRequest.objects.filter(status=TopicRequest.Status.OPEN, topics__isnull=False)
        .values("topics")
        .annotate(n=Count("id", distinct=True))
        .values_list("topics", "n")
    )
    person = ("person_id", "person__timezone", "person__working_hours")
    requesters = list(
        TopicRequest.objects.filter(
            status=TopicRequest.Status.OPEN,
            topics__isnull=False,
            requester__deactivated_at__isnull=True,
        )
        .values(
            topic=F("topics"),
            person_id=F("requester_id"),
            person__timezone=F("requester__timezone"),
            person__working_hours=F("requester__working_hours"),
        )
        .distinct()
    )
    voters = list(
        Vote.objects.filter(
            request__status=TopicRequest.Status.OPEN,
            request__topics__isnull=False,
            person__deactivated_at__isnull=True,
        )
        .values(*person, topic=F("request__topics"))
        .distinct()
    )
    return requests, requesters, voters


def _searches(period: Period) -> list[tuple[str, int]]:
    rows = (
        SearchQueryLog.objects.filter(
            result_count=0, created_at__gte=period.start, created_at__lt=period.end
        )
        .exclude(normalized="")
        .values("normalized")
        .annotate(n=Count("id"))
        .order_by("-n", "normalized")
    )
    return [(r["normalized"], r["n"]) for r in rows]


def knowledge_gaps(*, period: Period, now: datetime | None = None) -> GapReport:
    """Every topic's gaps in ``period`` (demand counted in the period; experts from all the
    sessions that took place; sessions "in the period" are those held in it or coming)."""
    now = now or timezone.now()
    hours = _Hours(_reference_week(now))
    topics = list(Topic.objects.values("id", "name", "slug", "synonyms"))
    names = {t["id"]: t["name"] for t in topics}
    phrases = topic_phrases(
        {
            t["id"]: [t["name"], *[s for s in t["synonyms"] or [] if isinstance(s, str)]]
            for t in topics
        }
    )

    experts = _experts(now, hours)
    sessions = _sessions_in_period(period)

    searches: dict[int, int] = defaultdict(int)
    unmet: list[UnmetSearch] = []
    for query, count in _searches(period):
        named = topics_named_in(query, phrases)
        for topic_id in named:
            searches[topic_id] += count
        if not named and count >= UNMET_SEARCH_MIN and len(unmet) < UNMET_SEARCH_LIMIT:
            unmet.append(UnmetSearch(query=query, searches=count))

    interested: dict[int, dict[str, dict[int, frozenset[int]]]] = defaultdict(
        lambda: defaultdict(dict)
    )

    def wants(topic_id: int, row: Mapping[str, Any]) -> None:
        zone = row["person__timezone"]
        interested[topic_id][region_of(zone)][row["person_id"]] = hours.of(
            zone, row["person__working_hours"]
        )

    waitlisted: dict[int, set[int]] = defaultdict(set)
    for row in _waiting(now):
        waitlisted[row["occurrence__session__topics"]].add(row["person_id"])
        wants(row["occurrence__session__topics"], row)
    requests, requesters, voters = _open_requests()
    votes: dict[int, int] = defaultdict(int)
    for row in requesters:
        wants(row["topic"], row)
    for row in voters:
        votes[row["topic"]] += 1
        wants(row["topic"], row)

    facts = [
        TopicFacts(
            topic_id=topic_id,
            name=names[topic_id],
            demand=Demand(
                requests=requests.get(topic_id, 0),
                votes=votes.get(topic_id, 0),
                unmet_searches=searches.get(topic_id, 0),
                waitlisted=len(waitlisted.get(topic_id, ())),
            ),
            experts=tuple(experts.get(topic_id, ())),
            sessions_in_period=sessions.get(topic_id, 0),
            interested_hours={
                region: list(people.values())
                for region, people in interested.get(topic_id, {}).items()
            },
        )
        for topic_id in sorted(names)
    ]
    gaps = find_gaps(facts)
    return GapReport(
        period=period,
        gaps=gaps,
        topic_slugs={t["id"]: t["slug"] for t in topics},
        unmet_searches=unmet,
        last_sessions=_last_sessions({gap.topic_id for gap in gaps if gap.experts}, now),
        person_slugs=dict(
            Person.objects.filter(
                id__in={expert.person_id for gap in gaps for expert in gap.experts}
            ).values_list("id", "slug")
        ),
    )
