"""Attach the signed-in person to the request and show every time in their zone."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from knowflow.accounts.services import person_for_user


class ViewerTimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        person = None
        if request.user.is_authenticated:
            person = getattr(request.user, "person", None) or person_for_user(user=request.user)
        request.viewer = person  # type: ignore[attr-defined]
        # ?tz= lets anyone look at a page in another zone without changing their profile.
        zone_name = request.GET.get("tz") or (person.timezone if person else "UTC")
        try:
            timezone.activate(zoneinfo.ZoneInfo(zone_name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.activate(zoneinfo.ZoneInfo(person.timezone if person else "UTC"))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
