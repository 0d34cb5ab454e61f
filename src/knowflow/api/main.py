"""The public HTTP API, /api/v1/: one router per domain, calling the same services as the pages.

Errors are mapped here, in one place: a domain error becomes its 4xx with ``detail`` (and the
``field`` it concerns); a validation error names the field in ``detail`` as well.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from knowflow.api.auth import SessionAuth, TokenAuth
from knowflow.api.routers import (
    circles,
    occurrences,
    people,
    planning,
    registrations,
    sessions,
    topics,
)
from knowflow.errors import DomainError


def docs_for_signed_in_people(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The docs page and the OpenAPI document, behind ``KNOWFLOW_API_DOCS_PUBLIC``: when it is
    off, only a signed-in person (browser session or personal token) reads them. The setting is
    read per request, not when the URLs are built, so a deployment can change it by restart
    alone and tests can override it."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        allowed = (
            settings.KNOWFLOW_API_DOCS_PUBLIC
            or request.user.is_authenticated
            or TokenAuth()(request) is not None
        )
        if allowed:
            return view(request, *args, **kwargs)
        if request.path.endswith(".json"):
            return JsonResponse(
                {
                    "detail": "Sign in, or send 'Authorization: Bearer <token>', to read the API document."
                },
                status=401,
            )
        return redirect_to_login(request.get_full_path())

    return guarded


api = NinjaAPI(
    title="Knowflow API",
    version="1",
    description="Sessions, occurrences, registrations, circles, topics and people. "
    "Authenticate with a personal token from your profile page: `Authorization: Bearer kf_…`.",
    auth=[TokenAuth(), SessionAuth(csrf=True)],
    urls_namespace="api",
    docs_decorator=docs_for_signed_in_people,
)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    return api.create_response(
        request, {"detail": error.message, "field": error.field}, status=error.status_code
    )


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    problems = []
    first_field = None
    for item in error.errors:
        location = [
            str(part)
            for part in item.get("loc", ())
            if part not in ("body", "payload", "query", "path")
        ]
        field = ".".join(location) or None
        first_field = first_field or field
        problems.append({"field": field, "message": item.get("msg", "invalid")})
    summary = "; ".join(f"{p['field'] or 'request'}: {p['message']}" for p in problems)
    return api.create_response(
        request,
        {"detail": summary or "Invalid request.", "field": first_field, "errors": problems},
        status=422,
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    detail = error.message
    # ninja reports a body it cannot parse as "Cannot parse request body"; say what is wrong.
    if isinstance(error.__cause__, json.JSONDecodeError):
        cause = error.__cause__
        detail = (
            f"The request body is not valid JSON: {cause.msg} "
            f"(line {cause.lineno}, column {cause.colno})."
        )
    return api.create_response(request, {"detail": detail, "field": None}, status=error.status_code)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": "Authentication required: send 'Authorization: Bearer <token>'."},
        status=401,
    )


api.add_router("/topics", topics.router)
api.add_router("/people", people.router)
api.add_router("/circles", circles.router)
api.add_router("/sessions", sessions.router)
api.add_router("/occurrences", occurrences.router)
api.add_router("/registrations", registrations.router)
api.add_router("/planning", planning.router)
api.add_router("/calendar", "knowflow.api.routers.calendar.router")
api.add_router("/feedback", "knowflow.api.routers.feedback.router")
api.add_router("/library", "knowflow.api.routers.library.router")
api.add_router("/insights", "knowflow.api.routers.insights.router")
