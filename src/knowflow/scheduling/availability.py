"""Who can attend a session starting at a given UTC instant.

This module owns the *availability* model (an invitee's zone, weekly working hours, busy
intervals, weight and the *required* flag) and turns it into a boolean feasibility matrix
``covers[c, i]``: candidate start ``c`` lies, with the whole session, inside invitee ``i``'s
working hours on a working day and overlaps none of their busy intervals.

Definition (identical to ``score.py:feasibility`` of the shared benchmark for windows that do not
cross midnight): convert the session's start and end instants to the invitee's zone with
``zoneinfo``; the session is inside the working day of local date ``D`` when ``D``'s weekday has a
window ``[start, end)``, the local start is at or after ``D + start`` and the local end is at or
before ``D + end``, all in local wall-clock time. For a window that does not cross midnight this is
exactly "start and end on the same local date, start >= work_start, end <= work_end".

Windows that cross midnight (``end <= start``, e.g. a 22:00-06:00 night shift): the shift belongs
to the local date on which it *starts*, and ends on the next local date at ``end``. A session is
inside it when it starts at or after the shift start and ends at or before the shift end, so a
session 23:30-00:30 on a Tuesday night is inside Tuesday's 22:00-06:00 shift, and a session at
02:00 on Wednesday is inside Tuesday's shift too (only Tuesday needs to be a working day).

Speed: zoneinfo is consulted once per *zone* (to find its UTC-offset transitions inside the
window), never per (candidate, invitee); invitees sharing a zone and weekly hours form one group
evaluated once with numpy, and busy intervals are applied to all busy invitees at once with a
difference array.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

DAY_SECONDS = 86_400
# 1970-01-01 (epoch day 0) was a Thursday; Python's weekday() numbers Monday 0 ... Sunday 6.
_EPOCH_WEEKDAY = 3
# zoneinfo is sampled this often to find offset transitions; real zones never change their offset
# twice within this span, so bisection between samples finds every transition exactly.
_OFFSET_SAMPLE_SECONDS = 3 * 3600

_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


class SchedulingInputError(ValueError):
    """Input a caller can fix (unknown zone, malformed time, empty window...).

    The message is meant for a person: it names the offending value.
    """


def parse_hhmm(text: str) -> int:
    """Minutes after local midnight for ``"HH:MM"``; ``"24:00"`` is allowed as an end of day."""
    match = _HHMM.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise SchedulingInputError(f"time of day {text!r} is not HH:MM")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes != 0):
        raise SchedulingInputError(f"time of day {text!r} is out of range")
    return hours * 60 + minutes


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``, or a :class:`SchedulingInputError` that names it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise SchedulingInputError(f"unknown time zone {name!r}") from error


def parse_utc(text: str) -> datetime:
    """An ISO 8601 instant with an explicit offset (``Z`` or ``+hh:mm``), as aware UTC."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError, TypeError) as error:
        raise SchedulingInputError(f"{text!r} is not an ISO 8601 date-time") from error
    if value.tzinfo is None:
        # A naive instant would silently be read in the server's zone: refuse it.
        raise SchedulingInputError(f"{text!r} has no UTC offset (add Z)")
    return value.astimezone(UTC)


def format_utc(epoch_seconds: int) -> str:
    """``2025-10-28T14:00:00Z`` for an epoch second."""
    return datetime.fromtimestamp(int(epoch_seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_seconds(instant: datetime) -> int:
    """Whole seconds since the epoch of an aware instant."""
    if instant.tzinfo is None:
        raise SchedulingInputError("naive datetime: times must be timezone-aware")
    return int(instant.timestamp())


@dataclass(frozen=True)
class WorkingHours:
    """Local working windows per weekday (0 = Monday ... 6 = Sunday), in minutes after midnight.

    A weekday absent from ``windows`` is a day off. ``end <= start`` means the window crosses
    midnight and ends the next day at ``end`` (see the module docstring).
    """

    windows: Mapping[int, tuple[int, int]]

    def __post_init__(self) -> None:
        for weekday, (start, end) in self.windows.items():
            if weekday not in range(7):
                raise SchedulingInputError(f"weekday {weekday!r} is not 0 (Monday) ... 6 (Sunday)")
            if not (0 <= start < 1440 and 0 <= end <= 1440):
                raise SchedulingInputError(f"working window {start}-{end} is out of range")
            if start == end:
                raise SchedulingInputError(
                    "a working window that starts and ends at the same time is ambiguous"
                )

    @classmethod
    def weekly(cls, *, start: str, end: str, workdays: Sequence[int]) -> WorkingHours:
        """The same ``start``-``end`` window on each of ``workdays`` (instance format)."""
        window = (parse_hhmm(start), parse_hhmm(end))
        return cls(windows={int(day): window for day in workdays})

    @cached_property
    def key(self) -> tuple[tuple[int, int, int], ...]:
        """Hashable form, so invitees with equal hours share one computation."""
        return tuple(sorted((day, start, end) for day, (start, end) in self.windows.items()))


@dataclass(frozen=True)
class Invitee:
    """One person asked to attend. ``busy`` holds UTC ``[start, end)`` pairs in epoch seconds."""

    id: str
    tz: str
    hours: WorkingHours
    weight: float = 1.0
    busy: tuple[tuple[int, int], ...] = ()
    required: bool = False
    label: str = ""  # region, office or org unit: what explanations and burdens group by

    def __post_init__(self) -> None:
        if not self.weight > 0:
            raise SchedulingInputError(f"invitee {self.id!r}: weight must be positive")


@dataclass(frozen=True)
class CandidateGrid:
    """Candidate session starts ``first + j * step`` for ``j < count`` (epoch seconds)."""

    first: int
    step_seconds: int
    count: int
    duration_seconds: int

    @property
    def starts(self) -> np.ndarray:
        return self.first + self.step_seconds * np.arange(self.count, dtype=np.int64)


def candidate_grid(
    *, window_start: datetime, window_end: datetime, step_min: int, duration_min: int
) -> CandidateGrid:
    """Every ``step_min`` from ``window_start`` while the session still ends by ``window_end``."""
    if duration_min <= 0:
        raise SchedulingInputError("the session duration must be positive")
    if step_min <= 0:
        raise SchedulingInputError("the step between candidate starts must be positive")
    first, last = epoch_seconds(window_start), epoch_seconds(window_end)
    duration, step = duration_min * 60, step_min * 60
    if last - first < duration:
        raise SchedulingInputError("the window is shorter than the session")
    count = (last - first - duration) // step + 1
    return CandidateGrid(first=first, step_seconds=step, count=count, duration_seconds=duration)


def utc_offsets(zone: ZoneInfo, instants: np.ndarray) -> np.ndarray:
    """UTC offset in seconds of ``zone`` at each epoch-second instant (DST-exact).

    zoneinfo is asked only at samples every few hours and by bisection around each change, so the
    cost is independent of the number of instants.
    """
    if instants.size == 0:
        return np.zeros(0, dtype=np.int64)
    low, high = int(instants.min()), int(instants.max())

    def offset_at(second: int) -> int:
        return int(datetime.fromtimestamp(second, zone).utcoffset().total_seconds())  # type: ignore[union-attr]

    samples = list(range(low, high, _OFFSET_SAMPLE_SECONDS)) + [high]
    change_at: list[int] = []
    offsets_after: list[int] = [offset_at(samples[0])]
    previous = samples[0]
    for sample in samples[1:]:
        offset = offset_at(sample)
        if offset != offsets_after[-1]:
            # Bisect for the first second carrying the new offset.
            lo, hi = previous, sample
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset_at(mid) == offsets_after[-1]:
                    lo = mid
                else:
                    hi = mid
            change_at.append(hi)
            offsets_after.append(offset)
        previous = sample
    table = np.asarray(offsets_after, dtype=np.int64)
    return table[np.searchsorted(np.asarray(change_at, dtype=np.int64), instants, side="right")]


def _hours_mask(local_start: np.ndarray, local_end: np.ndarray, hours: WorkingHours) -> np.ndarray:
    """Sessions (local wall-clock epoch seconds) lying inside a working window of ``hours``."""
    has = np.zeros(7, dtype=bool)
    begin = np.zeros(7, dtype=np.int64)
    # Shift end relative to the local midnight of the day the shift starts.
    finish = np.zeros(7, dtype=np.int64)
    crosses = np.zeros(7, dtype=bool)
    for day, (start, end) in hours.windows.items():
        has[day] = True
        begin[day] = start * 60
        crosses[day] = end <= start
        finish[day] = (end + (1440 if end <= start else 0)) * 60
    start_day = local_start // DAY_SECONDS
    midnight = start_day * DAY_SECONDS
    weekday = (start_day + _EPOCH_WEEKDAY) % 7
    # Shift that starts on the session's local start date.
    today = (
        has[weekday]
        & (local_start >= midnight + begin[weekday])
        & (local_end >= midnight)
        & (local_end <= midnight + finish[weekday])
    )
    if not crosses.any():
        return today
    # Overnight shift that started the previous local date and is still running.
    yesterday = (weekday + 6) % 7
    overnight = (
        has[yesterday]
        & crosses[yesterday]
        & (local_end <= midnight - DAY_SECONDS + finish[yesterday])
    )
    return today | overnight


def _group_by_hours(
    invitees: Sequence[Invitee],
) -> tuple[list[tuple[str, WorkingHours]], np.ndarray]:
    """Distinct (zone, weekly hours) pairs and the group index of every invitee."""
    group_of: dict[tuple[str, tuple[tuple[int, int, int], ...]], int] = {}
    groups: list[tuple[str, WorkingHours]] = []
    group_index = np.empty(len(invitees), dtype=np.int64)
    for position, invitee in enumerate(invitees):
        key = (invitee.tz, invitee.hours.key)
        index = group_of.get(key)
        if index is None:
            index = group_of[key] = len(groups)
            groups.append((invitee.tz, invitee.hours))
        group_index[position] = index
    return groups, group_index


def _group_columns(
    groups: Sequence[tuple[str, WorkingHours]], starts: np.ndarray, duration_seconds: int
) -> np.ndarray:
    """``inside[c, g]`` for each (zone, hours) group: one zoneinfo pass per zone."""
    starts = np.asarray(starts, dtype=np.int64)
    instants = np.concatenate([starts, starts + duration_seconds])
    local: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    columns = np.empty((len(starts), len(groups)), dtype=bool)
    for index, (tz, hours) in enumerate(groups):
        if tz not in local:
            wall = instants + utc_offsets(load_zone(tz), instants)
            local[tz] = (wall[: len(starts)], wall[len(starts) :])
        columns[:, index] = _hours_mask(*local[tz], hours)
    return columns


def working_hours_matrix(
    invitees: Sequence[Invitee], starts: np.ndarray, duration_seconds: int
) -> np.ndarray:
    """``inside[c, i]``: a session at ``starts[c]`` is inside invitee ``i``'s working hours.

    Busy intervals are ignored here (the series rotation plans far ahead, where calendars are
    empty). One zoneinfo pass per zone, one numpy pass per distinct (zone, hours) group.
    """
    groups, group_index = _group_by_hours(invitees)
    return _group_columns(groups, starts, duration_seconds)[:, group_index]


def busy_matrix(invitees: Sequence[Invitee], grid: CandidateGrid) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the invitees with busy intervals, and ``clash[c, r]`` for those rows.

    A candidate ``s`` clashes with ``[b0, b1)`` when ``s < b1`` and ``s + duration > b0``; the
    clashing candidates form one short index range per interval, scattered at once.
    """
    rows = [i for i, invitee in enumerate(invitees) if invitee.busy]
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((grid.count, 0), dtype=bool)
    owner = np.repeat(np.arange(len(rows), dtype=np.int64), [len(invitees[i].busy) for i in rows])
    bounds = np.asarray([pair for i in rows for pair in invitees[i].busy], dtype=np.int64)
    step = grid.step_seconds
    first_clash = (bounds[:, 0] - grid.duration_seconds - grid.first) // step + 1
    after_clash = -((grid.first - bounds[:, 1]) // step)  # ceil((b1 - first) / step)
    first_clash = np.clip(first_clash, 0, grid.count)
    after_clash = np.clip(after_clash, 0, grid.count)
    keep = first_clash < after_clash
    # A busy block clashes with a handful of consecutive candidates: scatter those indices
    # directly (a running sum over the whole matrix costs far more at 15,000 busy invitees).
    owner, first_clash = owner[keep], first_clash[keep]
    length = after_clash[keep] - first_clash
    clash = np.zeros((len(rows), grid.count), dtype=bool)
    if length.size:
        offsets = np.arange(int(length.max()), dtype=np.int64)
        inside = offsets[None, :] < length[:, None]
        clash[
            np.broadcast_to(owner[:, None], inside.shape)[inside],
            (first_clash[:, None] + offsets[None, :])[inside],
        ] = True
    clash = clash.T
    return np.asarray(rows, dtype=np.int64), clash


@dataclass
class Availability:
    """The feasibility of an audience over a candidate grid, kept in factored form.

    Most invitees share their column with everybody of the same (zone, hours) group, so the
    matrix is stored as ``group_columns[c, g]`` plus the busy invitees' own columns; ``covers``
    materialises the full ``[candidate, invitee]`` matrix when a caller needs it.
    """

    grid: CandidateGrid
    invitees: Sequence[Invitee]
    group_columns: np.ndarray
    group_index: np.ndarray
    busy_rows: np.ndarray
    busy_covers: np.ndarray
    weights: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.weights = np.asarray([invitee.weight for invitee in self.invitees], dtype=np.float64)

    @property
    def starts(self) -> np.ndarray:
        return self.grid.starts

    @property
    def inside_hours(self) -> np.ndarray:
        """``[candidate, invitee]``: inside working hours, busy intervals ignored."""
        return self.group_columns[:, self.group_index]

    @property
    def covers(self) -> np.ndarray:
        """``[candidate, invitee]``: can attend (working hours and not busy)."""
        matrix = self.inside_hours
        if self.busy_rows.size:
            matrix[:, self.busy_rows] = self.busy_covers
        return matrix

    def invitee_column(self, position: int) -> np.ndarray:
        """Whether invitee ``position`` can attend each candidate."""
        found = np.flatnonzero(self.busy_rows == position)
        if found.size:
            return self.busy_covers[:, found[0]]
        return self.group_columns[:, self.group_index[position]]

    def allowed_candidates(self) -> np.ndarray:
        """Candidates where every *required* invitee can attend (all, if nobody is required)."""
        allowed = np.ones(self.grid.count, dtype=bool)
        for position, invitee in enumerate(self.invitees):
            if invitee.required:
                allowed &= self.invitee_column(position)
        return allowed

    def coverage_types(self) -> tuple[np.ndarray, np.ndarray]:
        """Invitees with identical columns merged: ``(columns[c, t], weight[t])``.

        Covering one invitee of a type means covering all of them, so every coverage question
        can be asked of the types; a few hundred to a few thousand columns replace thousands of
        invitees. Types that no candidate covers are dropped.
        """
        plain = np.ones(len(self.invitees), dtype=bool)
        plain[self.busy_rows] = False
        group_weight = np.bincount(
            self.group_index[plain],
            weights=self.weights[plain],
            minlength=self.group_columns.shape[1],
        )
        used = group_weight > 0
        columns = np.concatenate([self.group_columns[:, used], self.busy_covers], axis=1)
        weights = np.concatenate([group_weight[used], self.weights[self.busy_rows]])
        packed = np.packbits(columns, axis=0).T.copy()
        keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        type_weights = np.bincount(inverse.ravel(), weights=weights)
        type_columns = columns[:, first]
        reachable = type_columns.any(axis=0)
        return type_columns[:, reachable], type_weights[reachable]


def availability_build(invitees: Sequence[Invitee], grid: CandidateGrid) -> Availability:
    """Feasibility of every invitee at every candidate start of ``grid``."""
    if not invitees:
        raise SchedulingInputError("the audience is empty")
    groups, group_index = _group_by_hours(invitees)
    group_columns = _group_columns(groups, grid.starts, grid.duration_seconds)
    rows, clash = busy_matrix(invitees, grid)
    busy_covers = group_columns[:, group_index[rows]] & ~clash
    return Availability(
        grid=grid,
        invitees=invitees,
        group_columns=group_columns,
        group_index=group_index,
        busy_rows=rows,
        busy_covers=busy_covers,
    )


def series_dates(first_date: date, weeks: int, step_days: int) -> list[date]:
    """The dates of a weekly (``step_days=7``) or fortnightly (14) series."""
    return [first_date + timedelta(days=step_days * week) for week in range(weeks)]
