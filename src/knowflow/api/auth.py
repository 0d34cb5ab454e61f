"""API authentication: a personal token (``Authorization: Bearer kf_…``) or the browser session."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from knowflow.accounts.models import Person
from knowflow.accounts.services import api_token_authenticate, person_for_user


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Person | None:
        person = api_token_authenticate(secret=token)
        if person is not None:
            request.viewer = person  # type: ignore[attr-defined]
        return person


class SessionAuth(APIKeyCookie):
    """The signed-in browser session; ninja checks the CSRF token on unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Person | None:
        if not request.user.is_authenticated:
            return None
        person = getattr(request, "viewer", None) or person_for_user(user=request.user)
        request.viewer = person  # type: ignore[attr-defined]
        return person


def viewer(request: HttpRequest) -> Person:
    return request.auth  # type: ignore[attr-defined, no-any-return]
