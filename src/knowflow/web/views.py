"""The home page ("for you"), the style guide and the health check."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from knowflow.accounts.selectors import person_picker_options
from knowflow.circles.selectors import circle_picker_options
from knowflow.events import selectors as event_selectors
from knowflow.events.selectors import session_picker_options
from knowflow.library.selectors import resource_picker_options
from knowflow.pickers import PickerOption
from knowflow.topics.selectors import topic_picker_options


@login_required
def home(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer
    registrations = event_selectors.upcoming_registrations(viewer=viewer)
    suggestions = event_selectors.upcoming_for_viewer(viewer=viewer)
    return render(
        request,
        "web/home.html",
        {
            "registrations": registrations,
            "suggestions": suggestions,
            "attendance_due": event_selectors.attendance_to_record(viewer=viewer),
            "proposals": event_selectors.proposals_of(person=viewer),
        },
    )


# What each picker suggests; each selector takes the viewer and leaves out what they may not
# pick (a deactivated person, a cancelled session).
PICKERS: dict[str, Callable[..., list[PickerOption]]] = {
    "people": person_picker_options,
    "topics": topic_picker_options,
    "circles": circle_picker_options,
    "sessions": session_picker_options,
    "resources": resource_picker_options,
}


def picker_options(request: HttpRequest, kind: str) -> JsonResponse:
    """Suggestions for a picker (``picker.js``) as JSON: ``{"results": [{value, label,
    detail, initials}]}``. Signed-in people only: a directory of names is not public."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "Sign in to pick people and things."}, status=401)
    options = PICKERS.get(kind)
    if options is None:
        return JsonResponse({"detail": "There is no such picker."}, status=404)
    found = options(viewer=request.viewer, text=request.GET.get("q", ""))
    return JsonResponse({"results": [option.as_json() for option in found]})


@login_required
def style_guide(request: HttpRequest) -> HttpResponse:
    """Every component of the design system, rendered with the classes the pages use, so a
    change to site.css can be checked on one page (and the crawl test checks it like any
    other)."""
    return render(request, "web/style_guide.html")


def healthz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"status": "unavailable", "database": str(error)}, status=503)
    return JsonResponse({"status": "ok"})
