"""The "find a time" page: choose an audience and a window, read the proposals, create."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from knowflow.accounts.forms import PeopleField, timezone_choices
from knowflow.accounts.models import OrgUnit
from knowflow.circles.forms import CirclesField
from knowflow.demand import selectors as demand_selectors
from knowflow.errors import DomainError
from knowflow.events import selectors
from knowflow.events.permissions import can_edit_session
from knowflow.events.planning.audience import AudienceSpec
from knowflow.events.planning.find import (
    DEFAULT_DURATION_MIN,
    LABELS,
    TimeFinding,
    duration_for_format,
    earliest_start,
    time_find,
)
from knowflow.events.planning.services import occurrences_create_from_plan
from knowflow.topics.forms import TopicsField
from knowflow.web.errors import add_to_form, flash

HEAT_CELL_W, HEAT_CELL_H, HEAT_LEFT, HEAT_TOP = 30, 22, 92, 22


class FindTimeForm(forms.Form):
    circle = CirclesField(multiple=False, help_text="Everyone in this circle.")
    org_unit = forms.ModelChoiceField(
        OrgUnit.objects.all(), required=False, to_field_name="slug", label="Org unit"
    )
    topic = TopicsField(
        multiple=False, label="People with the skill", help_text="Type a topic's name."
    )
    people = PeopleField(help_text="Type names, separated by commas.")
    speakers = PeopleField(help_text="Required: type names, separated by commas.")
    duration = forms.IntegerField(
        min_value=1, max_value=480, initial=60, label="Duration (minutes)"
    )
    first_day = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), label="From (your date)"
    )
    days = forms.IntegerField(min_value=1, max_value=62, initial=14, label="Window (days)")
    step = forms.TypedChoiceField(
        choices=[(15, "15 min"), (30, "30 min"), (60, "60 min")], coerce=int, initial=30
    )
    label_by = forms.ChoiceField(
        choices=[(label, label.replace("_", " ")) for label in LABELS],
        initial="region",
        label="Group by",
    )
    tz = forms.ChoiceField(choices=timezone_choices, label="Show the heat map in")
    series_weeks = forms.IntegerField(
        min_value=0,
        max_value=52,
        initial=0,
        required=False,
        label="Series: number of dates (0 = none)",
    )
    series_tolerance = forms.TypedChoiceField(
        choices=[("", "fairest")]
        + [
            (str(t), f"keep ≥ {100 - round(t * 100)}% of the best attendance")
            for t in (0.0, 0.1, 0.2, 0.3)
        ],
        coerce=float,
        empty_value=None,
        required=False,
        label="Series trade-off",
    )
    series_step = forms.TypedChoiceField(
        choices=[(7, "weekly"), (14, "fortnightly")], coerce=int, initial=7, label="Series rhythm"
    )


def _window(data: dict, viewer_zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(data["first_day"], datetime.min.time(), tzinfo=viewer_zone).astimezone(
        UTC
    )
    return start, start + timedelta(days=data["days"])


def heatmap_svg_cells(finding: TimeFinding) -> dict:
    """Geometry for the server-made SVG: one cell per (local day, hour), darker = more people."""
    cells = [
        {
            "x": HEAT_LEFT + cell.hour * HEAT_CELL_W,
            "y": HEAT_TOP + cell.day * HEAT_CELL_H,
            "opacity": f"{0.08 + 0.92 * cell.share:.2f}",
            "text": f"{round(cell.share * 100)}",
            "light": cell.share > 0.55,
            "label": cell.label,
        }
        for cell in finding.heatmap
    ]
    return {
        "cells": cells,
        "days": [
            {"y": HEAT_TOP + i * HEAT_CELL_H + 15, "name": name}
            for i, name in enumerate(finding.heatmap_days)
        ],
        "hours": [
            {"x": HEAT_LEFT + h * HEAT_CELL_W + HEAT_CELL_W // 2, "h": f"{h:02d}"}
            for h in range(24)
        ],
        "width": HEAT_LEFT + 24 * HEAT_CELL_W + 4,
        "height": HEAT_TOP + len(finding.heatmap_days) * HEAT_CELL_H + 4,
        "cell_w": HEAT_CELL_W - 2,
        "cell_h": HEAT_CELL_H - 2,
    }


HEAT_LEVELS = 5  # shades of the phone list, as classes: pages allow no style attributes
BEST_HOURS_PER_DAY = 3


def heatmap_best_hours(finding: TimeFinding, *, per_day: int = BEST_HOURS_PER_DAY) -> list[dict]:
    """The heat map's phone form: for each day, its best start hours (best first, the earlier
    hour first on a tie) with the share of the audience, readable at 390 px where 24 columns
    are not. Hours that nobody can attend are left out; a day without any says so."""
    by_day: list[list] = [[] for _ in finding.heatmap_days]
    for cell in finding.heatmap:
        if cell.share > 0:
            by_day[cell.day].append(cell)
    days = []
    for name, cells in zip(finding.heatmap_days, by_day, strict=True):
        best = sorted(cells, key=lambda cell: (-cell.share, cell.hour))[:per_day]
        days.append(
            {
                "name": name,
                "hours": [
                    {
                        "hour": f"{cell.hour:02d}:00",
                        "percent": percent,
                        # The shade follows the figure shown: fifths of 100 %.
                        "level": min(HEAT_LEVELS, 1 + percent * HEAT_LEVELS // 100),
                    }
                    for cell in best
                    for percent in [round(cell.share * 100)]
                ],
            }
        )
    return days


@login_required
def find_time(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    viewer = request.viewer
    session = selectors.session_get(slug=slug) if slug else None
    # The form starts where the planner would: at the lead time, with the format's length.
    earliest = earliest_start(
        now=timezone.now(),
        zone=viewer.zone,
        working_days=settings.KNOWFLOW_PLANNING_LEAD_WORKING_DAYS,
    )
    initial = {
        "tz": viewer.timezone,
        "first_day": earliest.astimezone(viewer.zone).date(),
        "duration": duration_for_format(session.format) if session else DEFAULT_DURATION_MIN,
        "days": 14,
        "step": 30,
        "label_by": "region",
        "series_step": 7,
    }
    if session is not None:
        initial["speakers"] = list(session.speakers.all())
        # A session proposed from topic requests starts with the people who asked for it.
        asked = demand_selectors.audience_for_session(session=session)
        if asked:
            initial["people"] = asked
        if session.circle_id:
            initial["circle"] = session.circle
    form = FindTimeForm(request.GET or None, initial=initial)
    finding = None
    if request.GET and form.is_valid():
        data = form.cleaned_data
        window_start, window_end = _window(data, viewer.zone)
        try:
            finding = time_find(
                spec=AudienceSpec(
                    circle=data["circle"].slug if data["circle"] else "",
                    org_unit=data["org_unit"].slug if data["org_unit"] else "",
                    topic=data["topic"].slug if data["topic"] else "",
                    people=tuple(p.pk for p in data["people"]),
                    speakers=tuple(p.pk for p in data["speakers"]),
                ),
                duration_min=data["duration"],
                window_start=window_start,
                window_end=window_end,
                step_min=data["step"],
                label_by=data["label_by"],
                heat_zone=data["tz"],
                series_weeks=data.get("series_weeks") or 0,
                series_step_days=data["series_step"],
                series_tolerance=data.get("series_tolerance"),
                viewer=viewer,
                plan_zone=viewer.timezone,
            )
        except DomainError as error:
            add_to_form(form, error)
    return render(
        request,
        "events/find_time.html",
        {
            "form": form,
            "session": session,
            "finding": finding,
            "heat": heatmap_svg_cells(finding) if finding else None,
            "heat_days": heatmap_best_hours(finding) if finding else None,
            "can_create": session is not None and can_edit_session(actor=viewer, session=session),
        },
    )


@login_required
@require_POST
def create_from_plan(request: HttpRequest, slug: str) -> HttpResponse:
    session = selectors.session_get(slug=slug)
    try:
        starts = [datetime.fromisoformat(value) for value in request.POST.getlist("start")]
        rooms = [int(value) if value else None for value in request.POST.getlist("room")]
        duration = int(request.POST.get("duration", "0"))
        capacity = int(request.POST.get("capacity", "0"))
    except ValueError:
        messages.error(request, "The plan could not be read; search again.")
        return redirect("events:find_time_for", slug=slug)
    rooms += [None] * (len(starts) - len(rooms))
    try:
        created = occurrences_create_from_plan(
            session=session,
            actor=request.viewer,
            starts=starts,
            duration_min=duration,
            capacity=capacity,
            online_url=request.POST.get("online_url", "").strip(),
            room_ids=rooms[: len(starts)],
        )
    except DomainError as error:
        flash(request, error)
        return redirect("events:find_time_for", slug=slug)
    dates = "1 date" if len(created) == 1 else f"{len(created)} dates"
    messages.success(request, f"{dates} scheduled.")
    return redirect("events:session", slug=slug)
