"""Working hours: local windows per weekday turned into UTC intervals, DST-correct."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from knowflow.accounts.working_hours import InvalidWorkingHours, Window, WorkingHours

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
JERUSALEM = ZoneInfo("Asia/Jerusalem")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def windows(hours: WorkingHours, zone: ZoneInfo, start: datetime, end: datetime) -> list:
    return list(hours.windows_utc(zone, start, end))


def test_default_hours_are_nine_to_five_monday_to_friday() -> None:
    hours = WorkingHours.default()

    assert hours.to_json() == [["09:00", "17:00"]] * 5 + [None, None]


def test_windows_utc_nine_to_five_in_berlin_winter_is_eight_to_four_utc() -> None:
    # Tuesday 14 January 2025: CET, UTC+1.
    result = windows(WorkingHours.default(), BERLIN, utc(2025, 1, 14), utc(2025, 1, 15))

    assert result == [(utc(2025, 1, 14, 8), utc(2025, 1, 14, 16))]


def test_windows_utc_weekend_has_no_window() -> None:
    # Saturday 18 and Sunday 19 January 2025.
    result = windows(WorkingHours.default(), BERLIN, utc(2025, 1, 18, 0), utc(2025, 1, 19, 22))

    assert result == []


def test_windows_utc_berlin_week_of_spring_dst_change_keeps_local_nine() -> None:
    # Clocks go forward on Sunday 30 March 2025: Friday is CET (UTC+1), Monday CEST (UTC+2).
    result = windows(WorkingHours.default(), BERLIN, utc(2025, 3, 28), utc(2025, 4, 1))

    assert result == [
        (utc(2025, 3, 28, 8), utc(2025, 3, 28, 16)),
        (utc(2025, 3, 31, 7), utc(2025, 3, 31, 15)),
    ]


def test_windows_utc_berlin_week_of_autumn_dst_change_keeps_local_nine() -> None:
    # Clocks go back on Sunday 26 October 2025: Friday is CEST (UTC+2), Monday CET (UTC+1).
    result = windows(WorkingHours.default(), BERLIN, utc(2025, 10, 24), utc(2025, 10, 28))

    assert result == [
        (utc(2025, 10, 24, 7), utc(2025, 10, 24, 15)),
        (utc(2025, 10, 27, 8), utc(2025, 10, 27, 16)),
    ]


def test_windows_utc_new_york_week_of_dst_change_keeps_local_nine() -> None:
    # US clocks go forward on Sunday 9 March 2025: Friday EST (UTC-5), Monday EDT (UTC-4).
    result = windows(WorkingHours.default(), NEW_YORK, utc(2025, 3, 7), utc(2025, 3, 11))

    assert result == [
        (utc(2025, 3, 7, 14), utc(2025, 3, 7, 22)),
        (utc(2025, 3, 10, 13), utc(2025, 3, 10, 21)),
    ]


def test_windows_utc_new_york_and_berlin_overlap_differs_in_the_gap_weeks() -> None:
    # Between 9 and 30 March 2025 New York has moved and Berlin has not: the overlap of two
    # nine-to-five days is 13:00–16:00 UTC instead of 14:00–16:00.
    day_start, day_end = utc(2025, 3, 12), utc(2025, 3, 13)
    ((ny_start, ny_end),) = windows(WorkingHours.default(), NEW_YORK, day_start, day_end)
    ((be_start, be_end),) = windows(WorkingHours.default(), BERLIN, day_start, day_end)

    assert (max(ny_start, be_start), min(ny_end, be_end)) == (
        utc(2025, 3, 12, 13),
        utc(2025, 3, 12, 16),
    )


def test_windows_utc_kolkata_half_hour_offset() -> None:
    # IST is UTC+5:30 all year: 09:00–17:00 local is 03:30–11:30 UTC.
    result = windows(WorkingHours.default(), KOLKATA, utc(2025, 7, 1), utc(2025, 7, 2))

    assert result == [(utc(2025, 7, 1, 3, 30), utc(2025, 7, 1, 11, 30))]


def test_windows_utc_night_shift_crosses_midnight() -> None:
    hours = WorkingHours.from_json([["22:00", "06:00"]] + [None] * 6)

    # Monday 13 January 2025, 22:00 CET until Tuesday 06:00 CET.
    result = windows(hours, BERLIN, utc(2025, 1, 13), utc(2025, 1, 15))

    assert hours.days[0].crosses_midnight is True
    assert result == [(utc(2025, 1, 13, 21), utc(2025, 1, 14, 5))]


def test_windows_utc_night_shift_starting_the_day_before_the_range_is_found() -> None:
    hours = WorkingHours.from_json([["22:00", "06:00"]] + [None] * 6)

    # Asking about Tuesday morning only still finds Monday night's shift.
    result = windows(hours, BERLIN, utc(2025, 1, 14, 2), utc(2025, 1, 14, 3))

    assert result == [(utc(2025, 1, 13, 21), utc(2025, 1, 14, 5))]


def test_windows_utc_night_shift_over_the_dst_change_is_one_hour_shorter() -> None:
    # Saturday 29 March 2025 22:00 CET to Sunday 06:00 CEST: seven hours, not eight.
    hours = WorkingHours.from_json([None] * 5 + [["22:00", "06:00"], None])

    ((start, end),) = windows(hours, BERLIN, utc(2025, 3, 29), utc(2025, 3, 31))

    assert (start, end) == (utc(2025, 3, 29, 21), utc(2025, 3, 30, 4))
    assert (end - start).total_seconds() == 7 * 3600


def test_covers_sunday_to_thursday_week() -> None:
    # A Jerusalem week: Sunday to Thursday, 08:30–17:30 local (IST/IDT).
    day = ["08:30", "17:30"]
    hours = WorkingHours.from_json([day, day, day, day, None, None, day])

    # Sunday 2 February 2025, 10:00–11:00 IST (UTC+2) is inside; Friday is not.
    assert hours.covers(JERUSALEM, utc(2025, 2, 2, 8), utc(2025, 2, 2, 9)) is True
    assert hours.covers(JERUSALEM, utc(2025, 2, 7, 8), utc(2025, 2, 7, 9)) is False
    assert hours.covers(JERUSALEM, utc(2025, 2, 6, 8), utc(2025, 2, 6, 9)) is True


def test_covers_refuses_a_meeting_that_runs_past_the_end_of_the_window() -> None:
    # 16:30–17:30 Berlin on a winter Tuesday ends after 17:00.
    assert (
        WorkingHours.default().covers(BERLIN, utc(2025, 1, 14, 15, 30), utc(2025, 1, 14, 16, 30))
        is False
    )
    assert WorkingHours.default().covers(BERLIN, utc(2025, 1, 14, 15), utc(2025, 1, 14, 16)) is True


def test_covers_kolkata_half_hour_edges() -> None:
    hours = WorkingHours.default()

    assert hours.covers(KOLKATA, utc(2025, 7, 1, 3, 30), utc(2025, 7, 1, 4, 30)) is True
    assert hours.covers(KOLKATA, utc(2025, 7, 1, 3), utc(2025, 7, 1, 4)) is False


def test_from_text_parses_form_input_with_days_off_and_a_night_shift() -> None:
    hours = WorkingHours.from_text(["09:00-17:00", "", "22:00 – 06:00", "", "", "", ""])

    assert hours.days[0] == Window(time(9), time(17))
    assert hours.days[1] is None
    assert hours.days[2] == Window(time(22), time(6))
    assert hours.to_text() == ["09:00-17:00", "", "22:00-06:00", "", "", "", ""]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["9 to 5", "", "", "", "", "", ""], "Monday: write hours as 09:00-17:00."),
        (["", "25:00-17:00", "", "", "", "", ""], "'25:00' is not a time of day like 09:00."),
        (["", "", "09:00-09:00", "", "", "", ""], "Wednesday: the start and the end are the same."),
    ],
)
def test_from_text_refuses_bad_hours_with_a_message(values: list[str], message: str) -> None:
    with pytest.raises(InvalidWorkingHours) as error:
        WorkingHours.from_text(values)

    assert str(error.value) == message


def test_from_json_needs_seven_days() -> None:
    with pytest.raises(InvalidWorkingHours) as error:
        WorkingHours.from_json([["09:00", "17:00"]] * 5)

    assert str(error.value) == "Working hours need one entry per weekday (seven)."
