"""The home page ("for you"), the style guide and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from knowflow.events import selectors as event_selectors


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
        },
    )


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
