"""Throttling of guessed credentials: sign-in passwords (django-axes) and API tokens.

Sign-in: django-axes counts failed sign-ins per username *and* client address in the database
(so every web process sees the same count, on SQLite and PostgreSQL alike) and locks that pair
out for a cool-off period; a successful sign-in clears the count. Locking the pair rather than
the username alone means nobody can lock a colleague out from their own desk.

API tokens: a bad ``Authorization: Bearer`` token names no user, so the count is per client
address, kept in Django's cache (shared between processes when ``REDIS_URL`` is set). A good
token does not clear it: anyone holding a token of their own could otherwise reset the count
between guesses.

The client address is ``REMOTE_ADDR`` unless the deployment says how many reverse proxies it
runs behind (``KNOWFLOW_TRUSTED_PROXIES``); only then is ``X-Forwarded-For`` read, from the
right, since everything left of what our own proxies appended is whatever the client sent.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.timezone import now


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from, as far as our own proxies can vouch for it.

    None when there is no valid address (a request made in-process, a Unix socket): axes
    stores addresses in an IP column, which PostgreSQL refuses to fill with anything else.
    """
    remote = _address(request.META.get("REMOTE_ADDR") or "")
    proxies = settings.KNOWFLOW_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    # Each trusted proxy appended the address it saw; the last proxy's own view is REMOTE_ADDR.
    # With N proxies the client is the N-th address from the right of the header; anything
    # that is not an address there means the header did not come from our proxies.
    if len(forwarded) < proxies:
        return remote
    return _address(forwarded[-proxies]) or remote


class SignInThrottleBackend(AxesStandaloneBackend):
    """django-axes' lock-out check, for sign-ins that come with a web request.

    ``authenticate()`` called without a request (the shell, the test client's ``login``) is not
    a sign-in from a client address: there is nothing to count it against, so it is let through
    to the password check instead of failing as axes' own backend does.
    """

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: object,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def sign_in_cool_off() -> timedelta:
    return timedelta(minutes=settings.KNOWFLOW_SIGN_IN_COOLOFF_MINUTES)


def _token_keys(address: str | None) -> tuple[str, str]:
    where = address or "unknown"
    return f"knowflow:bad-tokens:{where}", f"knowflow:bad-tokens-locked:{where}"


def token_lock_seconds_left(*, address: str | None) -> int:
    """Seconds until bad API tokens from ``address`` are heard again (0: not locked)."""
    _, lock_key = _token_keys(address)
    until = cache.get(lock_key)
    if until is None:
        return 0
    left = (until - now()).total_seconds()
    return max(math.ceil(left), 0)


def token_failure_record(*, address: str | None) -> None:
    """Count one bad API token from ``address``; at the limit, lock it for the cool-off.

    The count lives as long as the cool-off, from the first failure: failures spread more
    thinly than ``limit`` per cool-off never lock anyone out.
    """
    count_key, lock_key = _token_keys(address)
    cool_off = timedelta(minutes=settings.KNOWFLOW_TOKEN_COOLOFF_MINUTES)
    # The cache's own expiry is only a backstop; the lock's end is the stored instant.
    backstop = int(cool_off.total_seconds()) + 60
    cache.add(count_key, 0, timeout=backstop)
    try:
        count = cache.incr(count_key)
    except ValueError:  # expired between add and incr
        cache.set(count_key, 1, timeout=backstop)
        count = 1
    if count >= settings.KNOWFLOW_TOKEN_FAILURE_LIMIT:
        cache.set(lock_key, now() + cool_off, timeout=backstop)
        cache.delete(count_key)
