"""When a digest is due: local 08:00, through DST changes, on the person's own first day."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from knowflow.accounts.working_hours import WorkingHours
from knowflow.digest.schedule import latest_slot, next_slot, period_of

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = WorkingHours.default()


def test_0800_in_berlin_stays_0800_across_the_end_of_summer_time() -> None:
    # Summer time ends on Sunday 25 October 2026: Monday's 08:00 moves from 06:00 to 07:00 UTC.
    before = next_slot(
        zone=BERLIN, hours=WEEKDAYS, frequency="weekly", after=datetime(2026, 10, 17, tzinfo=UTC)
    )
    after = next_slot(zone=BERLIN, hours=WEEKDAYS, frequency="weekly", after=before)
    assert (before, after) == (
        datetime(2026, 10, 19, 6, 0, tzinfo=UTC),
        datetime(2026, 10, 26, 7, 0, tzinfo=UTC),
    )
    assert period_of(slot=after, zone=BERLIN, frequency="weekly") == "2026-W44"


def test_no_working_day_means_monday_and_daily_means_each_working_day() -> None:
    nobody_works = WorkingHours.from_json([None] * 7)
    friday = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    assert next_slot(
        zone=ZoneInfo("UTC"), hours=nobody_works, frequency="weekly", after=friday
    ) == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert next_slot(
        zone=ZoneInfo("UTC"), hours=WEEKDAYS, frequency="daily", after=friday
    ) == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert latest_slot(
        zone=ZoneInfo("UTC"), hours=WEEKDAYS, frequency="daily", at=friday
    ) == datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


def test_a_slot_is_strictly_after_and_the_latest_is_at_or_before() -> None:
    monday_0800 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    utc = ZoneInfo("UTC")
    assert latest_slot(zone=utc, hours=WEEKDAYS, frequency="weekly", at=monday_0800) == monday_0800
    assert next_slot(zone=utc, hours=WEEKDAYS, frequency="weekly", after=monday_0800) == datetime(
        2026, 12, 14, 8, 0, tzinfo=UTC
    )
