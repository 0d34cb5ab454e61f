"""Running a conference without the Django admin: creating it, changing its details, its
tracks, and the sessions that are its talks. Enablers only; each form refuses bad input next to
its field and writes nothing."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from knowflow.accounts.models import Person
from knowflow.conferences import selectors, services
from knowflow.conferences.forms import ConferenceForm, TalkAddForm, TrackForm
from knowflow.conferences.models import Conference, ConferenceTalk
from knowflow.conferences.permissions import can_manage_conferences
from knowflow.conferences.planning import live_dates
from knowflow.errors import DomainError, Forbidden, NotFound
from knowflow.web.errors import add_to_form, flash, refusal_as_page


class _ViewerRequest(HttpRequest):
    viewer: Person | None


def _organiser(request: _ViewerRequest) -> Person:
    viewer = request.viewer
    if viewer is None or not can_manage_conferences(actor=viewer):
        raise Forbidden(services.ENABLERS_ONLY)
    return viewer


@login_required
def conference_new(request: _ViewerRequest) -> HttpResponse:
    viewer = _organiser(request)
    form = ConferenceForm(initial={"timezone": viewer.timezone})
    status = 200
    if request.method == "POST":
        form = ConferenceForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                conference = services.conference_create(
                    actor=viewer,
                    name=data["name"],
                    slug=data["slug"],
                    timezone=data["timezone"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    description=data["description"],
                )
            except DomainError as error:
                refusal_as_page(error)
                add_to_form(form, error)
            else:
                messages.success(
                    request, f"{conference.name} is created: add its tracks and talks."
                )
                return redirect("conferences:manage", slug=conference.slug)
        status = 400
    return render(request, "conferences/conference_new.html", {"form": form}, status=status)


def _tracks(conference: Conference) -> list[tuple[str, str]]:
    return [(str(t.pk), t.name) for t in conference.tracks.order_by("name")]


@login_required
def manage(request: _ViewerRequest, slug: str) -> HttpResponse:
    """The conference's details, tracks and talks, each with its own form (``action``)."""
    viewer = _organiser(request)
    conference = selectors.conference_get(slug=slug)
    details = ConferenceForm(
        editing=True,
        initial={
            "name": conference.name,
            "timezone": conference.timezone,
            "starts_on": conference.starts_on,
            "ends_on": conference.ends_on,
            "description": conference.description,
        },
    )
    track_form = TrackForm()
    talk_form = TalkAddForm(tracks=_tracks(conference))
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "details":
                details = ConferenceForm(request.POST, editing=True)
                if details.is_valid():
                    data = details.cleaned_data
                    try:
                        services.conference_update(
                            actor=viewer,
                            conference=conference,
                            name=data["name"],
                            timezone=data["timezone"],
                            starts_on=data["starts_on"],
                            ends_on=data["ends_on"],
                            description=data["description"],
                        )
                    except DomainError as error:
                        refusal_as_page(error)
                        add_to_form(details, error)
                    else:
                        messages.success(request, "The conference's details are saved.")
                        return redirect("conferences:manage", slug=slug)
                status = 400
            elif action == "track":
                track_form = TrackForm(request.POST)
                if track_form.is_valid():
                    try:
                        track = services.track_create(
                            actor=viewer,
                            conference=conference,
                            name=track_form.cleaned_data["name"],
                            colour=track_form.cleaned_data["colour"],
                        )
                    except DomainError as error:
                        refusal_as_page(error)
                        add_to_form(track_form, error)
                    else:
                        messages.success(request, f"The track {track.name} is added.")
                        return redirect(f"{reverse('conferences:manage', args=[slug])}#tracks")
                status = 400
            elif action == "talk":
                talk_form = TalkAddForm(request.POST, tracks=_tracks(conference))
                if talk_form.is_valid():
                    data = talk_form.cleaned_data
                    chosen = (
                        conference.tracks.filter(pk=data["track"]).first()
                        if data.get("track")
                        else None
                    )
                    try:
                        talk = services.talk_add(
                            actor=viewer,
                            conference=conference,
                            session=data["session"],
                            track=chosen,
                        )
                    except DomainError as error:
                        refusal_as_page(error)
                        add_to_form(talk_form, error)
                    else:
                        messages.success(
                            request, f"“{talk.session.title}” is a talk of {conference.name}."
                        )
                        return redirect(f"{reverse('conferences:manage', args=[slug])}#talks")
                status = 400
            elif action == "remove":
                wanted = request.POST.get("talk", "")
                gone = (
                    ConferenceTalk.objects.filter(conference=conference, pk=int(wanted))
                    .select_related("session")
                    .first()
                    if re.fullmatch(r"[0-9]{1,9}", wanted)
                    else None
                )
                if gone is None:
                    raise NotFound("There is no such talk in this conference.")
                services.talk_remove(actor=viewer, talk=gone)
                messages.success(
                    request,
                    f"“{gone.session.title}” is out of {conference.name} (its session stays); "
                    "the next release says so.",
                )
                return redirect(f"{reverse('conferences:manage', args=[slug])}#talks")
            else:
                raise DomainError("Choose what to change: details, a track or a talk.")
        except DomainError as error:
            refusal_as_page(error)
            flash(request, error)
            return redirect("conferences:manage", slug=slug)
    talks = list(
        ConferenceTalk.objects.filter(conference=conference)
        .select_related("session", "track")
        .order_by("session__title", "id")
    )
    dates = live_dates(session_ids=[talk.session_id for talk in talks])
    zone = ZoneInfo(conference.timezone)
    rows = []
    for talk in talks:
        date = dates.get(talk.session_id)
        local = date.start.astimezone(zone) if date is not None else None
        rows.append(
            {
                "talk": talk,
                "date": f"{local:%a} {local.day} {local:%b %Y %H:%M}" if local else "",
                "room": (date.room.name if date.room else "online") if date else "",
                "outside": local is not None
                and not conference.starts_on <= local.date() <= conference.ends_on,
            }
        )
    return render(
        request,
        "conferences/manage.html",
        {
            "conference": conference,
            "details": details,
            "track_form": track_form,
            "talk_form": talk_form,
            "tracks": list(conference.tracks.order_by("name")),
            "talks": rows,
        },
        status=status,
    )
