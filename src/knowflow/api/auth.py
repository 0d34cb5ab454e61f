"""API authentication: a personal token (``Authorization: Bearer kf_…``) or the browser session.

Bad tokens are throttled per client address (``knowflow.accounts.throttling``): past the limit,
every token from that address is refused with 429 and Retry-After until the cool-off ends.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from knowflow.accounts.models import Person
from knowflow.accounts.services import api_token_authenticate, person_for_user
from knowflow.accounts.throttling import (
    client_ip,
    token_failure_record,
    token_lock_seconds_left,
)


class TokenThrottled(Exception):
    """Too many bad tokens from one address; answered 429 with Retry-After (api/main.py)."""

    def __init__(self, seconds: int) -> None:
        minutes = max(1, -(-seconds // 60))
        super().__init__(
            "Too many requests with an invalid API token from your address. Try again in "
            f"{minutes} minute{'s' if minutes != 1 else ''}; check the token on your profile "
            "page (or create a new one) before you do."
        )
        self.seconds = seconds


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Person | None:
        address = client_ip(request)
        # While locked, no token is even checked: a guess cannot succeed during the cool-off.
        seconds = token_lock_seconds_left(address=address)
        if seconds:
            raise TokenThrottled(seconds)
        person = api_token_authenticate(secret=token)
        if person is None:
            token_failure_record(address=address)
            return None
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


def caller_identified(request: HttpRequest) -> bool:
    """Whether the request comes from someone: a valid bearer token or a signed-in session,
    judged from its headers and cookies alone. For endpoints that must refuse a stranger before
    reading a large body: ninja's own session check verifies the CSRF token, which reads the
    body. Raises ``TokenThrottled`` like ``TokenAuth``; a bad token counts once, as there."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return TokenAuth().authenticate(request, token.strip()) is not None
    return bool(request.user.is_authenticated)
