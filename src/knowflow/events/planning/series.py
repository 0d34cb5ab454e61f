"""A fair series: the fairness/attendance trade-off curve the organiser chooses from, and the
dates where no start suits every speaker."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from knowflow.events.planning.audience import from_scheduler
from knowflow.scheduling.availability import Invitee, working_hours_matrix
from knowflow.scheduling.series import SeriesPlan

# Points of the fairness/attendance curve shown to the organiser: how much mean attendance
# (as a share of the best achievable) they give up for fairness; 1.0 is the fairest plan.
SERIES_TOLERANCES = (0.0, 0.1, 0.2, 0.3, 1.0)


@dataclass(frozen=True)
class TradeoffPoint:
    """One point of the fairness/attendance curve for a series."""

    tolerance: float
    mean_attendance: float
    max_burden: float
    optimal: bool = True  # False: the best found within the time budget
    starts: tuple[int, ...] = ()
    shown: bool = False  # the plan shown below the curve

    @property
    def fairest(self) -> bool:
        return self.tolerance >= 1.0

    @property
    def label(self) -> str:
        if self.fairest:
            return "fairest"
        return f"keep ≥ {round(100 - self.tolerance * 100)}% of the best attendance"

    @property
    def param(self) -> str:
        return "" if self.fairest else f"{self.tolerance:g}"


def tradeoff_rows(
    curve: dict[float, SeriesPlan], shown: SeriesPlan
) -> tuple[list[TradeoffPoint], bool]:
    """The distinct points of the curve, and whether the data forced them all to one.

    Points whose figures read the same (to the tenth of a percent) are one choice for the
    organiser, so only the first (the one keeping the most attendance) is listed.
    """
    rows: list[TradeoffPoint] = []
    seen: set[tuple[float, float]] = set()
    for tolerance in SERIES_TOLERANCES:
        plan = curve[tolerance]
        key = (round(plan.mean_attendance, 3), round(plan.max_burden, 3))
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            TradeoffPoint(
                tolerance=tolerance,
                mean_attendance=plan.mean_attendance,
                max_burden=plan.max_burden,
                optimal=plan.optimal,
                starts=plan.starts,
                shown=key == (round(shown.mean_attendance, 3), round(shown.max_burden, 3)),
            )
        )
    return rows, len(rows) == 1


def speaker_notes(
    plan: SeriesPlan,
    invitees: list[Invitee],
    names: dict[str, str],
    duration_min: int,
    zone: ZoneInfo,
) -> list[str]:
    """For each date of the plan where a speaker is outside their working hours: who, when."""
    required = [invitee for invitee in invitees if invitee.required]
    if not required:
        return []
    starts = np.asarray(plan.starts, dtype=np.int64)
    inside = working_hours_matrix(required, starts, duration_min * 60)  # [date, speaker]
    notes = []
    for index, start in enumerate(plan.starts):
        outside = [required[i] for i in np.flatnonzero(~inside[index])]
        if not outside:
            continue
        local = from_scheduler(start).astimezone(zone)
        who = ", ".join(
            f"{names[i.id]} ({from_scheduler(start).astimezone(ZoneInfo(i.tz)):%a %H:%M} {i.tz})"
            for i in outside
        )
        notes.append(
            f"{local:%a %d %b %Y}: no time that day is inside the working hours of every "
            f"speaker; outside their hours: {who}."
        )
    return notes
