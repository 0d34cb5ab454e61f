"""Run this again: a well-received session cloned into a new proposal, or repeated in another
region's working hours (the scheduling package proposes the times, the person confirms one).

Both go through the events services, so the permission checks, validation and side effects
(speaker invitations, search index) are the ones of any proposal or date. Nothing of the
feedback is copied: the new proposal has no dates, and a repeat is a new date whose results
start empty.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.errors import DomainError, Forbidden
from knowflow.events import services as event_services
from knowflow.events.models import Occurrence, Session
from knowflow.events.planning.audience import Audience, from_scheduler, invitees_for
from knowflow.events.planning.find import earliest_start
from knowflow.feedback.selectors.anonymity import min_group
from knowflow.insights import permissions
from knowflow.insights.selectors.figures import REGIONS, WORKDAY, _inside_workday, _region_zones
from knowflow.insights.selectors.patterns import PatternRow, session_well_received
from knowflow.scheduling.availability import (
    Invitee,
    SchedulingInputError,
    WorkingHours,
    availability_build,
    candidate_grid,
)
from knowflow.scheduling.coverage import best_slots

WINDOW_DAYS = 14
NOT_WELL_RECEIVED = (
    "Only a well-received session can be run again from here: at least {k} responses shown "
    "on its results page, with at least 80 % of the judged answers meeting the standard."
)


@dataclass(frozen=True)
class RepeatSlot:
    start: datetime
    end: datetime
    zone: str


def _check(*, actor: Person, session: Session) -> PatternRow:
    if not permissions.can_run_again(actor=actor, session=session):
        raise Forbidden(
            "Only the session's speakers, its circle's champions and enablers can run it again."
        )
    row = session_well_received(session=session)
    if row is None:
        raise DomainError(NOT_WELL_RECEIVED.format(k=min_group()))
    return row


def run_again_check(*, actor: Person, session: Session) -> PatternRow:
    """The session's shown feedback, when ``actor`` may run it again and it is well received;
    ``Forbidden`` or a ``DomainError`` saying why not."""
    return _check(actor=actor, session=session)


def source_minutes(*, session: Session) -> int:
    """The length of the session's last date that was not cancelled (60 without one)."""
    last = (
        Occurrence.objects.filter(session=session, cancelled_at__isnull=True)
        .order_by("-start")
        .values_list("start", "end")
        .first()
    )
    return int((last[1] - last[0]).total_seconds() // 60) if last else 60


def region_zone(region: str) -> str:
    """The zone most of the region's people live in (as the dashboard's time-zone equity)."""
    if region not in REGIONS:
        raise DomainError(
            f"Unknown region '{region}'; use one of: {', '.join(REGIONS)}.", field="region"
        )
    zones, _ = _region_zones()
    if region not in zones:
        raise DomainError(f"Nobody in the organisation lives in {region}.", field="region")
    return zones[region]


def repeat_slots(
    *, session: Session, region: str, now: datetime | None = None, count: int = 5
) -> list[RepeatSlot]:
    """Up to ``count`` starts for a repeat inside ``region``'s working hours (09:00–17:00,
    Monday–Friday, in the zone most of its people live in) over the next two weeks after the
    planning lead time, preferring times inside the speakers' own hours and clear of their
    other sessions. Found by the scheduling package (``best_slots``): the region is a
    required invitee, each speaker a weighted one."""
    now = now or timezone.now()
    zone_name = region_zone(region)
    zone = zoneinfo.ZoneInfo(zone_name)
    minutes = source_minutes(session=session)
    start = earliest_start(
        now=now, zone=zone, working_days=settings.KNOWFLOW_PLANNING_LEAD_WORKING_DAYS
    )
    end = start + timedelta(days=WINDOW_DAYS)
    speakers = list(session.speakers.all())
    hours = WorkingHours.weekly(
        start=WORKDAY[0].strftime("%H:%M"), end=WORKDAY[1].strftime("%H:%M"), workdays=range(5)
    )
    invitees = [
        Invitee(id="region", tz=zone_name, hours=hours, required=True, label=region),
        *invitees_for(
            Audience(people=speakers, speaker_ids=set()), label_by="region", start=start, end=end
        ),
    ]
    try:
        grid = candidate_grid(window_start=start, window_end=end, step_min=30, duration_min=minutes)
        proposals = best_slots(
            availability_build(invitees, grid), count=count, min_separation_min=180
        )
    except SchedulingInputError as error:
        raise DomainError(f"No time found in {region}'s working hours: {error}.") from error
    slots = [
        RepeatSlot(
            start=from_scheduler(p.start),
            end=from_scheduler(p.start) + timedelta(minutes=minutes),
            zone=zone_name,
        )
        for p in proposals
    ]
    return sorted(slots, key=lambda s: s.start)


@transaction.atomic
def session_run_again_as_proposal(*, actor: Person, session: Session) -> Session:
    """A new proposal from a well-received session: title, abstract, format, level, language,
    topics, circle and speakers carried over (its length goes to *Find a time*); no dates, no
    feedback. Refused (nothing created) for anyone who may not schedule the session or for a
    session that is not well received."""
    _check(actor=actor, session=session)
    return event_services.session_create(
        actor=actor,
        title=session.title,
        abstract=session.abstract,
        format=session.format,
        level=session.level,
        language=session.language,
        topics=list(session.topics.all()),
        speakers=list(session.speakers.all()),
        circle=session.circle,
    )


@transaction.atomic
def session_repeat_in_region(
    *,
    actor: Person,
    session: Session,
    region: str,
    start: datetime,
    online_url: str,
    capacity: int,
    now: datetime | None = None,
) -> Occurrence:
    """A new date of ``session`` at ``start`` (as long as its last date), online, which must
    fall inside ``region``'s working hours and be in the future. The feedback of earlier dates
    stays theirs. Refused (nothing created) as ``session_run_again_as_proposal`` is, or for a
    time outside the region's working hours."""
    _check(actor=actor, session=session)
    now = now or timezone.now()
    zone_name = region_zone(region)
    end = start + timedelta(minutes=source_minutes(session=session))
    if start <= now:
        raise DomainError("The repeat must start in the future.", field="start")
    if not _inside_workday(start, end, zoneinfo.ZoneInfo(zone_name)):
        raise DomainError(
            f"That time is outside {region}'s working hours (09:00–17:00, Monday to Friday, "
            f"{zone_name}).",
            field="start",
        )
    return event_services.occurrence_create(
        session=session,
        actor=actor,
        start=start,
        end=end,
        online_url=online_url,
        capacity=capacity,
    )
