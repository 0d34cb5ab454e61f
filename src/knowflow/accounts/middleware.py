"""Attach the signed-in person to the request and show every time in their zone."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from knowflow.accounts.services import person_for_user

# The longest IANA zone name is 32 characters (America/Argentina/ComodRivadavia). A longer
# ?tz= is not a zone: zoneinfo would try it as a file name and fail with an OS error.
MAX_ZONE_NAME_LENGTH = 64
ZONE_REFUSAL = "The time zone (tz) must be an IANA zone name such as Europe/Berlin."


def _zone_refused(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": ZONE_REFUSAL, "field": "tz"}, status=400)
    return render(request, "web/error.html", {"message": ZONE_REFUSAL}, status=400)


class ViewerTimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        person = None
        if request.user.is_authenticated:
            person = getattr(request.user, "person", None) or person_for_user(user=request.user)
        request.viewer = person  # type: ignore[attr-defined]
        # ?tz= lets anyone look at a page in another zone without changing their profile.
        asked = request.GET.get("tz", "")
        if len(asked) > MAX_ZONE_NAME_LENGTH:
            return _zone_refused(request)
        zone_name = asked or (person.timezone if person else "UTC")
        try:
            timezone.activate(zoneinfo.ZoneInfo(zone_name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            # An unknown zone shows the page in the viewer's own zone, as if ?tz= were absent.
            timezone.activate(zoneinfo.ZoneInfo(person.timezone if person else "UTC"))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
