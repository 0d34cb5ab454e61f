"""When a person's digest is due: 08:00 local on their first working day (weekly) or on each
working day (daily), and the name of the period a digest covers.

Local wall-clock times are turned into UTC date by date through `zoneinfo`, so 08:00 stays
08:00 across a DST change, and a person east of UTC (Asia/Tokyo: Sunday 23:00 UTC) and one
west of it (America/Los_Angeles: Monday 16:00 UTC) each get theirs at their own morning.
A person with no working day at all is treated as working on Monday.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from knowflow.accounts.working_hours import WorkingHours

DIGEST_TIME = time(8, 0)
WEEKLY = "weekly"
DAILY = "daily"
UTC = ZoneInfo("UTC")


def _slot_weekdays(hours: WorkingHours, frequency: str) -> tuple[int, ...]:
    working = tuple(day for day, window in enumerate(hours.days) if window is not None)
    if not working:
        return (0,)
    return working if frequency == DAILY else working[:1]


def _slot(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, DIGEST_TIME, tzinfo=zone).astimezone(UTC)


def next_slot(*, zone: ZoneInfo, hours: WorkingHours, frequency: str, after: datetime) -> datetime:
    """The first digest time strictly after `after` (UTC)."""
    weekdays = _slot_weekdays(hours, frequency)
    day = after.astimezone(zone).date()
    for offset in range(16):
        candidate = day + timedelta(days=offset)
        if candidate.weekday() in weekdays:
            slot = _slot(candidate, zone)
            if slot > after:
                return slot
    raise AssertionError("a week always holds a digest day")  # pragma: no cover


def latest_slot(*, zone: ZoneInfo, hours: WorkingHours, frequency: str, at: datetime) -> datetime:
    """The last digest time at or before `at` (UTC)."""
    weekdays = _slot_weekdays(hours, frequency)
    day = at.astimezone(zone).date()
    for offset in range(16):
        candidate = day - timedelta(days=offset)
        if candidate.weekday() in weekdays:
            slot = _slot(candidate, zone)
            if slot <= at:
                return slot
    raise AssertionError("a week always holds a digest day")  # pragma: no cover


def period_of(*, slot: datetime, zone: ZoneInfo, frequency: str) -> str:
    """The name of the period a digest sent at `slot` covers: its local ISO week ("2026-W49")
    for a weekly digest, its local date ("2026-12-07") for a daily one."""
    day = slot.astimezone(zone).date()
    if frequency == DAILY:
        return day.isoformat()
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def period_length(frequency: str) -> timedelta:
    return timedelta(days=1) if frequency == DAILY else timedelta(days=7)
