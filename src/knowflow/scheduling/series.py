"""Fair rotation of a recurring session's time across regions (or persons).

When no single time suits a global audience, someone joins outside working hours. A fair plan
spreads that burden: the *burden* of a unit (a region, or one person) is the weighted share of
its invitee-occurrences over the series that fall outside working hours. The plan is
lexicographic:

1. minimise the largest burden over all units (min-max, solved exactly as a small MIP with one
   binary per (occurrence date, start) and one row per unit);
2. among plans reaching that burden, maximise mean attendance (the weighted share of all
   invitee-occurrences inside working hours).

With ``attendance_tolerance`` the order is bounded from the other side first: mean attendance
must stay within that relative tolerance of the best possible (each occurrence at its best
start), and the min-max / max-attendance steps run under that constraint. Sweeping the
tolerance gives the trade-off curve between fairness and attendance (:func:`series_tradeoff`).

A long series (52 weeks of 96 starts) can keep the exact MIP busy for minutes. With a
``time_limit`` each solve starts from a plan that is feasible by construction (the best start of
every week, then the fairest plan found) and returns the best plan HiGHS has when time is up;
``SeriesPlan.optimal`` then says the plan is the best found, not proven best. Without a limit
(``knowflow slots``) the solves run to proven optimality, exactly as before.

Candidates follow the benchmark definition: on each series date, every start at a multiple of
the series granularity from 00:00 UTC on that date; busy intervals are ignored (a series is
planned weeks ahead, when calendars are still empty). Two options serve the organiser's page
and leave that definition (and ``knowflow slots``) untouched when unset: ``zone`` takes the
dates and starts as wall-clock times in the organiser's zone (so "from Monday" in Sydney is
Monday in Sydney, and 10:00 stays 10:00 across a DST change), and ``required_inside`` keeps
every date's start inside the working hours of every required invitee (or, on a date where no
start suits them all, of as many of them as possible).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np

from knowflow.scheduling.availability import (
    Invitee,
    SchedulingInputError,
    series_dates,
    working_hours_matrix,
)
from knowflow.scheduling.coverage import quiet_highs

BurdenUnit = Literal["region", "person"]
# HiGHS works to a feasibility tolerance around 1e-7; re-imposing an optimum as a constraint
# needs this much slack or stage 2 can be declared infeasible by rounding.
_SLACK = 1e-6


@dataclass(frozen=True)
class SeriesOccurrence:
    """One occurrence of the plan: its UTC start and who is inside working hours."""

    start: int  # epoch seconds, UTC
    attendance: float  # weighted share of the audience inside working hours
    inside_share: dict[str, float]  # per unit


@dataclass(frozen=True)
class SeriesPlan:
    """A rotation for the whole series and its fairness figures."""

    occurrences: tuple[SeriesOccurrence, ...]
    mean_attendance: float
    burden: dict[str, float]  # per unit: weighted share of its occurrences out of hours
    max_burden: float
    best_mean_attendance: float  # the unconstrained best, for comparison
    optimal: bool = True  # False: the best found within the time limit, not proven best

    @property
    def starts(self) -> tuple[int, ...]:
        return tuple(occurrence.start for occurrence in self.occurrences)


@dataclass(frozen=True)
class _SeriesModel:
    starts: np.ndarray  # [week, option] epoch seconds
    share: np.ndarray  # [unit, week, option]: unit's weighted share inside hours
    attendance: np.ndarray  # [week, option]
    units: list[str]


def _series_model(
    invitees: Sequence[Invitee],
    *,
    first_date: date,
    weeks: int,
    step_days: int,
    granularity_min: int,
    duration_min: int,
    burden_by: BurdenUnit,
    zone: str | None = None,
    required_inside: bool = False,
) -> _SeriesModel:
    if not invitees:
        raise SchedulingInputError("the audience is empty")
    if granularity_min <= 0 or duration_min <= 0 or weeks <= 0:
        raise SchedulingInputError("series weeks, granularity and duration must be positive")
    options = -(-1440 // granularity_min)  # starts on the date itself, from 00:00 UTC
    dates = series_dates(first_date, weeks, step_days)
    if zone is None:
        midnights = np.asarray(
            [int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()) for d in dates],
            dtype=np.int64,
        )
        starts = midnights[:, None] + 60 * granularity_min * np.arange(options, dtype=np.int64)
    else:
        starts = _local_starts(dates, ZoneInfo(zone), options, granularity_min)
    inside = working_hours_matrix(invitees, starts.ravel(), duration_min * 60)
    weights = np.asarray([invitee.weight for invitee in invitees], dtype=np.float64)
    if burden_by == "region":
        labels = [invitee.label or "all" for invitee in invitees]
        units = sorted(set(labels))
        unit_index = np.asarray([units.index(label) for label in labels])
        unit_weight = np.bincount(unit_index, weights=weights, minlength=len(units))
        member = np.zeros((len(units), len(invitees)))
        member[unit_index, np.arange(len(invitees))] = weights / unit_weight[unit_index]
        share = member @ inside.T.astype(np.float64)
    elif burden_by == "person":
        # One unit per person; people with identical columns need one row only, but the
        # burden is reported per person id.
        units = [invitee.id for invitee in invitees]
        share = inside.T.astype(np.float64)
    else:
        raise SchedulingInputError(f"burden_by must be 'region' or 'person', not {burden_by!r}")
    attendance = (weights @ inside.T.astype(np.float64)) / weights.sum()
    model = _SeriesModel(
        starts=starts,
        share=share.reshape(len(units), weeks, options),
        attendance=attendance.reshape(weeks, options),
        units=units,
    )
    required = np.asarray([invitee.required for invitee in invitees], dtype=bool)
    if required_inside and required.any():
        _keep_required_inside(model, inside[:, required].reshape(weeks, options, -1))
    return model


def _local_starts(dates: list[date], zone: ZoneInfo, options: int, step_min: int) -> np.ndarray:
    """[date, option]: the UTC instant of each wall-clock start of each local date.

    Option ``o`` is the same local time on every date, so the rotation speaks the organiser's
    clock across a DST change. Aware-datetime arithmetic in Python is wall-clock arithmetic;
    a wall time that does not exist (the spring-forward gap) resolves with the offset before
    the change and so repeats a start an hour later, which is harmless: the solver sees two
    identical options.
    """
    return np.asarray(
        [
            [
                int(
                    (
                        datetime(d.year, d.month, d.day, tzinfo=zone)
                        + timedelta(minutes=o * step_min)
                    ).timestamp()
                )
                for o in range(options)
            ]
            for d in dates
        ],
        dtype=np.int64,
    )


def _keep_required_inside(model: _SeriesModel, required_inside: np.ndarray) -> None:
    """Let each date offer only starts inside every required invitee's working hours.

    ``required_inside`` is [week, option, required invitee]. The model stays rectangular: a
    refused option becomes a copy of the date's first allowed one, so the solvers (which keep
    the first of identical options) can never pick it and need no change. On a date where no
    start suits every required invitee, the starts that suit the most of them are allowed;
    the caller reports who is then outside their hours.
    """
    suited = required_inside.sum(axis=2)  # [week, option]
    allowed = suited == suited.max(axis=1, keepdims=True)
    for week in range(allowed.shape[0]):
        first = int(np.argmax(allowed[week]))
        refused = ~allowed[week]
        model.starts[week, refused] = model.starts[week, first]
        model.attendance[week, refused] = model.attendance[week, first]
        model.share[:, week, refused] = model.share[:, week, first][:, None]


def _solve(
    model: _SeriesModel, *, min_attendance: float | None, max_burden: float | None
) -> np.ndarray:
    """Choice per week: min-max burden if ``max_burden`` is None, else max attendance."""
    import highspy

    units, weeks, options = model.share.shape
    # Units with identical share rows give identical constraints: keep one of each.
    flat_share = model.share.reshape(units, weeks * options)
    distinct = np.unique(np.round(flat_share, 12), axis=0)
    n_x = weeks * options
    highs = quiet_highs()
    inf = highspy.kHighsInf
    # Variables: x (binary per week and option), then z (the largest burden).
    highs.addVars(n_x + 1, np.zeros(n_x + 1), np.ones(n_x + 1))
    highs.changeColsIntegrality(
        n_x, np.arange(n_x, dtype=np.int32), np.full(n_x, highspy.HighsVarType.kInteger)
    )
    if max_burden is None:
        highs.changeColCost(n_x, 1.0)  # minimise z
    else:
        highs.changeColsCost(n_x, np.arange(n_x, dtype=np.int32), -model.attendance.ravel())
        highs.changeColBounds(n_x, 0.0, max_burden + _SLACK)
    for week in range(weeks):
        columns = np.arange(week * options, (week + 1) * options, dtype=np.int32)
        highs.addRow(1.0, 1.0, options, columns, np.ones(options))
    # burden_u = 1 - mean_w share_u  <=  z   <=>   sum share_u x / weeks + z >= 1
    every = np.arange(n_x + 1, dtype=np.int32)
    for row in distinct:
        highs.addRow(1.0, inf, n_x + 1, every, np.concatenate([row / weeks, [1.0]]))
    if min_attendance is not None:
        highs.addRow(
            min_attendance - _SLACK,
            inf,
            n_x,
            every[:-1],
            model.attendance.ravel() / weeks,
        )
    highs.setOptionValue("mip_rel_gap", 0.0)
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise SchedulingInputError("the series model has no solution")
    chosen = np.asarray(highs.getSolution().col_value[:n_x]).reshape(weeks, options)
    return np.argmax(chosen, axis=1)


def _max_burden_of(model: _SeriesModel, choice: np.ndarray) -> float:
    weeks = np.arange(len(choice))
    return float(1.0 - model.share[:, weeks, choice].mean(axis=1).min())


def _undominated(values: np.ndarray) -> np.ndarray:
    """[option]: the options no other option dominates; ``values`` is [criterion, option].

    Option b dominates option a when b gives every unit at least a's share inside working
    hours (and so at least its attendance). Swapping a for b can raise no burden and lower no
    attendance, so a plan that uses only undominated options is as good as the best plan. Of
    identical options the first is kept.
    """
    options = values.shape[1]
    at_least = np.asarray((values[:, :, None] >= values[:, None, :]).all(axis=0))  # [b, a]
    above = np.asarray((values[:, :, None] > values[:, None, :]).any(axis=0))
    earlier = np.triu(np.ones((options, options), dtype=bool), k=1)  # earlier[b, a]: b < a
    np.fill_diagonal(at_least, False)
    return np.asarray(~(at_least & (above | earlier)).any(axis=0))


def _spread(counts: dict[int, int]) -> list[int]:
    """Options repeated ``counts`` times, interleaved so that a rotation really rotates."""
    total = sum(counts.values())
    placed = dict.fromkeys(counts, 0)
    order = []
    for slot in range(1, total + 1):
        option = max(counts, key=lambda o: (counts[o] * slot / total - placed[o], -o))
        placed[option] += 1
        order.append(option)
    return order


def _solve_within(
    model: _SeriesModel,
    *,
    min_attendance: float | None,
    max_burden: float | None,
    start: np.ndarray,
    time_limit: float,
) -> tuple[np.ndarray, bool]:
    """The same choice as ``_solve`` on a much smaller model, within ``time_limit`` seconds.

    Weeks whose options look the same to every unit (most of a series: only daylight-saving
    changes tell them apart) form a group, and the model counts how many weeks of each group
    take each undominated option (an integer per group and option instead of a binary per week
    and start: a few dozen variables instead of thousands, and none of the symmetry between
    weeks that kept the exact model busy for minutes). The counts are then laid out over the
    group's weeks, interleaved. ``start`` is a choice that satisfies the constraints: when time
    runs out before a proof, the better of it and HiGHS's incumbent is returned, not proven.
    """
    import highspy

    units, weeks, options = model.share.shape
    values = np.round(
        np.concatenate([model.share, model.attendance[None, :, :]], axis=0), 12
    )  # [unit + 1, week, option]
    groups: dict[bytes, list[int]] = {}
    for week in range(weeks):
        groups.setdefault(values[:, week, :].tobytes(), []).append(week)
    columns: list[tuple[int, int]] = []  # (group, option)
    members = list(groups.values())
    for group, group_weeks in enumerate(members):
        keep = _undominated(values[:, group_weeks[0], :])
        columns.extend((group, int(kept)) for kept in np.flatnonzero(keep))
    first_weeks = np.asarray([members[g][0] for g, _ in columns])
    options_of = np.asarray([o for _, o in columns])
    share = model.share[:, first_weeks, options_of]  # [unit, column]
    attendance = model.attendance[first_weeks, options_of]
    distinct = np.unique(np.round(share, 12), axis=0)
    n_x = len(columns)
    highs = quiet_highs()
    inf = highspy.kHighsInf
    sizes = np.asarray([len(members[g]) for g, _ in columns], dtype=np.float64)
    # Variables: n (weeks of a group on an option), then z (the largest burden).
    highs.addVars(n_x + 1, np.zeros(n_x + 1), np.concatenate([sizes, [1.0]]))
    highs.changeColsIntegrality(
        n_x, np.arange(n_x, dtype=np.int32), np.full(n_x, highspy.HighsVarType.kInteger)
    )
    if max_burden is None:
        highs.changeColCost(n_x, 1.0)
    else:
        highs.changeColsCost(n_x, np.arange(n_x, dtype=np.int32), -attendance)
        highs.changeColBounds(n_x, 0.0, max_burden + _SLACK)
    group_of = np.asarray([g for g, _ in columns])
    for group, group_weeks in enumerate(members):
        in_group = np.flatnonzero(group_of == group).astype(np.int32)
        size = float(len(group_weeks))
        highs.addRow(size, size, in_group.size, in_group, np.ones(in_group.size))
    every = np.arange(n_x + 1, dtype=np.int32)
    for row in distinct:
        highs.addRow(1.0, inf, n_x + 1, every, np.concatenate([row / weeks, [1.0]]))
    if min_attendance is not None:
        highs.addRow(min_attendance - _SLACK, inf, n_x, every[:-1], attendance / weeks)
    highs.setOptionValue("mip_rel_gap", 0.0)
    highs.setOptionValue("time_limit", float(max(time_limit, 0.01)))
    highs.run()
    proven = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    if not proven and highs.getInfo().primal_solution_status != 2:  # no feasible plan found
        return start, False
    counts = np.rint(np.asarray(highs.getSolution().col_value[:n_x])).astype(int)
    choice = np.zeros(weeks, dtype=int)
    for group, group_weeks in enumerate(members):
        wanted = {
            options_of[c]: int(counts[c]) for c in np.flatnonzero(group_of == group) if counts[c]
        }
        for week, option in zip(group_weeks, _spread(wanted), strict=True):
            choice[week] = option
    if proven:
        return choice, True
    every_week = np.arange(weeks)
    better = (
        _max_burden_of(model, choice) <= _max_burden_of(model, start) + _SLACK
        if max_burden is None
        else model.attendance[every_week, choice].sum()
        >= model.attendance[every_week, start].sum() - _SLACK
    )
    return (choice if better else start), False


def _plan(model: _SeriesModel, choice: np.ndarray, *, optimal: bool = True) -> SeriesPlan:
    weeks = np.arange(len(choice))
    inside = model.share[:, weeks, choice]  # [unit, week]
    burden = {unit: float(1.0 - inside[u].mean()) for u, unit in enumerate(model.units)}
    occurrences = tuple(
        SeriesOccurrence(
            start=int(model.starts[w, choice[w]]),
            attendance=float(model.attendance[w, choice[w]]),
            inside_share={unit: float(inside[u, w]) for u, unit in enumerate(model.units)},
        )
        for w in weeks
    )
    return SeriesPlan(
        occurrences=occurrences,
        mean_attendance=float(model.attendance[weeks, choice].mean()),
        burden=burden,
        max_burden=max(burden.values()),
        best_mean_attendance=float(model.attendance.max(axis=1).mean()),
        optimal=optimal,
    )


def fair_series(
    invitees: Sequence[Invitee],
    *,
    first_date: date,
    weeks: int,
    step_days: int = 7,
    granularity_min: int = 30,
    duration_min: int = 60,
    burden_by: BurdenUnit = "region",
    attendance_tolerance: float | None = None,
    time_limit: float | None = None,
    zone: str | None = None,
    required_inside: bool = False,
) -> SeriesPlan:
    """The fair rotation: smallest possible largest burden, then the best mean attendance.

    ``burden_by="region"`` groups invitees by their ``label``; ``"person"`` makes every invitee
    a unit of their own. ``attendance_tolerance=0.1`` keeps mean attendance at or above 90 % of
    the best achievable before fairness is optimised. ``time_limit`` (seconds, for both steps)
    bounds the solver; the plan then says whether it is proven best (``optimal``).
    """
    deadline = None if time_limit is None else time.monotonic() + time_limit
    model = _series_model(
        invitees,
        first_date=first_date,
        weeks=weeks,
        step_days=step_days,
        granularity_min=granularity_min,
        duration_min=duration_min,
        burden_by=burden_by,
        zone=zone,
        required_inside=required_inside,
    )
    return _fair_plan(model, attendance_tolerance=attendance_tolerance, deadline=deadline)


def _fair_plan(
    model: _SeriesModel, *, attendance_tolerance: float | None, deadline: float | None
) -> SeriesPlan:
    min_attendance = None
    if attendance_tolerance is not None:
        if not 0.0 <= attendance_tolerance <= 1.0:
            raise SchedulingInputError("attendance_tolerance must lie between 0 and 1")
        min_attendance = (1.0 - attendance_tolerance) * float(model.attendance.max(axis=1).mean())
    if deadline is None:
        fairest = _plan(model, _solve(model, min_attendance=min_attendance, max_burden=None))
        choice = _solve(model, min_attendance=min_attendance, max_burden=fairest.max_burden)
        return _plan(model, choice)
    # The best start of every week reaches the best attendance, so it meets any tolerance.
    best_each_week = np.argmax(model.attendance, axis=1)
    first, first_proven = _solve_within(
        model,
        min_attendance=min_attendance,
        max_burden=None,
        start=best_each_week,
        time_limit=(deadline - time.monotonic()) / 2,
    )
    fairest = _plan(model, first)
    choice, proven = _solve_within(
        model,
        min_attendance=min_attendance,
        max_burden=fairest.max_burden,
        start=first,
        time_limit=deadline - time.monotonic(),
    )
    return _plan(model, choice, optimal=first_proven and proven)


def series_tradeoff(
    invitees: Sequence[Invitee],
    *,
    first_date: date,
    weeks: int,
    step_days: int = 7,
    granularity_min: int = 30,
    duration_min: int = 60,
    burden_by: BurdenUnit = "region",
    tolerances: Sequence[float] = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 1.0),
    time_limit: float | None = None,
    zone: str | None = None,
    required_inside: bool = False,
) -> list[tuple[float, SeriesPlan]]:
    """Fair plans for several attendance tolerances: the fairness/attendance trade-off curve.

    Tolerance 0 keeps the best attendance (and is as fair as that allows); tolerance 1 is the
    unconstrained fair plan. ``time_limit`` (seconds, for the whole curve) is shared equally
    among the points still to solve, so time one point leaves unused goes to the next.
    """
    deadline = None if time_limit is None else time.monotonic() + time_limit
    model = _series_model(
        invitees,
        first_date=first_date,
        weeks=weeks,
        step_days=step_days,
        granularity_min=granularity_min,
        duration_min=duration_min,
        burden_by=burden_by,
        zone=zone,
        required_inside=required_inside,
    )
    curve = []
    for index, tolerance in enumerate(tolerances):
        point_deadline = (
            None
            if deadline is None
            else time.monotonic()
            + max(deadline - time.monotonic(), 0.0) / (len(tolerances) - index)
        )
        curve.append(
            (
                tolerance,
                _fair_plan(model, attendance_tolerance=tolerance, deadline=point_deadline),
            )
        )
    return curve
