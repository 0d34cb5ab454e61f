"""The learning record store's delivery log, for admins."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from knowflow.xapi.selectors import lrs_log


@login_required
def log(request: HttpRequest) -> HttpResponse:
    return render(request, "xapi/log.html", {"log": lrs_log(viewer=request.viewer)})  # type: ignore[attr-defined]
