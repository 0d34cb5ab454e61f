"""Web links that people give (a date's online link, a resource's address): http and https only.

A link is rendered as ``<a href>`` on pages other people open, so a ``javascript:`` or
``data:`` address would run in their browser (stored XSS). Browsers ignore case and leading
whitespace or control characters in a scheme, so a block list of bad schemes cannot be
complete: every layer accepts only an allow list of two schemes, through the one validator
here — the model field (admin, ``full_clean``), the form field, the services (which the API,
the pages and the importers call) and the template filter that renders stored links.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models

from knowflow.errors import DomainError

WEB_SCHEMES = ("http", "https")

WEB_URL_MESSAGE = "Enter a web address that starts with http:// or https://."

web_url_validator = URLValidator(schemes=list(WEB_SCHEMES), message=WEB_URL_MESSAGE)


def is_web_url(value: str) -> bool:
    """True when ``value`` is, as given, an http(s) address (no stripping: a stored link with
    leading spaces or another scheme is not rendered as a link)."""
    try:
        web_url_validator(value)
    except ValidationError:
        return False
    return True


class UnsafeLink(DomainError):
    """A link that is not an http(s) address; the message names the field."""


def check_web_url(value: str, *, field: str, label: str) -> str:
    """``value`` stripped, or ``""``; raises ``UnsafeLink`` naming ``label`` when it is not an
    http(s) address. Services call it before writing anything."""
    value = (value or "").strip()
    if value and not is_web_url(value):
        raise UnsafeLink(
            f"{label} must be a web address that starts with http:// or https://.", field=field
        )
    return value


class WebURLFormField(forms.URLField):
    """A form's URL field that refuses every scheme but http and https (Django's own also
    accepts ftp and ftps)."""

    default_validators: list = []  # Django's URLValidator would add a second, vaguer message

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("assume_scheme", "https")
        super().__init__(**kwargs)
        # The message names the field, so the error summary at the top of a page is clear alone.
        label = str(self.label or "The link")
        message = f"{label} must be a web address that starts with http:// or https://."
        # Also when the address cannot even be split into parts ("javascript:alert(1)").
        self.error_messages = {**self.error_messages, "invalid": message}
        self.validators.append(URLValidator(schemes=list(WEB_SCHEMES), message=message))


class WebURLField(models.URLField):
    """A model's URL field with the same allow list, so the admin and ``full_clean`` refuse
    what the forms and services refuse."""

    default_validators = [web_url_validator]

    def formfield(self, **kwargs: Any) -> forms.Field | None:
        return super().formfield(**{"form_class": WebURLFormField, **kwargs})
