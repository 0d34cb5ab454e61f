"""The admin's SCIM page: the endpoint to give the identity provider, and its tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from knowflow.errors import DomainError, Forbidden
from knowflow.scim import selectors, services
from knowflow.scim.forms import ScimTokenForm
from knowflow.scim.permissions import can_manage_scim
from knowflow.web.errors import add_to_form


def _admin_only(request: HttpRequest) -> None:
    if not can_manage_scim(actor=request.viewer):
        raise Forbidden("Only an admin can manage SCIM provisioning.")


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    form = ScimTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.scim_token_create(
                name=form.cleaned_data["name"], actor=request.viewer
            )
        except DomainError as error:
            add_to_form(form, error)
        else:
            # Shown once, on the page the redirect leads to; only the hash is stored.
            request.session["new_scim_token"] = {"name": token.name, "secret": secret}
            return redirect("scim:settings")
    return render(
        request,
        "scim/settings.html",
        {
            "form": form,
            "tokens": selectors.scim_token_list(),
            "summary": selectors.scim_summary(),
            "new_token": request.session.pop("new_scim_token", None),
            "base_url": request.build_absolute_uri(reverse("scim_protocol:root")),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """A confirmation page (GET), then the revocation (POST)."""
    _admin_only(request)
    token = selectors.scim_token_get(id=token_id)
    if request.method == "POST":
        services.scim_token_revoke(token=token, actor=request.viewer)
        messages.success(
            request, f"Token “{token.name}” revoked: requests made with it are now refused."
        )
        return redirect("scim:settings")
    return render(request, "scim/token_revoke.html", {"token": token})
