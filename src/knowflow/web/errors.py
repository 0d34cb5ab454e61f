"""Turning domain errors into what a page shows (the API has its own handler)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from knowflow.errors import DomainError


def add_to_form(form: forms.Form, error: DomainError) -> None:
    """Attach the message to the field it names, or to the form as a whole."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def flash(request: HttpRequest, error: DomainError) -> None:
    messages.error(request, error.message)
