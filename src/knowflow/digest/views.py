"""Pages: the digest setting, and the unsubscribe link of every digest email."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from knowflow.digest import services
from knowflow.digest.forms import DigestFrequencyForm
from knowflow.digest.notifications import person_id_from_unsubscribe_token
from knowflow.digest.selectors import digest_subscription_for
from knowflow.errors import DomainError
from knowflow.web.errors import add_to_form


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer
    subscription = digest_subscription_for(person=viewer)
    form = DigestFrequencyForm(request.POST or None, initial={"frequency": subscription.frequency})
    if request.method == "POST" and form.is_valid():
        try:
            subscription = services.digest_frequency_set(
                person=viewer, frequency=form.cleaned_data["frequency"], actor=viewer
            )
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(request, f"Digest: {subscription.get_frequency_display().lower()}.")
            return redirect("digest:settings")
    return render(request, "digest/settings.html", {"form": form, "subscription": subscription})


# Mail clients POST here without a session or a CSRF token (RFC 8058 one-click): the signed
# token is the proof, and all the POST can do is turn the digest off.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        services.digest_unsubscribe(token=token)
        return render(request, "digest/unsubscribed.html")
    # A GET changes nothing: link scanners and previews open every link of an email.
    if person_id_from_unsubscribe_token(token) is None:
        services.digest_unsubscribe(token=token)  # raises: the same refusal as a POST
    return render(request, "digest/unsubscribe.html", {"token": token})
