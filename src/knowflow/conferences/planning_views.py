"""The organisers' programme pages: the grid and the talks (with pins), building a programme,
and a draft — read, moved by hand with the cost and warnings of each move, applied to the
talks' dates. Enablers only; every refusal writes nothing and says why."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from knowflow.accounts.models import Person
from knowflow.conferences import planning, selectors
from knowflow.conferences.forms import PlanSettingsForm
from knowflow.conferences.models import Conference, ConferenceTalk, ProgrammeDraft
from knowflow.conferences.permissions import can_manage_conferences
from knowflow.errors import DomainError, Forbidden, NotFound
from knowflow.events.models import Room
from knowflow.web.errors import add_to_form, flash, refusal_as_page

DIGITS = re.compile(r"[0-9]{1,9}")  # an id as typed: ASCII digits only ("²".isdigit() is True)


class _ViewerRequest(HttpRequest):
    viewer: Person | None


def _organiser(request: _ViewerRequest) -> Person:
    viewer = request.viewer
    if viewer is None or not can_manage_conferences(actor=viewer):
        raise Forbidden(planning.ENABLERS_ONLY)
    return viewer


def _rooms() -> Any:
    return Room.objects.select_related("office").order_by("office__name", "name")


def _when(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %H:%M}"


@login_required
def plan(request: _ViewerRequest, slug: str) -> HttpResponse:
    """The grid, the talks with their pins, and "Build the programme"."""
    viewer = _organiser(request)
    conference = selectors.conference_get(slug=slug)
    form = PlanSettingsForm(
        initial={
            "slot_times": ", ".join(conference.slot_times),
            "slot_minutes": conference.slot_minutes,
            "rooms": list(conference.rooms.all()),
            **{f"minutes_{fmt}": value for fmt, value in conference.format_minutes.items()},
        },
        rooms=_rooms(),
    )
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "settings":
                form = PlanSettingsForm(request.POST, rooms=_rooms())
                if form.is_valid():
                    planning.programme_settings_update(
                        actor=viewer,
                        conference=conference,
                        slot_times=form.cleaned_data["slot_times"],
                        slot_minutes=form.cleaned_data["slot_minutes"],
                        rooms=list(form.cleaned_data["rooms"]),
                        format_minutes=form.format_minutes(),
                    )
                    messages.success(request, "The periods and rooms are saved.")
                    return redirect("conferences:plan", slug=slug)
                status = 400
            elif action == "pin":
                wanted = request.POST.get("talk", "")
                talk = (
                    ConferenceTalk.objects.filter(conference=conference, pk=int(wanted))
                    .select_related("session")
                    .first()
                    if DIGITS.fullmatch(wanted)
                    else None
                )
                if talk is None:
                    raise NotFound("There is no such talk in this conference.")
                pinned = request.POST.get("pinned") == "1"
                planning.talk_pin_set(actor=viewer, talk=talk, pinned=pinned)
                messages.success(
                    request,
                    f"“{talk.session.title}” is pinned where it is."
                    if pinned
                    else f"“{talk.session.title}” may move.",
                )
                return redirect(f"{reverse('conferences:plan', args=[slug])}#talks")
            elif action == "build":
                draft = planning.programme_build(actor=viewer, conference=conference)
                return redirect("conferences:draft", slug=slug, pk=draft.pk)
            else:
                raise DomainError("Choose what to do: save the grid, pin a talk or build.")
        except DomainError as error:
            refusal_as_page(error)
            if action == "settings" and error.field in form.fields:
                add_to_form(form, error)
                status = 400
            else:
                flash(request, error)
                return redirect("conferences:plan", slug=slug)
    inputs = planning.programme_inputs(conference=conference)
    zone = ZoneInfo(conference.timezone)
    talks = []
    for guid, talk in inputs.talks.items():
        date = inputs.dates.get(talk.session_id)
        talks.append(
            {
                "talk": talk,
                "guid": guid,
                "date": _when(date.start, zone) if date else "",
                "room": date.room.name if date and date.room else "",
                "on_grid": guid in inputs.previous,
                "stars": inputs.stars.get(guid, 0),
            }
        )
    return render(
        request,
        "conferences/plan.html",
        {
            "conference": conference,
            "form": form,
            "talks": talks,
            "periods": len(inputs.periods),
            "rooms": len(inputs.rooms),
            "seats": len(inputs.periods) * len(inputs.rooms),
            "interested": len(inputs.problem["attendees"]),
            "warnings": inputs.warnings,
            "drafts": ProgrammeDraft.objects.filter(conference=conference)[:10],
            "time_limit": f"{settings.KNOWFLOW_PROGRAMME_TIME_LIMIT_SECONDS:g}",
        },
        status=status,
    )


def _now_at(draft: ProgrammeDraft, conference: Conference) -> dict[str, tuple[datetime, str]]:
    """Where each talk of the draft is now (start, room name), on the grid or not: what the
    draft would move it from."""
    talks = dict(
        ConferenceTalk.objects.filter(
            conference=conference, guid__in=list(draft.assignment)
        ).values_list("guid", "session_id")
    )
    dates = planning.live_dates(session_ids=list(talks.values()))
    found = {}
    for guid, session_id in talks.items():
        date = dates.get(session_id)
        if date is not None:
            found[str(guid)] = (date.start, date.room.name if date.room else "online")
    return found


def _draft_rows(
    draft: ProgrammeDraft,
    conference: Conference,
    assignment: dict[str, tuple[int, str]],
    now_at: dict[str, tuple[datetime, str]],
) -> list[dict[str, Any]]:
    """The draft by period: each period's talks by room, with what a reader needs to judge it."""
    zone = ZoneInfo(conference.timezone)
    names = draft.names
    periods = {p["id"]: p for p in draft.problem["periods"]}
    talks = {t["id"]: t for t in draft.problem["talks"]}
    speakers = {s["id"]: s for s in draft.problem["speakers"]}
    wanted: dict[str, int] = defaultdict(int)
    for attendee in draft.problem["attendees"]:
        for guid in attendee["interests"]:
            wanted[guid] += 1
    by_period: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for guid, (period_id, room_id) in assignment.items():
        talk = talks[guid]
        before = now_at.get(guid)
        start = datetime.fromisoformat(periods[period_id]["start"].replace("Z", "+00:00"))
        room = names.get(room_id, room_id)
        outside = [
            names.get(s, s)
            for s in talk["speakers"]
            if period_id not in speakers.get(s, {}).get("preferred_periods", [])
        ]
        by_period[period_id].append(
            {
                "guid": guid,
                "title": names.get(guid, guid),
                "room": names.get(room_id, room_id),
                "speakers": ", ".join(names.get(s, s) for s in talk["speakers"]),
                "audience": talk["expected_audience"],
                "outside": outside,
                "moved_from": (
                    f"{_when(before[0], zone)}, {before[1]}"
                    if before is not None and before != (start, room)
                    else ""
                ),
                "first_date": before is None,
            }
        )
    rows = []
    for period_id in sorted(by_period):
        start = datetime.fromisoformat(periods[period_id]["start"])
        entries = sorted(by_period[period_id], key=lambda e: e["room"])
        rows.append({"id": period_id, "when": _when(start, zone), "talks": entries})
    return rows


@login_required
def draft(request: _ViewerRequest, slug: str, pk: int) -> HttpResponse:
    """A draft programme: its cost, its talks by period, a hand move with its cost and warnings
    (``?talk=<guid>&to=<period>:<room>``), and applying it to the talks' dates."""
    viewer = _organiser(request)
    conference = selectors.conference_get(slug=slug)
    found = planning.draft_get(conference=conference, pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "move":
                period_id, room_id = _target(request.POST.get("to", ""))
                moved = planning.draft_move(
                    actor=viewer,
                    draft=found,
                    guid=request.POST.get("talk", ""),
                    period_id=period_id,
                    room_id=room_id,
                )
                messages.success(
                    request, f"Moved. The programme's cost changed by {moved.cost:+d}."
                )
                return redirect("conferences:draft", slug=slug, pk=pk)
            if action == "apply":
                changed = planning.draft_apply(actor=viewer, draft=found)
                messages.success(
                    request,
                    f"The programme is in the talks' dates: {changed} talk"
                    f"{'s' if changed != 1 else ''} changed, their registrants told. Check the "
                    "changes and publish a release.",
                )
                return redirect("conferences:publish", slug=slug)
            raise DomainError("Choose what to do: move a talk or apply the draft.")
        except DomainError as error:
            refusal_as_page(error)
            flash(request, error)
            return redirect("conferences:draft", slug=slug, pk=pk)

    assignment = planning.assignment_of(found)
    checked = planning.draft_check(found, assignment)
    preview = None
    move_error = ""
    moving = request.GET.get("talk", "")
    if moving and moving not in assignment:
        move_error = "There is no such talk in this draft."
        moving = ""
    if moving and request.GET.get("to"):
        try:
            period_id, room_id = _target(request.GET["to"])
            preview = planning.move_preview(
                draft=found, guid=moving, period_id=period_id, room_id=room_id
            )
        except DomainError as error:
            move_error = error.message
    zone = ZoneInfo(conference.timezone)
    in_slot = {at: guid for guid, at in assignment.items()}
    targets = []
    if moving:
        for period in found.problem["periods"]:
            for room in found.problem["rooms"]:
                at = (period["id"], room["id"])
                here = in_slot.get(at)
                if here == moving:
                    continue
                label = (
                    f"{_when(datetime.fromisoformat(period['start']), zone)} · "
                    f"{found.names.get(room['id'], room['id'])}"
                )
                label += f" (swap with {found.names.get(here, here)})" if here else " (free)"
                targets.append({"value": f"{at[0]}:{at[1]}", "label": label})
    now_at = _now_at(found, conference)
    rows = _draft_rows(found, conference, assignment, now_at)
    moved_talks = sum(1 for row in rows for t in row["talks"] if t["moved_from"])
    return render(
        request,
        "conferences/draft.html",
        {
            "conference": conference,
            "draft": found,
            "checked": checked,
            "rows": rows,
            "talk_count": len(assignment),
            "moved_talks": moved_talks,
            "new_talks": sum(1 for row in rows for t in row["talks"] if t["first_date"]),
            "moving": moving,
            "moving_title": found.names.get(moving, ""),
            "targets": targets,
            "chosen": request.GET.get("to", ""),
            "preview": preview,
            "preview_other": found.names.get(preview.swapped_with, "")
            if preview and preview.swapped_with
            else "",
            "move_error": move_error,
            "latest": ProgrammeDraft.objects.filter(conference=conference)
            .values_list("pk", flat=True)
            .first()
            == found.pk,
        },
        status=400 if move_error else 200,
    )


def _target(value: str) -> tuple[int, str]:
    period, _, room = value.partition(":")
    if not DIGITS.fullmatch(period) or not room:
        raise DomainError("Choose a period and a room of the programme.", field="to")
    return int(period), room
