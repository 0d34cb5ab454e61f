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
from django.core.exceptions import RequestDataTooBig
from django.db import DataError
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError

from knowflow.api.auth import SessionAuth, TokenAuth, TokenThrottled
from knowflow.api.routers import (
    circles,
    occurrences,
    people,
    planning,
    registrations,
    sessions,
    topics,
)
from knowflow.api.schemas import Message
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


# --- declared error statuses -------------------------------------------------------------
# Every error the API answers comes from the handlers below, never from a view's return value,
# so ninja cannot see them. The document says what each operation may answer, by what it takes:
# a clear contract for clients, and what the schemathesis test (tests/api/test_fuzz.py) checks.
WRITE_METHODS = {"post", "put", "patch", "delete"}
ERROR_DESCRIPTIONS = {
    400: "The request cannot be carried out (the message says why).",
    401: "Authentication required.",
    403: "You may not do this (the message says who may).",
    404: "No such object, or not one you may see.",
    409: "Conflicts with the current state (a booked room, a full date, a closed survey).",
    413: "The request body is too large.",
    422: "Invalid input; `field` names the first field concerned.",
    429: "Too many requests; try again later.",
}


def declared_error_statuses(*, method: str, operation: dict) -> list[int]:
    """The error statuses an operation may answer, from what it takes and who may call it."""
    statuses = {400, 403, 404}
    if operation.get("security"):
        statuses |= {401, 429}
    if operation.get("parameters") or operation.get("requestBody"):
        statuses.add(422)
    if method in WRITE_METHODS:
        statuses |= {409, 413, 422}
    return sorted(statuses)


class KnowflowAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        document = super().get_openapi_schema(**kwargs)
        error = {"application/json": {"schema": Message.model_json_schema()}}
        for path_item in document["paths"].values():
            for method, operation in path_item.items():
                # An uploaded file has content: an empty one is refused, so the document says so.
                multipart = operation.get("requestBody", {}).get("content", {})
                for field in (
                    multipart.get("multipart/form-data", {})
                    .get("schema", {})
                    .get("properties", {})
                    .values()
                ):
                    if field.get("format") == "binary":
                        field["minLength"] = 1
                responses = operation.setdefault("responses", {})
                for status in declared_error_statuses(method=method, operation=operation):
                    responses.setdefault(
                        status, {"description": ERROR_DESCRIPTIONS[status], "content": error}
                    )
        return document


class AccessibleSwagger(Swagger):
    """ninja's Swagger UI in our own page (``api/docs.html``): a language and a main landmark,
    our contrast fixes and a script for the controls Swagger nests. Deep links are off because
    Swagger draws them as links inside the buttons that expand an operation (axe:
    nested-interactive), which a keyboard or screen-reader user cannot reach apart; syntax
    highlighting is off because its colours are inline styles below AA contrast on their dark
    background."""

    template = "api/docs.html"


api = KnowflowAPI(
    title="Knowflow API",
    version="1",
    description="Sessions, occurrences, registrations, circles, topics and people. "
    "Authenticate with a personal token from your profile page: `Authorization: Bearer kf_…`.",
    auth=[TokenAuth(), SessionAuth(csrf=True)],
    urls_namespace="api",
    docs=AccessibleSwagger(settings={"deepLinking": False, "syntaxHighlight": False}),
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
        # Our own validators' messages are sentences for people; pydantic prefixes them.
        message = item.get("msg", "invalid").removeprefix("Value error, ")
        problems.append({"field": field, "message": message})
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


@api.exception_handler(RequestDataTooBig)
def on_body_too_large(request: HttpRequest, error: RequestDataTooBig) -> HttpResponse:
    # Django refuses to read a body over DATA_UPLOAD_MAX_MEMORY_SIZE; without this handler the
    # refusal surfaced as a server error. (File uploads have their own limit and message.)
    limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
    return api.create_response(
        request,
        {"detail": f"The request body is larger than {limit_mb:g} MB.", "field": None},
        status=413,
    )


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def on_out_of_range(request: HttpRequest, error: Exception) -> HttpResponse:
    # The safety net behind the bounded types of api/schemas.py: a number or date that passed
    # validation but overflows later (date arithmetic, a 64-bit column, a numeric precision)
    # is the client's input, not a server fault.
    return api.create_response(
        request,
        {"detail": "A number or date in the request is out of range.", "field": None},
        status=422,
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": "Authentication required: send 'Authorization: Bearer <token>'."},
        status=401,
    )


@api.exception_handler(TokenThrottled)
def on_token_throttled(request: HttpRequest, error: TokenThrottled) -> HttpResponse:
    response = api.create_response(request, {"detail": str(error), "field": None}, status=429)
    response["Retry-After"] = str(error.seconds)
    return response


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
api.add_router("/requests", "knowflow.api.routers.requests.router")
api.add_router("/experts", "knowflow.api.routers.experts.router")
