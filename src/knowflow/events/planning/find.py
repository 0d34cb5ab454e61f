"""*Find a time*: one request (an audience and a window) answered with proposals, repeats, a
heat map and a fair series, inside the request's time budget."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.events.models import Room, Session
from knowflow.events.permissions import can_see_availability_of
from knowflow.events.planning import PlanningError
from knowflow.events.planning.audience import (
    Audience,
    AudienceSpec,
    audience_resolve,
    from_scheduler,
    invitees_for,
)
from knowflow.events.planning.proposals import (
    HeatCell,
    Proposal,
    RepeatOption,
    explanation,
    heatmap,
    spread_proposals,
)
from knowflow.events.planning.rooms import suggested_room
from knowflow.events.planning.series import (
    SERIES_TOLERANCES,
    TradeoffPoint,
    speaker_notes,
    tradeoff_rows,
)
from knowflow.scheduling.availability import (
    SchedulingInputError,
    availability_build,
    candidate_grid,
)
from knowflow.scheduling.coverage import best_slots, follow_the_sun
from knowflow.scheduling.series import SeriesPlan, series_tradeoff

MAX_WINDOW_DAYS = 62
# Of the time budget, the share the repeat plans may use when a series is also asked for; the
# series (a trade-off curve of several plans over up to 52 dates) gets the rest.
REPEATS_BUDGET_SHARE = 0.3
LABELS = ("region", "office", "org_unit")
# The length a format usually takes, for the find-a-time form's default duration.
FORMAT_DURATION_MIN: dict[str, int] = {
    Session.Format.TALK: 45,
    Session.Format.WORKSHOP: 120,
    Session.Format.LIGHTNING: 10,
    Session.Format.DEMO: 30,
    Session.Format.PANEL: 60,
    Session.Format.AMA: 45,
    Session.Format.COURSE_MODULE: 90,
}
DEFAULT_DURATION_MIN = 60
WORKDAYS = frozenset(range(5))  # Monday to Friday


def duration_for_format(fmt: str) -> int:
    """The default length of a session of this format, in minutes."""
    return FORMAT_DURATION_MIN.get(fmt, DEFAULT_DURATION_MIN)


def earliest_start(*, now: datetime, zone: ZoneInfo, working_days: int) -> datetime:
    """The start of the local day ``working_days`` working days after today, in UTC.

    Counted in the organiser's zone, skipping Saturdays and Sundays: on a Thursday with two
    working days that is Monday 00:00; on a Monday, Wednesday 00:00.
    """
    day = now.astimezone(zone).date()
    left = working_days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() in WORKDAYS:
            left -= 1
    return datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)


@dataclass
class TimeFinding:
    audience_size: int
    total_weight: float
    duration_min: int
    proposals: list[Proposal]
    repeats: list[RepeatOption]
    heatmap_days: list[str]
    heatmap: list[HeatCell]
    heat_zone: str
    series: SeriesPlan | None = None
    series_zone_starts: list[datetime] = field(default_factory=list)
    series_tradeoff: list[TradeoffPoint] = field(default_factory=list)
    series_tolerance: float | None = None
    # True when every point of the curve gave the same figures: one row is shown, and why.
    series_tradeoff_forced: bool = False
    # Dates where no start suits every speaker, and who is then outside their hours.
    series_notes: list[str] = field(default_factory=list)
    series_first_date: date | None = None
    plan_zone: str = "UTC"
    earliest: datetime | None = None  # the lead time: nothing is proposed before it
    names_hidden: bool = False  # the viewer sees counts, not who is busy or off
    time_budget: float = 0.0  # seconds the solvers were allowed

    @property
    def time_budget_text(self) -> str:
        return f"{self.time_budget:g}"

    @property
    def proven(self) -> bool:
        """Whether every plan shown is proven best (not only the best found in the budget)."""
        return all(r.optimal for r in self.repeats) and (self.series is None or self.series.optimal)


def _check_window(*, start: datetime, end: datetime, duration_min: int, step_min: int) -> None:
    if duration_min <= 0:
        raise PlanningError("The duration must be at least one minute.", field="duration")
    if duration_min > 8 * 60:
        raise PlanningError(
            "A session longer than eight hours cannot be placed in a working day.", field="duration"
        )
    if step_min not in (15, 30, 60):
        raise PlanningError("The step must be 15, 30 or 60 minutes.", field="step")
    if end <= start:
        raise PlanningError("The window must end after it starts.", field="window_end")
    if (end - start) < timedelta(minutes=duration_min):
        raise PlanningError("The window is shorter than the session.", field="window_end")
    if (end - start) > timedelta(days=MAX_WINDOW_DAYS):
        raise PlanningError(
            f"The window can span at most {MAX_WINDOW_DAYS} days.", field="window_end"
        )


def _names(audience: Audience) -> dict[str, str]:
    return {str(p.pk): p.display_name for p in audience.people}


def _scheduling_error(error: SchedulingInputError, audience: Audience) -> PlanningError:
    """The scheduler names invitees by id; the organiser wants names."""
    message = str(error)
    for pid, name in _names(audience).items():
        message = message.replace(f"'{pid}'", name)
    message = message.replace("required invitee", "the speaker")
    return PlanningError(message[0].upper() + message[1:] + ".", field="speakers")


def time_find(
    *,
    spec: AudienceSpec,
    duration_min: int,
    window_start: datetime,
    window_end: datetime,
    step_min: int = 30,
    label_by: str = "region",
    heat_zone: str = "UTC",
    proposals: int = 5,
    repeat_ks: tuple[int, ...] = (2, 3),
    series_weeks: int = 0,
    series_step_days: int = 7,
    series_tolerance: float | None = None,
    time_budget: float | None = None,
    viewer: Person | None = None,
    plan_zone: str | None = None,
    now: datetime | None = None,
) -> TimeFinding:
    """Best times for the audience in the window: proposals, repeats, heat map, fair series.

    Raises ``PlanningError`` with a readable message for an empty audience, a window shorter
    than the session, an unknown zone, or a speaker who is never available (named). The repeat
    plans and the series share ``time_budget`` seconds (default: the setting
    ``KNOWFLOW_PLANNING_TIME_BUDGET_SECONDS``); a plan the budget stopped before a proof has
    ``optimal`` False, and ``TimeFinding.proven`` says whether all are proven best.

    ``plan_zone`` is the organiser's zone (default: ``heat_zone``): the series starts on the
    local date of ``window_start`` there, proposals are spread one per local day there, and
    nothing starts before the lead time counted there from ``now``. With a ``viewer``, names
    in the explanations are limited to the people ``can_see_availability_of`` allows.
    """
    budget = (
        float(settings.KNOWFLOW_PLANNING_TIME_BUDGET_SECONDS)
        if time_budget is None
        else time_budget
    )
    deadline = time.monotonic() + budget
    _check_window(start=window_start, end=window_end, duration_min=duration_min, step_min=step_min)
    if label_by not in LABELS:
        raise PlanningError("Group by region, office or org_unit.", field="label_by")
    if series_weeks and not 2 <= series_weeks <= 52:
        raise PlanningError("A series has between 2 and 52 dates.", field="series_weeks")
    if series_weeks and series_step_days not in (7, 14):
        raise PlanningError("A series repeats every 7 or 14 days.", field="series_step_days")
    try:
        zone = ZoneInfo(heat_zone)
    except (KeyError, ValueError) as error:
        raise PlanningError(f"'{heat_zone}' is not a known time zone.", field="tz") from error
    plan_zone = plan_zone or heat_zone
    try:
        organiser_zone = ZoneInfo(plan_zone)
    except (KeyError, ValueError) as error:
        raise PlanningError(f"'{plan_zone}' is not a known time zone.", field="tz") from error
    lead_days = settings.KNOWFLOW_PLANNING_LEAD_WORKING_DAYS
    earliest = earliest_start(
        now=now or timezone.now(), zone=organiser_zone, working_days=lead_days
    )
    # The first date the organiser chose, read in their zone: the UTC date of their local
    # midnight is the day before for everyone east of UTC.
    first_date = max(window_start, earliest).astimezone(organiser_zone).date()
    grid_start = max(window_start, earliest)
    if grid_start + timedelta(minutes=duration_min) > window_end:
        raise PlanningError(
            f"Nothing is proposed before {earliest.astimezone(organiser_zone):%a %d %b %Y} "
            f"({lead_days} working days from today, so people have notice): "
            "choose a window that ends later.",
            field="first_day",
        )
    audience = audience_resolve(spec=spec)
    invitees = invitees_for(audience, label_by=label_by, start=grid_start, end=window_end)
    names = _names(audience)
    visible = None
    if viewer is not None and not viewer.is_enabler:
        visible = {
            str(p.pk)
            for p in audience.people
            if can_see_availability_of(actor=viewer, person_id=p.pk)
        }
    try:
        grid = candidate_grid(
            window_start=grid_start,
            window_end=window_end,
            step_min=step_min,
            duration_min=duration_min,
        )
        availability = availability_build(invitees, grid)
        ranked = best_slots(availability, count=availability.grid.count)
        slots = spread_proposals(
            ranked, count=proposals, zone=organiser_zone, separation_s=duration_min * 60
        )
        repeats = []
        repeats_deadline = time.monotonic() + (
            max(deadline - time.monotonic(), 0.0) * (REPEATS_BUDGET_SHARE if series_weeks else 1.0)
        )
        for index, k in enumerate(repeat_ks):
            left = max(repeats_deadline - time.monotonic(), 0.0)
            repeats.append(
                follow_the_sun(availability, k=k, time_limit=left / (len(repeat_ks) - index))
            )
    except SchedulingInputError as error:
        raise _scheduling_error(error, audience) from error
    total_weight = float(availability.weights.sum())
    duration = timedelta(minutes=duration_min)
    covers = availability.covers
    rooms = list(Room.objects.select_related("office"))
    proposal_list = []
    for slot in slots:
        start = from_scheduler(slot.start)
        proposal_list.append(
            Proposal(
                start=start,
                end=start + duration,
                covered_weight=slot.covered_weight,
                covered_people=int(covers[slot.candidate].sum()),
                share=slot.covered_weight / total_weight,
                explanation=explanation(availability, slot.candidate, names, visible),
                room=suggested_room(audience, start, start + duration, rooms),
            )
        )
    labels = [invitee.label for invitee in invitees]
    label_names = sorted(set(labels))
    repeat_options = []
    for plan in repeats:
        seen = np.zeros(len(invitees), dtype=bool)
        added: dict[str, list[int]] = {label: [] for label in label_names}
        for candidate in plan.candidates:
            new = covers[candidate] & ~seen
            seen |= covers[candidate]
            for label in label_names:
                added[label].append(int(sum(1 for i in np.flatnonzero(new) if labels[i] == label)))
        repeat_options.append(
            RepeatOption(
                k=len(plan.starts),
                starts=[from_scheduler(s) for s in plan.starts],
                covered_weight=plan.covered_weight,
                share=plan.covered_weight / total_weight,
                optimal=plan.optimal,
                added_by_label=list(added.items()),
            )
        )
    days, cells = heatmap(availability, zone, step_min)
    finding = TimeFinding(
        audience_size=len(audience.people),
        total_weight=total_weight,
        duration_min=duration_min,
        proposals=proposal_list,
        repeats=repeat_options,
        heatmap_days=days,
        heatmap=cells,
        heat_zone=heat_zone,
        time_budget=budget,
        plan_zone=plan_zone,
        earliest=earliest,
        names_hidden=visible is not None,
    )
    if series_weeks:
        tolerances: tuple[float, ...] = SERIES_TOLERANCES
        if series_tolerance is not None and series_tolerance not in tolerances:
            tolerances = (*tolerances, series_tolerance)
        try:
            curve = dict(
                series_tradeoff(
                    invitees,
                    tolerances=tolerances,
                    time_limit=max(deadline - time.monotonic(), 0.0),
                    first_date=first_date,
                    zone=plan_zone,
                    required_inside=True,
                    weeks=series_weeks,
                    step_days=series_step_days,
                    granularity_min=step_min,
                    duration_min=duration_min,
                )
            )
        except SchedulingInputError as error:
            raise _scheduling_error(error, audience) from error
        finding.series = curve[1.0 if series_tolerance is None else series_tolerance]
        finding.series_tradeoff, finding.series_tradeoff_forced = tradeoff_rows(
            curve, finding.series
        )
        finding.series_notes = speaker_notes(
            finding.series, invitees, names, duration_min, organiser_zone
        )
        finding.series_first_date = first_date
        finding.series_tolerance = series_tolerance
        finding.series_zone_starts = [from_scheduler(s) for s in finding.series.starts]
    return finding
