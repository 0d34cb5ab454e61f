"""Feasibility of hand-built audiences: DST, odd offsets, odd weeks, night shifts, busy blocks."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from knowflow.scheduling.availability import (
    Invitee,
    SchedulingInputError,
    WorkingHours,
    availability_build,
    candidate_grid,
    epoch_seconds,
    format_utc,
    utc_offsets,
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def office(
    ident: str,
    tz: str,
    *,
    start: str = "09:00",
    end: str = "17:00",
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4),
    busy: tuple[tuple[str, str], ...] = (),
    weight: float = 1.0,
    required: bool = False,
    label: str = "",
) -> Invitee:
    return Invitee(
        id=ident,
        tz=tz,
        hours=WorkingHours.weekly(start=start, end=end, workdays=workdays),
        weight=weight,
        busy=tuple((epoch_seconds(utc(b0)), epoch_seconds(utc(b1))) for b0, b1 in busy),
        required=required,
        label=label,
    )


def covered_starts(
    invitee: Invitee, *, first: str, last: str, step_min: int = 60, duration_min: int = 60
) -> list[str]:
    grid = candidate_grid(
        window_start=utc(first), window_end=utc(last), step_min=step_min, duration_min=duration_min
    )
    availability = availability_build([invitee], grid)
    return [format_utc(s) for s in availability.starts[availability.covers[:, 0]]]


def hours_range(day: str, first_hour: int, last_hour: int, step_min: int = 60) -> list[str]:
    begin = utc(f"{day}T00:00:00Z") + timedelta(hours=first_hour)
    end = utc(f"{day}T00:00:00Z") + timedelta(hours=last_hour)
    out = []
    while begin <= end:
        out.append(begin.strftime("%Y-%m-%dT%H:%M:%SZ"))
        begin += timedelta(minutes=step_min)
    return out


def test_covers_berlin_across_the_eu_dst_change() -> None:
    # Fri 24 Oct 2025 is CEST (UTC+2), Mon 27 Oct is CET (UTC+1): 09:00 local moves 07:00Z -> 08:00Z.
    berlin = office("b", "Europe/Berlin")

    starts = covered_starts(berlin, first="2025-10-24T00:00:00Z", last="2025-10-28T00:00:00Z")

    assert starts == hours_range("2025-10-24", 7, 14) + hours_range("2025-10-27", 8, 15)


def test_covers_new_york_across_the_us_dst_change() -> None:
    # Fri 31 Oct 2025 is EDT (UTC-4), Mon 3 Nov is EST (UTC-5).
    new_york = office("n", "America/New_York")

    starts = covered_starts(new_york, first="2025-10-31T00:00:00Z", last="2025-11-04T00:00:00Z")

    assert starts == hours_range("2025-10-31", 13, 20) + hours_range("2025-11-03", 14, 21)


def test_covers_kolkata_half_hour_offset() -> None:
    kolkata = office("k", "Asia/Kolkata")  # UTC+05:30: 09:00 IST is 03:30Z

    starts = covered_starts(
        kolkata, first="2025-10-28T00:00:00Z", last="2025-10-29T00:00:00Z", step_min=30
    )

    assert starts == [
        f"2025-10-28T{minute // 60:02d}:{minute % 60:02d}:00Z" for minute in range(210, 631, 30)
    ]  # 03:30Z ... 10:30Z


def test_covers_kathmandu_45_minute_offset() -> None:
    kathmandu = office("k", "Asia/Kathmandu")  # UTC+05:45: 09:00 is 03:15Z

    starts = covered_starts(
        kathmandu, first="2025-10-28T00:00:00Z", last="2025-10-29T00:00:00Z", step_min=15
    )

    assert starts == [
        f"2025-10-28T{minute // 60:02d}:{minute % 60:02d}:00Z" for minute in range(195, 616, 15)
    ]  # 03:15Z ... 10:15Z


def test_covers_sunday_to_thursday_week() -> None:
    riyadh = office("r", "Asia/Riyadh", workdays=(6, 0, 1, 2, 3))  # UTC+3, no DST

    starts = covered_starts(riyadh, first="2025-10-23T00:00:00Z", last="2025-10-27T00:00:00Z")

    # Thu 23 Oct and Sun 26 Oct; Friday and Saturday are the weekend.
    assert starts == hours_range("2025-10-23", 6, 13) + hours_range("2025-10-26", 6, 13)


def test_covers_night_shift_crossing_midnight_belongs_to_its_start_date() -> None:
    # Monday only, 22:00 -> 06:00: the shift runs Mon 22:00 to Tue 06:00; Sunday night is off.
    night = Invitee(id="n", tz="Etc/UTC", hours=WorkingHours(windows={0: (22 * 60, 6 * 60)}))

    starts = covered_starts(night, first="2025-10-20T00:00:00Z", last="2025-10-22T00:00:00Z")

    assert starts == hours_range("2025-10-20", 22, 23) + hours_range("2025-10-21", 0, 5)


def test_covers_per_weekday_windows() -> None:
    # A short Friday: the API takes a window per weekday, not only one for the whole week.
    hours = WorkingHours(windows={3: (9 * 60, 17 * 60), 4: (9 * 60, 13 * 60)})
    person = Invitee(id="p", tz="Etc/UTC", hours=hours)

    starts = covered_starts(person, first="2025-10-23T00:00:00Z", last="2025-10-25T00:00:00Z")

    assert starts == hours_range("2025-10-23", 9, 16) + hours_range("2025-10-24", 9, 12)


def test_covers_skip_busy_intervals_half_open() -> None:
    person = office("p", "Etc/UTC", busy=(("2025-10-28T10:30:00Z", "2025-10-28T11:00:00Z"),))

    starts = covered_starts(
        person, first="2025-10-28T00:00:00Z", last="2025-10-29T00:00:00Z", step_min=30
    )

    # [10:00, 11:00) and [10:30, 11:30) overlap the block; [09:30, 10:30) and [11:00, 12:00) do not.
    expected = hours_range("2025-10-28", 9, 16, step_min=30)
    expected.remove("2025-10-28T10:00:00Z")
    expected.remove("2025-10-28T10:30:00Z")
    assert starts == expected


def test_utc_offsets_match_zoneinfo_at_every_instant() -> None:
    instants = np.arange(
        epoch_seconds(utc("2025-03-01T00:00:00Z")),
        epoch_seconds(utc("2025-12-01T00:00:00Z")),
        1800,
        dtype=np.int64,
    )
    for name in ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kathmandu"]:
        zone = ZoneInfo(name)
        expected = [
            int(datetime.fromtimestamp(int(t), zone).utcoffset().total_seconds()) for t in instants
        ]

        assert utc_offsets(zone, instants).tolist() == expected


def reference_covers(invitee: Invitee, start: datetime, duration_min: int) -> bool:
    """score.py's definition, literally: one zoneinfo conversion per (start, invitee)."""
    zone = ZoneInfo(invitee.tz)
    local_start = start.astimezone(zone)
    local_end = (start + timedelta(minutes=duration_min)).astimezone(zone)
    window = invitee.hours.windows.get(local_start.weekday())
    if window is None or local_start.date() != local_end.date():
        return False
    if local_start.hour * 60 + local_start.minute < window[0]:
        return False
    if local_end.hour * 60 + local_end.minute > window[1]:
        return False
    begin = epoch_seconds(start)
    return all(not (begin < b1 and begin + 60 * duration_min > b0) for b0, b1 in invitee.busy)


def test_feasibility_matches_score_definition_on_random_starts() -> None:
    rng = random.Random(7)
    zones = [
        "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles",
        "America/Sao_Paulo", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Sydney",
        "Pacific/Auckland", "Asia/Jerusalem",
    ]  # fmt: skip
    window_start = utc("2025-10-19T12:00:00Z")
    invitees = []
    for n in range(60):
        start = 8 * 60 + 30 * rng.randint(0, 4)
        busy = []
        for _ in range(rng.randint(0, 4)):
            b0 = window_start + timedelta(minutes=15 * rng.randint(0, 4 * 24 * 20))
            busy.append((b0, b0 + timedelta(minutes=rng.choice([15, 30, 45, 90]))))
        invitees.append(
            Invitee(
                id=f"u{n}",
                tz=rng.choice(zones),
                hours=WorkingHours(
                    windows={d: (start, start + rng.choice([480, 510, 540])) for d in range(5)}
                ),
                busy=tuple((epoch_seconds(a), epoch_seconds(b)) for a, b in busy),
            )
        )
    grid = candidate_grid(
        window_start=window_start,
        window_end=utc("2025-11-08T00:00:00Z"),
        step_min=15,
        duration_min=45,
    )
    availability = availability_build(invitees, grid)
    covers = availability.covers

    for candidate in rng.sample(range(grid.count), 150):
        start = datetime.fromtimestamp(int(availability.starts[candidate]), UTC)
        expected = [reference_covers(invitee, start, 45) for invitee in invitees]

        assert covers[candidate].tolist() == expected


def test_candidate_grid_rejects_window_shorter_than_session() -> None:
    with pytest.raises(SchedulingInputError, match="shorter than the session"):
        candidate_grid(
            window_start=utc("2025-10-28T10:00:00Z"),
            window_end=utc("2025-10-28T10:30:00Z"),
            step_min=15,
            duration_min=60,
        )


def test_invitee_with_unknown_zone_is_refused_by_name() -> None:
    with pytest.raises(SchedulingInputError, match="unknown time zone 'Mars/Olympus'"):
        availability_build(
            [office("m", "Mars/Olympus")],
            candidate_grid(
                window_start=utc("2025-10-28T00:00:00Z"),
                window_end=utc("2025-10-29T00:00:00Z"),
                step_min=30,
                duration_min=60,
            ),
        )
