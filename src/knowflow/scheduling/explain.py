"""Why a proposed start suits some invitees and not others, grouped by a label.

An organiser choosing between proposals needs more than a number: who is inside working hours,
who would join early or late and at what local time, who is off that day or busy. The label is
whatever the caller groups by (region, office, org unit); it is taken from ``Invitee.label``
unless ``labels`` overrides it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from knowflow.scheduling.availability import Availability, load_zone

Status = Literal["inside", "early", "late", "day_off", "busy"]


@dataclass(frozen=True)
class InviteeSituation:
    """One invitee at one start: the local wall-clock time and where it falls."""

    invitee_id: str
    local_start: str  # e.g. "Tue 07:30 America/New_York"
    status: Status


@dataclass
class LabelExplanation:
    """All invitees of one label at one start."""

    label: str
    total_weight: float = 0.0
    inside_weight: float = 0.0
    situations: list[InviteeSituation] = field(default_factory=list)

    def by_status(self, status: Status) -> list[InviteeSituation]:
        return [s for s in self.situations if s.status == status]


def explain_start(
    availability: Availability, candidate: int, *, labels: Sequence[str] | None = None
) -> dict[str, LabelExplanation]:
    """Per label, the situation of every invitee at candidate ``candidate``.

    *early* means the session starts before the invitee's working window of that local day,
    *late* that it ends after it; *busy* is inside hours but clashing with a busy interval.
    """
    start = int(availability.starts[candidate])
    covers = availability.covers[candidate]
    inside = availability.inside_hours[candidate]
    local_cache: dict[str, datetime] = {}
    result: dict[str, LabelExplanation] = {}
    for position, invitee in enumerate(availability.invitees):
        label = labels[position] if labels is not None else invitee.label
        local = local_cache.get(invitee.tz)
        if local is None:
            local = local_cache[invitee.tz] = datetime.fromtimestamp(start, load_zone(invitee.tz))
        status: Status
        if covers[position]:
            status = "inside"
        elif inside[position]:
            status = "busy"
        else:
            window = invitee.hours.windows.get(local.weekday())
            minute = local.hour * 60 + local.minute
            if window is None:
                status = "day_off"
            elif minute < window[0] and window[1] > window[0]:
                status = "early"
            else:
                status = "late"
        explanation = result.setdefault(label, LabelExplanation(label=label))
        explanation.total_weight += invitee.weight
        if status == "inside":
            explanation.inside_weight += invitee.weight
        explanation.situations.append(
            InviteeSituation(
                invitee_id=invitee.id,
                local_start=f"{local:%a %H:%M} {invitee.tz}",
                status=status,
            )
        )
    return dict(sorted(result.items()))
