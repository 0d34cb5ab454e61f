"""What the organiser reads about single times: the proposals (spread over local days), who
each one suits and who not, the repeat plans, and the heat map of the week."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np

from knowflow.events.models import Room
from knowflow.events.planning.audience import from_scheduler
from knowflow.scheduling.availability import Availability
from knowflow.scheduling.coverage import SlotProposal
from knowflow.scheduling.explain import explain_start


@dataclass
class LabelLine:
    label: str
    inside: int
    total: int
    # Names with their local start ("Ana (Tue 07:30 America/New_York)"), only of the people
    # the viewer may see (can_see_availability_of); the counts are of everyone.
    early: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)
    off: list[str] = field(default_factory=list)
    early_count: int = 0
    late_count: int = 0
    off_count: int = 0


@dataclass
class Proposal:
    start: datetime
    end: datetime
    covered_weight: float
    covered_people: int
    share: float
    explanation: list[LabelLine]
    room: Room | None = None


@dataclass
class RepeatOption:
    k: int
    starts: list[datetime]
    covered_weight: float
    share: float
    optimal: bool
    added_by_label: list[tuple[str, list[int]]]  # label → people newly covered by each start


@dataclass
class HeatCell:
    day: int
    hour: int
    share: float
    label: str


def explanation(
    availability: Availability, candidate: int, names: dict[str, str], visible: set[str] | None
) -> list[LabelLine]:
    """Per group: how many are inside, early, late, off or busy; names only of ``visible``.

    ``visible`` None means everyone may be named (an enabler's view).
    """

    def named(situations: list, why: bool = False) -> list[str]:
        # The reason (a day off, or busy at another session) is as private as the name.
        return [
            f"{names[s.invitee_id]} ({s.local_start}"
            + (", day off)" if why and s.status == "day_off" else ", busy)" if why else ")")
            for s in situations
            if visible is None or s.invitee_id in visible
        ]

    lines = []
    for label, group in explain_start(availability, candidate).items():
        early, late = group.by_status("early"), group.by_status("late")
        off = group.by_status("day_off") + group.by_status("busy")
        lines.append(
            LabelLine(
                label=label,
                inside=len(group.by_status("inside")),
                total=len(group.situations),
                early=named(early),
                late=named(late),
                off=named(off, why=True),
                early_count=len(early),
                late_count=len(late),
                off_count=len(off),
            )
        )
    return lines


def spread_proposals(
    ranked: list[SlotProposal], *, count: int, zone: ZoneInfo, separation_s: int
) -> list[SlotProposal]:
    """The best ``count`` starts, spread over local days and hours.

    The ranking alone gives the same hour on consecutive days (a good hour is good every
    day), which offers no real choice. So, best first, in the organiser's zone: at most one
    start a day and never the same hour as a neighbouring day's proposal; then, if the window
    is too short for that, one a day at any hour; then other hours on days already used
    (``separation_s`` apart).
    """

    def local(slot: SlotProposal) -> datetime:
        return from_scheduler(slot.start).astimezone(zone)

    chosen: list[SlotProposal] = []

    def take(fits: Callable[[datetime, list[datetime]], bool]) -> None:
        for slot in ranked:
            if len(chosen) == count:
                return
            # Never two proposals that overlap (23:30 and 00:00 are on two days).
            apart = all(abs(slot.start - c.start) >= separation_s for c in chosen)
            if apart and slot not in chosen and fits(local(slot), [local(c) for c in chosen]):
                chosen.append(slot)

    def new_day_new_neighbour_hour(moment: datetime, taken: list[datetime]) -> bool:
        return all(
            t.date() != moment.date()
            and not (t.hour == moment.hour and abs((t.date() - moment.date()).days) == 1)
            for t in taken
        )

    def new_day(moment: datetime, taken: list[datetime]) -> bool:
        return all(t.date() != moment.date() for t in taken)

    def new_hour(moment: datetime, taken: list[datetime]) -> bool:
        return all(t.hour != moment.hour for t in taken)

    for rule in (new_day_new_neighbour_hour, new_day, new_hour):
        take(rule)
    chosen.sort(key=lambda slot: ranked.index(slot))
    return chosen


def heatmap(
    availability: Availability, zone: ZoneInfo, step_min: int
) -> tuple[list[str], list[HeatCell]]:
    """Share of the audience weight covered for a start at each local hour of each day."""
    total = float(availability.weights.sum())
    columns, weights = availability.coverage_types()
    scores = (
        columns.astype(np.float64) @ weights if columns.size else np.zeros(availability.grid.count)
    )
    days: list[date] = []
    best: dict[tuple[date, int], float] = {}
    for candidate, start in enumerate(availability.starts):
        local = from_scheduler(int(start)).astimezone(zone)
        key = (local.date(), local.hour)
        if local.date() not in days:
            days.append(local.date())
        best[key] = max(best.get(key, 0.0), float(scores[candidate]) / total)
    cells = [
        HeatCell(
            day=days.index(day),
            hour=hour,
            share=share,
            label=f"{day:%a %d %b} {hour:02d}:00 — {share:.0%}",
        )
        for (day, hour), share in best.items()
    ]
    return [f"{day:%a %d %b}" for day in days], cells
