"""Finding a time through the API: POST an audience and a window, get proposals explained."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import AwareDatetime, Field

from knowflow.api.auth import viewer
from knowflow.api.schemas import BodyIn, DatabaseInt, NoBool, TimeZoneName, WebLink, one_of
from knowflow.errors import DomainError
from knowflow.events import selectors as events_selectors
from knowflow.events.planning.audience import AudienceSpec
from knowflow.events.planning.find import TimeFinding, time_find
from knowflow.events.planning.services import occurrences_create_from_plan

router = Router(tags=["planning"])


class AudienceIn(BodyIn):
    circle: str = Field("", description="Circle slug: its members.")
    org_unit: str = Field("", description="Org unit slug: its people and those of the units below.")
    topic: str = Field("", description="Topic slug: the people with that skill.")
    people: list[DatabaseInt] = Field(default_factory=list, description="Person ids.")
    speakers: list[DatabaseInt] = Field(
        default_factory=list, description="Person ids; required, weight 3."
    )


class FindTimeIn(BodyIn):
    audience: AudienceIn
    duration_min: int = Field(ge=1, le=480)
    window_start: AwareDatetime
    window_end: AwareDatetime
    step_min: Literal[15, 30, 60] = Field(30, description="15, 30 or 60.")
    label_by: one_of("region", "office", "org_unit") = Field(  # type: ignore[valid-type]
        "region", description="region, office or org_unit."
    )
    proposals: int = Field(5, ge=1, le=20)
    repeats: list[Annotated[int, Field(ge=2, le=4), NoBool]] = Field(
        default_factory=lambda: [2, 3], description="k values, each 2 to 4."
    )
    series_weeks: int = Field(0, ge=0, le=52, description="0: no series plan.")
    series_step_days: Literal[7, 14] = Field(7, description="7 (weekly) or 14 (fortnightly).")
    tz: TimeZoneName = Field(
        "",
        description="The organiser's IANA zone (default: yours): the series starts on the local "
        "date of window_start there, proposals are one per local day there, and the lead time "
        "is counted there.",
    )


class LabelOut(Schema):
    label: str
    inside: int
    total: int
    early: list[str] = Field(description="Names, only of people you may see (see off).")
    late: list[str]
    off: list[str] = Field(
        description="Day off or busy. Enablers see everyone's name; members only their own."
    )
    early_count: int
    late_count: int
    off_count: int


class ProposalOut(Schema):
    start: datetime
    end: datetime
    covered_weight: float
    covered_people: int
    share: float
    room_id: DatabaseInt | None
    explanation: list[LabelOut]


class RepeatOut(Schema):
    k: int
    starts: list[datetime]
    covered_weight: float
    share: float
    optimal: bool
    added_by_label: dict[str, list[int]]


class SeriesOut(Schema):
    starts: list[datetime]
    optimal: bool = Field(
        description="False: the best plan found within the time budget, not proven best."
    )
    mean_attendance: float
    best_mean_attendance: float
    burden: dict[str, float]
    max_burden: float
    first_date: date = Field(description="The first date of the series, in the organiser's zone.")
    notes: list[str] = Field(
        description="Dates where no start suits every speaker, and who is then outside hours."
    )


class HeatCellOut(Schema):
    day: str
    hour: int
    share: float


class FindTimeOut(Schema):
    audience_size: int
    total_weight: float
    proven: bool = Field(
        description="Whether every repeat and series plan is proven best; false when the time "
        "budget stopped a solver first (those plans have optimal false)."
    )
    time_budget_seconds: float = Field(description="Seconds the solvers were allowed.")
    earliest: datetime = Field(description="The lead time: nothing is proposed before it.")
    proposals: list[ProposalOut]
    repeats: list[RepeatOut]
    series: SeriesOut | None
    heatmap_utc: list[HeatCellOut]


def _out(finding: TimeFinding) -> dict:
    return {
        "audience_size": finding.audience_size,
        "total_weight": finding.total_weight,
        "proven": finding.proven,
        "time_budget_seconds": finding.time_budget,
        "earliest": finding.earliest,
        "proposals": [
            {
                "start": p.start,
                "end": p.end,
                "covered_weight": p.covered_weight,
                "covered_people": p.covered_people,
                "share": p.share,
                "room_id": p.room.pk if p.room else None,
                "explanation": [line.__dict__ for line in p.explanation],
            }
            for p in finding.proposals
        ],
        "repeats": [
            {
                "k": r.k,
                "starts": r.starts,
                "covered_weight": r.covered_weight,
                "share": r.share,
                "optimal": r.optimal,
                "added_by_label": dict(r.added_by_label),
            }
            for r in finding.repeats
        ],
        "series": None
        if finding.series is None
        else {
            "starts": finding.series_zone_starts,
            "optimal": finding.series.optimal,
            "mean_attendance": finding.series.mean_attendance,
            "best_mean_attendance": finding.series.best_mean_attendance,
            "burden": finding.series.burden,
            "max_burden": finding.series.max_burden,
            "first_date": finding.series_first_date,
            "notes": finding.series_notes,
        },
        "heatmap_utc": [
            {"day": finding.heatmap_days[c.day], "hour": c.hour, "share": c.share}
            for c in finding.heatmap
        ],
    }


@router.post("/find-a-time", response=FindTimeOut)
def find_a_time(request: HttpRequest, payload: FindTimeIn) -> dict:
    """Proposals, repeat plans (follow the sun), a fair series rotation and a UTC heat map."""
    if any(k < 2 or k > 4 for k in payload.repeats):
        raise DomainError("Each repeat k must be 2, 3 or 4.", field="repeats")
    person = viewer(request)
    finding = time_find(
        spec=AudienceSpec(
            circle=payload.audience.circle,
            org_unit=payload.audience.org_unit,
            topic=payload.audience.topic,
            people=tuple(payload.audience.people),
            speakers=tuple(payload.audience.speakers),
        ),
        duration_min=payload.duration_min,
        window_start=payload.window_start,
        window_end=payload.window_end,
        step_min=payload.step_min,
        label_by=payload.label_by,
        heat_zone="UTC",
        proposals=payload.proposals,
        repeat_ks=tuple(payload.repeats),
        series_weeks=payload.series_weeks,
        series_step_days=payload.series_step_days,
        viewer=person,
        plan_zone=payload.tz or person.timezone,
    )
    return _out(finding)


class PlanIn(BodyIn):
    starts: list[AwareDatetime] = Field(min_length=1)
    duration_min: int = Field(ge=1, le=480)
    capacity: int = Field(ge=1, le=1_000_000)
    online_url: WebLink = ""
    room_ids: list[DatabaseInt | None] = Field(default_factory=list)


class CreatedOut(Schema):
    occurrence_ids: list[DatabaseInt]


@router.post("/sessions/{session_id}/occurrences", response={201: CreatedOut})
def create_from_plan(
    request: HttpRequest, session_id: DatabaseInt, payload: PlanIn
) -> tuple[int, dict]:
    """Create the chosen occurrences of a session at once, all or nothing."""
    session = events_selectors.session_get(id=session_id)
    rooms = list(payload.room_ids) + [None] * (len(payload.starts) - len(payload.room_ids))
    created = occurrences_create_from_plan(
        session=session,
        actor=viewer(request),
        starts=list(payload.starts),
        duration_min=payload.duration_min,
        capacity=payload.capacity,
        online_url=payload.online_url,
        room_ids=rooms[: len(payload.starts)],
    )
    return 201, {"occurrence_ids": [o.pk for o in created]}
