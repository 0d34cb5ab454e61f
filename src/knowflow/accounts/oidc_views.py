"""The sign-in page, and the two steps of signing in with the company's provider: the button
sends the browser to the provider (``provider_sign_in_start``), the provider sends it back
(``provider_sign_in_callback``). Each refusal lands on the sign-in page with its message."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.auth.views import LoginView
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from knowflow.accounts.oidc import (
    BROWSER_ZONE_SESSION_KEY,
    CANCELLED,
    NOT_VERIFIED,
    STATE_USED,
    SignInRefused,
    browser_zone,
    library_setting,
    password_sign_in_enabled,
    provider_metadata,
    provider_settings,
)
from knowflow.errors import NotFound

NOT_SET_UP = "Sign-in with a company account is not set up here."
PASSWORD_OFF = "Password sign-in is turned off here. Sign in with {name} instead."


class SignInView(LoginView):
    """Django's sign-in page, with the provider's button when one is configured, and the
    password form only while password sign-in is on."""

    template_name = "accounts/login.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["provider"] = provider_settings()
        context["password_sign_in"] = password_sign_in_enabled()
        return context

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        if provider_settings() is not None:
            # The company button comes first on the page and is the main way in: the focus
            # must not skip past it into the password form.
            form.fields["username"].widget.attrs.pop("autofocus", None)
        return form

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not password_sign_in_enabled():
            config = provider_settings()
            name = config.name if config else "your company account"
            messages.error(request, PASSWORD_OFF.format(name=name))
            context = self.get_context_data(form=self.get_form_class()(request))
            return self.render_to_response(context, status=403)
        return super().post(request, *args, **kwargs)


def admin_sign_in(request: HttpRequest) -> HttpResponse:
    """The Django admin's sign-in, while a provider is set up: Knowflow's own page, which has
    the company button (the admin's page has only a password form). Without a provider, the
    admin's page as before."""
    if provider_settings() is None:
        return admin.site.login(request)
    target = reverse("accounts:login")
    next_url = request.GET.get("next", "")
    return redirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)


class ProviderSignInStart(OIDCAuthenticationRequestView):
    """The button: remembers the browser's zone (for a first sign-in) and sends the browser to
    the provider with a fresh state, nonce and PKCE challenge."""

    get_settings = staticmethod(library_setting)  # type: ignore[assignment]

    def __init__(self, **kwargs: Any) -> None:
        # The library reads the endpoints here; Knowflow looks them up per request, in get().
        View.__init__(self, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        config = provider_settings()
        if config is None:
            raise NotFound(NOT_SET_UP)
        request.session[BROWSER_ZONE_SESSION_KEY] = browser_zone(request.GET.get("browser_tz", ""))
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_metadata(config)["authorization_endpoint"]
        except SignInRefused as refusal:
            messages.error(request, refusal.message)
            return redirect("accounts:login")
        self.OIDC_RP_CLIENT_ID = config.client_id
        return super().get(request)


class ProviderSignInCallback(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back. The library checks the state (used once),
    the backend the token; any refusal is a message on the sign-in page."""

    get_settings = staticmethod(library_setting)  # type: ignore[assignment]

    def get(self, request: HttpRequest) -> HttpResponse:
        if provider_settings() is None:
            raise NotFound(NOT_SET_UP)
        if request.GET.get("error"):
            request.oidc_refusal = CANCELLED  # type: ignore[attr-defined]
        elif "oidc_states" not in request.session or "code" not in request.GET:
            # A callback this browser did not start: a link replayed from elsewhere.
            request.oidc_refusal = STATE_USED  # type: ignore[attr-defined]
        try:
            return super().get(request)
        except SuspiciousOperation:
            # The state is unknown to this session: already used, or never issued here.
            request.oidc_refusal = STATE_USED  # type: ignore[attr-defined]
            return self.login_failure()

    def login_failure(self) -> HttpResponse:
        messages.error(self.request, getattr(self.request, "oidc_refusal", None) or NOT_VERIFIED)
        return redirect("accounts:login")
