"""Sign-in with the organisation's OpenID Connect provider (Entra ID, Okta, Google, Keycloak …).

mozilla-django-oidc runs the authorization code flow (state, nonce, PKCE, the token request,
the signature check against the provider's published keys); this module feeds it Knowflow's
configuration and tightens what it lets through:

- Configuration comes from the environment only (``KNOWFLOW_OIDC_*`` in settings). The
  endpoints are discovered from ``<issuer>/.well-known/openid-configuration`` the first time a
  sign-in needs them and cached for an hour; nothing reaches the network until someone presses
  the button, and nothing at all when no issuer is set.
- The ID token must be signed by the provider (RS256, a key from its JWKS), be issued by the
  configured issuer, name our client id as its audience, and be unexpired: the library checks
  only the signature and expiry (an expired token even escapes it as a 500), so
  ``ProviderBackend._verify_jws`` checks all of it.
- Every refusal becomes a sentence on the sign-in page (``SignInRefused.message``), with the
  technical reason in the log, and creates nothing.
- ``PasswordSignInSwitch`` turns password sign-in off everywhere (KNOWFLOW_PASSWORD_SIGN_IN=0).

Who the person is, and what changes on their profile, is decided by
``services.person_sign_in_with_provider``.
"""

from __future__ import annotations

import hashlib
import logging
import zoneinfo
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import IntegrityError
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from knowflow.accounts import services
from knowflow.accounts.models import User
from knowflow.errors import DomainError

logger = logging.getLogger(__name__)

DISCOVERY_CACHE_SECONDS = 3600
# Seconds of clock difference between us and the provider that an ID token's times may show.
CLOCK_LEEWAY_SECONDS = 60
# The session key under which the sign-in page leaves the browser's time zone for the callback.
BROWSER_ZONE_SESSION_KEY = "oidc_browser_timezone"

NOT_VERIFIED = (
    "Your company's sign-in service sent an answer that Knowflow could not verify, so you were "
    "not signed in. Try again; if it keeps happening, tell your admin."
)
UNREACHABLE = "Your company's sign-in service did not answer. Try again in a moment."
STATE_USED = (
    "This sign-in link has already been used or has expired. Start again with the button below."
)
CANCELLED = "Sign-in was cancelled at your company's sign-in service."
RETRY = "Signing in did not finish. Try again."


class SignInRefused(DomainError):
    status_code = 403


@dataclass(frozen=True)
class ProviderSettings:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    groups_claim: str
    name: str
    timeout: float


def provider_settings() -> ProviderSettings | None:
    """The provider an admin configured, or None: then the site works as if this module did
    not exist."""
    issuer = getattr(settings, "KNOWFLOW_OIDC_ISSUER", "")
    client_id = getattr(settings, "KNOWFLOW_OIDC_CLIENT_ID", "")
    if not issuer or not client_id:
        return None
    return ProviderSettings(
        issuer=issuer.rstrip("/"),
        client_id=client_id,
        client_secret=settings.KNOWFLOW_OIDC_CLIENT_SECRET,
        scopes=settings.KNOWFLOW_OIDC_SCOPES or "openid email profile",
        groups_claim=settings.KNOWFLOW_OIDC_GROUPS_CLAIM or "groups",
        name=settings.KNOWFLOW_OIDC_PROVIDER_NAME or "your company account",
        timeout=settings.KNOWFLOW_OIDC_TIMEOUT_SECONDS,
    )


def password_sign_in_enabled() -> bool:
    return bool(getattr(settings, "KNOWFLOW_PASSWORD_SIGN_IN", True))


def provider_metadata(config: ProviderSettings) -> dict[str, Any]:
    """The provider's discovery document (its endpoints), fetched once an hour at most.

    Raises SignInRefused when the provider does not answer or answers for another issuer (a
    typo in KNOWFLOW_OIDC_ISSUER, or a proxy answering for it)."""
    key = "knowflow.oidc.discovery:" + hashlib.sha256(config.issuer.encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return cached
    url = f"{config.issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=config.timeout)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        logger.warning("OpenID Connect discovery at %s failed: %s", url, error)
        raise SignInRefused(UNREACHABLE) from error
    required = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
    if not isinstance(document, dict) or not all(
        isinstance(document.get(name), str) for name in required
    ):
        logger.warning("OpenID Connect discovery at %s lacks one of %s", url, required)
        raise SignInRefused(UNREACHABLE)
    if document["issuer"].rstrip("/") != config.issuer:
        logger.warning(
            "OpenID Connect discovery at %s names issuer %r, not %r",
            url,
            document["issuer"],
            config.issuer,
        )
        raise SignInRefused(UNREACHABLE)
    cache.set(key, document, DISCOVERY_CACHE_SECONDS)
    return document


def library_setting(attr: str, *default: Any) -> Any:
    """mozilla-django-oidc's settings, from Knowflow's (its ``get_settings`` hook)."""
    config = provider_settings()
    if config is None:
        raise SignInRefused("Sign-in with a company account is not set up here.")
    fixed: dict[str, Any] = {
        "OIDC_RP_CLIENT_ID": config.client_id,
        "OIDC_RP_CLIENT_SECRET": config.client_secret,
        "OIDC_RP_SCOPES": config.scopes,
        "OIDC_RP_SIGN_ALGO": "RS256",
        "OIDC_USE_NONCE": True,
        "OIDC_USE_PKCE": True,
        "OIDC_TIMEOUT": config.timeout,
        "OIDC_VERIFY_SSL": True,
        "OIDC_CREATE_USER": True,
        "OIDC_STORE_ACCESS_TOKEN": False,
        "OIDC_STORE_ID_TOKEN": False,
        "OIDC_ALLOW_UNSECURED_JWT": False,
        "OIDC_AUTHENTICATION_CALLBACK_URL": "accounts:oidc_callback",
        "LOGIN_REDIRECT_URL_FAILURE": "accounts:login",
        "LOGIN_REDIRECT_URL": settings.LOGIN_REDIRECT_URL,
    }
    if attr in fixed:
        return fixed[attr]
    discovered = {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
        "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
        "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
        "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    }
    if attr in discovered:
        return provider_metadata(config).get(discovered[attr])
    if default:
        return default[0]
    return getattr(settings, attr)


def browser_zone(value: str) -> str:
    """The time zone the sign-in page read from the browser, if it is a real IANA zone."""
    value = (value or "").strip()
    if len(value) > 64 or value not in zoneinfo.available_timezones():
        return ""
    return value


def _claim_text(claims: dict[str, Any], name: str) -> str:
    value = claims.get(name)
    return value.strip() if isinstance(value, str) else ""


def _display_name(claims: dict[str, Any]) -> str:
    full = " ".join(
        part for part in (_claim_text(claims, "given_name"), _claim_text(claims, "family_name"))
    ).strip()
    return _claim_text(claims, "name") or full or _claim_text(claims, "preferred_username")


def _groups(claims: dict[str, Any], claim: str) -> tuple[str, ...]:
    value = claims.get(claim)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return ()
    return tuple(group for group in value if isinstance(group, str))


def provider_account(claims: dict[str, Any], config: ProviderSettings) -> services.ProviderAccount:
    verified = claims.get("email_verified")
    return services.ProviderAccount(
        issuer=config.issuer,
        subject=_claim_text(claims, "sub"),
        email=_claim_text(claims, "email"),
        name=_display_name(claims)[:150],
        zoneinfo=_claim_text(claims, "zoneinfo"),
        locale=_claim_text(claims, "locale"),
        groups=_groups(claims, config.groups_claim),
        email_verified=verified if isinstance(verified, bool) else None,
    )


class ProviderBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, configured per request from Knowflow's settings.

    Django builds every backend for every sign-in and every request of a signed-in person
    (``get_user``), so construction reads nothing and reaches nothing: the endpoints are
    looked up only in ``authenticate``, and only for a provider's callback."""

    get_settings = staticmethod(library_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.UserModel = User

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        config = provider_settings()
        if request is None or config is None or "code" not in request.GET:
            return None
        try:
            metadata = provider_metadata(config)
            self.OIDC_OP_TOKEN_ENDPOINT = metadata["token_endpoint"]
            self.OIDC_OP_USER_ENDPOINT = metadata.get("userinfo_endpoint")
            self.OIDC_OP_JWKS_ENDPOINT = metadata["jwks_uri"]
            self.OIDC_RP_CLIENT_ID = config.client_id
            self.OIDC_RP_CLIENT_SECRET = config.client_secret
            self.OIDC_RP_SIGN_ALGO = "RS256"
            self.OIDC_RP_IDP_SIGN_KEY = None
            self.config = config
            # Exactly as the provider writes it (some end it with "/"): the ID token's iss
            # must match this, and discovery checked it is the configured issuer.
            self.issuer = metadata["issuer"]
            return super().authenticate(request, **kwargs)
        except SignInRefused as refusal:
            request.oidc_refusal = refusal.message  # type: ignore[attr-defined]
        except SuspiciousOperation as error:
            logger.warning("OpenID Connect sign-in refused: %s", error)
            request.oidc_refusal = NOT_VERIFIED  # type: ignore[attr-defined]
        except (requests.RequestException, ValueError, KeyError, jwt.PyJWTError) as error:
            logger.warning("OpenID Connect sign-in failed: %s", error)
            request.oidc_refusal = UNREACHABLE  # type: ignore[attr-defined]
        except IntegrityError as error:
            # Two first sign-ins of one account at once (two tabs): the other one linked it.
            logger.info("OpenID Connect sign-in crossed another: %s", error)
            request.oidc_refusal = RETRY  # type: ignore[attr-defined]
        return None

    def get_user(self, user_id: int) -> User | None:
        # Like ModelBackend: a user deactivated since they signed in is signed out at once.
        user = super().get_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def _verify_jws(self, payload: str, key: Any) -> dict[str, Any]:
        """The ID token's claims, once its signature, issuer, audience and times hold."""
        try:
            header = jwt.get_unverified_header(payload)
            if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
                raise SuspiciousOperation(f"ID token signed with {header.get('alg')!r}")
            return jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.config.client_id,
                issuer=self.issuer,
                leeway=CLOCK_LEEWAY_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.PyJWTError as error:
            raise SuspiciousOperation(f"ID token refused: {error}") from error

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        if not isinstance(token, str) or not token:
            raise SuspiciousOperation("The token answer has no ID token")
        return super().verify_token(token, **kwargs)

    def get_userinfo(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """The ID token's claims with the userinfo endpoint's on top (some providers put the
        groups or the zone in one, some in the other); both must be about the same subject."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            answer = super().get_userinfo(access_token, id_token, payload)
            if not isinstance(answer, dict) or answer.get("sub") != payload.get("sub"):
                raise SuspiciousOperation("The userinfo answer is about another subject")
            claims.update(answer)
        return claims

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> User | None:
        claims = self.get_userinfo(access_token, id_token, payload)
        account = provider_account(claims, self.config)
        zone = self.request.session.get(BROWSER_ZONE_SESSION_KEY, "")
        try:
            person = services.person_sign_in_with_provider(account=account, browser_timezone=zone)
        except DomainError as refusal:
            logger.info("OpenID Connect sign-in of %s refused: %s", account.subject, refusal)
            raise SignInRefused(refusal.message) from refusal
        return person.user


class PasswordSignInSwitch:
    """Refuses every password when KNOWFLOW_PASSWORD_SIGN_IN is off — on the sign-in page and
    the admin's alike — by ending the backend chain (PermissionDenied) before a password is
    checked.

    Not a BaseBackend: it has no ``get_user``, so Django never picks it to keep a session
    (``force_login`` takes the first backend that has one) and it adds nothing to permissions.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if password is not None and not password_sign_in_enabled():
            raise PermissionDenied("Password sign-in is turned off.")
        return None
