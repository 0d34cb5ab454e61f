"""Conference pages and exports: the list, a conference's published programme (in the
viewer's zone, filtered by track, room and format, with its changelog), an enabler's publish
page, and the exports at pretalx's addresses (/<conference>/schedule.json, .xml, .ics).

Exports are read by schedule and calendar apps, which cannot sign in. As with the calendar
feeds (`knowflow.integrations`), a member's feed secret is the credential there: signed in,
the URL works as is; from an app, with ``?key=<feed secret>`` (the programme page shows the
viewer's). A wrong or revoked secret is answered 404, like the feeds.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from knowflow.accounts.models import Person
from knowflow.conferences import selectors, services
from knowflow.conferences.forms import ProgrammeFilterForm
from knowflow.conferences.permissions import can_manage_conferences, can_see_conferences
from knowflow.errors import DomainError, Forbidden, NotFound
from knowflow.events.models import Session
from knowflow.integrations import selectors as feed_selectors
from knowflow.web.errors import flash, refusal_as_page


class _ViewerRequest(HttpRequest):
    """A request as accounts' middleware leaves it, with its ``viewer`` (None when nobody is
    signed in): only a type, no request is built from it."""

    viewer: Person | None


def _member(request: _ViewerRequest) -> Person:
    """The signed-in viewer, who may read conferences (the pages require sign-in)."""
    viewer = request.viewer
    if viewer is None or not can_see_conferences(actor=viewer):
        raise Forbidden("Conferences are for the organisation's members.")
    return viewer


@login_required
def conference_list(request: _ViewerRequest) -> HttpResponse:
    viewer = _member(request)
    return render(
        request,
        "conferences/list.html",
        {
            "conferences": list(selectors.conference_list()),
            "manages": can_manage_conferences(actor=viewer),
        },
    )


def _format_label(value: str) -> str:
    return Session.Format(value).label if value in Session.Format.values else value


def _export_links(viewer: Person, slug: str) -> dict[str, object]:
    """The export addresses, and the viewer's own for apps (with their feed secret)."""
    paths = {
        fmt: reverse(f"conference_exports:schedule_{fmt}", args=[slug])
        for fmt in ("json", "xml", "ics")
    }
    paths["agenda"] = reverse("conference_exports:agenda_ics", args=[slug])
    token = feed_selectors.feed_token_for(person=viewer)
    keyed = None
    if token is not None:
        base = settings.KNOWFLOW_BASE_URL
        keyed = {fmt: f"{base}{path}?key={token.secret}" for fmt, path in paths.items()}
        keyed["webcal"] = "webcal://" + keyed["ics"].split("://", 1)[1]
        keyed["webcal_agenda"] = "webcal://" + keyed["agenda"].split("://", 1)[1]
    return {"paths": paths, "keyed": keyed}


@login_required
def programme(request: _ViewerRequest, slug: str) -> HttpResponse:
    """The published programme: days, then talks, in the viewer's zone (?tz= shows another),
    filtered by track, room, format and the viewer's own agenda (the talks they starred);
    then the changelog, newest release first."""
    viewer = _member(request)
    manages = can_manage_conferences(actor=viewer)
    try:
        ref = selectors.release_ref(slug=slug)
    except NotFound:
        conference = selectors.conference_get(slug=slug)  # NotFound: no such conference
        return render(
            request,
            "conferences/unpublished.html",
            {"conference": conference, "manages": manages},
        )
    published = selectors.published_programme(ref=ref)
    form = ProgrammeFilterForm(
        request.GET,
        tracks=[(t["slug"], t["name"]) for t in published.tracks],
        rooms=published.rooms,
        formats=[(value, _format_label(value)) for value in published.formats],
    )
    talks = published.talks
    starred = selectors.starred_guids(person_id=viewer.pk, conference_id=ref.conference_id)
    counts = selectors.star_counts(conference_id=ref.conference_id) if manages else {}
    status = 200
    if form.is_valid():
        wanted = form.cleaned_data
        track_name = {t["slug"]: t["name"] for t in published.tracks}.get(wanted["track"])
        talks = [
            t
            for t in talks
            if (not wanted["track"] or t.track == track_name)
            and (not wanted["room"] or t.room == wanted["room"])
            and (not wanted["format"] or t.type == wanted["format"])
            and (not wanted["mine"] or t.guid in starred)
        ]
    else:
        status = 400  # the whole programme is shown under the message that says what was wrong
    days: dict[date, list[dict[str, object]]] = defaultdict(list)
    for talk in talks:
        days[timezone.localtime(talk.start).date()].append(
            {
                "talk": talk,
                "path": urlsplit(talk.url).path,
                "format": _format_label(talk.type),
                "starred": talk.guid in starred,
                "stars": counts.get(talk.guid, 0),
            }
        )
    return render(
        request,
        "conferences/programme.html",
        {
            "name": ref.conference_name,
            "slug": slug,
            "release": published,
            "form": form,
            "filtered": form.is_valid() and any(form.cleaned_data.values()),
            "days": sorted(days.items()),
            "shown": len(talks),
            "total": len(published.talks),
            "history": selectors.release_history(ref=ref),
            "agenda_size": len(starred & {t.guid for t in published.talks}),
            "back": request.get_full_path(),
            "exports": _export_links(viewer, slug),
            "manages": manages,
        },
        status=status,
    )


@login_required
def publish(request: _ViewerRequest, slug: str) -> HttpResponse:
    """What a new release would change (a check before it reaches every calendar), then the
    release itself."""
    viewer = _member(request)
    if not can_manage_conferences(actor=viewer):
        raise Forbidden(services.ENABLERS_ONLY)
    conference = selectors.conference_get(slug=slug)
    if request.method == "POST":
        try:
            release = services.release_publish(actor=viewer, conference=conference)
        except DomainError as error:
            refusal_as_page(error)
            flash(request, error)
            return redirect("conferences:publish", slug=slug)
        messages.success(
            request,
            f"Release {release.number} of {conference.name} is published: the programme and "
            "its exports show it now.",
        )
        return redirect("conferences:programme", slug=slug)
    preview = selectors.release_preview(conference=conference)
    return render(
        request,
        "conferences/publish.html",
        {"conference": conference, "preview": preview},
    )


@login_required
@require_POST
def star(request: _ViewerRequest, slug: str, guid: str) -> HttpResponse:
    """Add a talk to the viewer's agenda (``starred=1``) or take it out (``starred=0``), then
    back to the programme as it was filtered, at that talk."""
    viewer = _member(request)
    try:
        talk = selectors.talk_get(conference_slug=slug, guid=str(uuid.UUID(guid)))
    except ValueError:
        raise NotFound("There is no such talk in this conference.") from None
    back = request.POST.get("next", "")
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("conferences:programme", args=[slug])
    wanted = request.POST.get("starred")
    if wanted not in ("0", "1"):
        messages.error(request, "Choose whether the talk goes in your agenda or out of it.")
        return redirect(back)
    services.star_set(actor=viewer, talk=talk, starred=wanted == "1")
    title = talk.session.title
    messages.success(
        request,
        f"“{title}” is in your agenda." if wanted == "1" else f"“{title}” left your agenda.",
    )
    return redirect(f"{back}#talk-{talk.guid}")


# Exports -------------------------------------------------------------------------------------


def _plain_404(message: str) -> HttpResponse:
    return HttpResponseNotFound(message, content_type="text/plain; charset=utf-8")


def _reader(request: _ViewerRequest) -> Person | HttpResponse:
    """Who reads an export: the signed-in member, or the owner of the calendar secret in
    ``?key=`` (apps cannot sign in); else the answer to give instead."""
    if request.viewer is None:
        key = request.GET.get("key", "")
        if not key:
            return redirect_to_login(request.get_full_path())
        try:
            owner = feed_selectors.feed_owner(secret=key)
        except NotFound as error:
            return _plain_404(error.message)
        if not can_see_conferences(actor=owner):
            return _plain_404("There is no calendar feed at this address.")
        return owner
    if not can_see_conferences(actor=request.viewer):
        raise Forbidden("Conferences are for the organisation's members.")
    return request.viewer


def _export(request: _ViewerRequest, conference: str, fmt: str) -> HttpResponse:
    reader = _reader(request)
    if isinstance(reader, HttpResponse):
        return reader
    try:
        ref = selectors.release_ref(slug=conference)
    except NotFound as error:
        return _plain_404(error.message)
    if fmt == "agenda":
        export = selectors.agenda_export(ref=ref, person_id=reader.pk, name=reader.display_name)
    else:
        export = selectors.schedule_export(ref=ref, fmt=fmt)
    if request.headers.get("If-None-Match") == export.etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = f'inline; filename="{export.filename}"'
    response["ETag"] = export.etag
    # The same for every member, but members only: no shared cache may keep it.
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def schedule_json(request: _ViewerRequest, conference: str) -> HttpResponse:
    return _export(request, conference, "json")


@require_GET
def schedule_xml(request: _ViewerRequest, conference: str) -> HttpResponse:
    return _export(request, conference, "xml")


@require_GET
def schedule_ics(request: _ViewerRequest, conference: str) -> HttpResponse:
    return _export(request, conference, "ics")


@require_GET
def agenda_ics(request: _ViewerRequest, conference: str) -> HttpResponse:
    """The reader's own agenda: the talks they starred."""
    return _export(request, conference, "agenda")
