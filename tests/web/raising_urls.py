"""The site's URLs plus one page that raises the domain error its address names, so a test can
see what the visitor gets when a view lets a domain error go."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from knowflow.config.urls import urlpatterns as site_urlpatterns
from knowflow.errors import Conflict, DomainError, Forbidden, NotFound

RAISED = {
    "forbidden": Forbidden("Only enablers manage rooms."),
    "not-found": NotFound("There is no such session."),
    "conflict": Conflict("This date is already cancelled <for everyone>."),
    "bad-input": DomainError("The window is shorter than the session."),
}


@login_required
def raising(request: HttpRequest, kind: str) -> HttpResponse:
    raise RAISED[kind]


urlpatterns = [path("raises/<slug:kind>/", raising), *site_urlpatterns]
