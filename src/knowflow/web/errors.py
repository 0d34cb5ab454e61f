"""Turning domain errors into what a page shows (the API has its own handler, `api/main.py`).

One place: a view lets a domain error go, and `ErrorPageMiddleware` answers it with the page of
its status (403 "not allowed", 404 "not found", any other with its own status and message).
A view catches a domain error only where the page goes on differently: the message next to a
form field (`add_to_form`), or back to the page it came from with the message on top (`flash`);
a refusal (`Forbidden`, `NotFound`) is never one of those, so `refusal_as_page` lets it go on
to its page.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from knowflow.errors import DomainError, Forbidden, NotFound


def refusal_as_page(error: DomainError) -> None:
    """Raise again a refusal of the request itself (not allowed, not found): it is answered by
    its page, never shown as a form error or a message on another page."""
    if isinstance(error, Forbidden | NotFound):
        raise error


def add_to_form(form: forms.Form, error: DomainError) -> None:
    """Attach the message to the field it names, or to the form as a whole."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def flash(request: HttpRequest, error: DomainError) -> None:
    messages.error(request, error.message)


def error_page(request: HttpRequest, error: DomainError) -> HttpResponse:
    """The page for a refused request: 403 "not allowed", 404 "not found", and any other
    domain error with its own status and message."""
    if isinstance(error, Forbidden):
        template = "web/forbidden.html"
    elif isinstance(error, NotFound):
        template = "web/not_found.html"
    else:
        template = "web/error.html"
    return render(request, template, {"message": error.message}, status=error.status_code)


class ErrorPageMiddleware:
    """Where a page's errors become pages, for every view:

    - a domain error a view lets go is answered by `error_page`, with its status and message;
    - the safety net behind the bounds each form and view sets: a number or date from the
      address or a form that overflows later (date arithmetic, a 64-bit column) is the
      visitor's input, so it gets a 400 page that says so, never a server error.
    """

    OUT_OF_RANGE = "A number or date in the address or the form is out of range."

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DomainError):
            return error_page(request, exception)
        if isinstance(exception, OverflowError | DataError):
            return error_page(request, DomainError(self.OUT_OF_RANGE))
        return None
