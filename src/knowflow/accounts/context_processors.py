from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone


def viewer(request: HttpRequest) -> dict:
    return {
        "viewer": getattr(request, "viewer", None),
        "viewer_zone": timezone.get_current_timezone_name(),
    }
