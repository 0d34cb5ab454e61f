"""The webhook settings pages (admins only): the list, a webhook with its delivery log, the
form to register or edit one, and the actions (on/off, ping, rotate the secret, delete,
deliver again). Thin: parse, call one service or selector, render. A refusal (not an admin, no
such webhook) is the site's error page; a bad form keeps the input and says what to fix."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from knowflow.errors import DomainError, Forbidden
from knowflow.web.errors import add_to_form, flash, refusal_as_page
from knowflow.webhooks import permissions, selectors, services
from knowflow.webhooks.catalogue import EVENTS
from knowflow.webhooks.forms import WebhookForm
from knowflow.webhooks.models import Webhook


def _secret_page(
    request: HttpRequest, webhook: Webhook, secret: str, *, rotated: bool
) -> HttpResponse:
    """The one page that ever shows the secret: rendered as the answer to the POST (never
    kept in the session, which is a database row), and never cached."""
    response = render(
        request, "webhooks/secret.html", {"webhook": webhook, "secret": secret, "rotated": rotated}
    )
    add_never_cache_headers(response)
    return response


@login_required
def webhook_list_page(request: HttpRequest) -> HttpResponse:
    webhooks = selectors.webhook_list(viewer=request.viewer)
    return render(request, "webhooks/list.html", {"webhooks": webhooks, "events": EVENTS})


@login_required
def webhook_new(request: HttpRequest) -> HttpResponse:
    if not permissions.can_manage_webhooks(actor=request.viewer):
        raise Forbidden("Only admins manage webhooks.")  # even the empty form
    form = WebhookForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            webhook, secret = services.webhook_create(
                actor=request.viewer,
                url=form.cleaned_data["url"],
                description=form.cleaned_data["description"],
                events=form.cleaned_data["events"],
            )
        except DomainError as error:
            refusal_as_page(error)
            add_to_form(form, error)
        else:
            return _secret_page(request, webhook, secret, rotated=False)
    return render(
        request,
        "webhooks/form.html",
        {"form": form, "title": "Add a webhook", "submit": "Add webhook"},
    )


@login_required
def webhook_page(request: HttpRequest, webhook_id: int) -> HttpResponse:
    webhook = selectors.webhook_get(id=webhook_id, viewer=request.viewer)
    deliveries = selectors.webhook_deliveries(webhook=webhook, viewer=request.viewer)
    return render(
        request,
        "webhooks/webhook.html",
        {
            "webhook": webhook,
            "events": [(name, EVENTS[name]) for name in webhook.events if name in EVENTS],
            "deliveries": deliveries,
            "log_length": selectors.DELIVERY_LOG_LENGTH,
        },
    )


@login_required
def webhook_edit(request: HttpRequest, webhook_id: int) -> HttpResponse:
    webhook = selectors.webhook_get(id=webhook_id, viewer=request.viewer)
    form = (
        WebhookForm(request.POST) if request.method == "POST" else WebhookForm.for_webhook(webhook)
    )
    if form.is_bound and form.is_valid():
        try:
            services.webhook_update(
                webhook=webhook,
                actor=request.viewer,
                url=form.cleaned_data["url"],
                description=form.cleaned_data["description"],
                events=form.cleaned_data["events"],
            )
        except DomainError as error:
            refusal_as_page(error)
            add_to_form(form, error)
        else:
            messages.success(request, "Saved. The next deliveries use these settings.")
            return redirect("webhooks:webhook", webhook.pk)
    return render(
        request,
        "webhooks/form.html",
        {"form": form, "webhook": webhook, "title": f"Edit “{webhook.label}”", "submit": "Save"},
    )


@login_required
@require_POST
def webhook_active(request: HttpRequest, webhook_id: int) -> HttpResponse:
    webhook = selectors.webhook_get(id=webhook_id, viewer=request.viewer)
    active = request.POST.get("active") == "1"
    services.webhook_set_active(webhook=webhook, actor=request.viewer, active=active)
    if active:
        messages.success(request, "The webhook is on: new events are sent to it again.")
    else:
        messages.success(
            request, "The webhook is off: nothing is sent to it, and queued deliveries are dropped."
        )
    return redirect("webhooks:webhook", webhook.pk)


@login_required
@require_POST
def webhook_ping_send(request: HttpRequest, webhook_id: int) -> HttpResponse:
    webhook = selectors.webhook_get(id=webhook_id, viewer=request.viewer)
    try:
        services.webhook_ping(webhook=webhook, actor=request.viewer)
    except DomainError as error:
        refusal_as_page(error)
        flash(request, error)
    else:
        messages.success(
            request, "Ping queued: it is sent within a few seconds and shows in the log below."
        )
    return redirect("webhooks:webhook", webhook.pk)


@login_required
def webhook_rotate(request: HttpRequest, webhook_id: int) -> HttpResponse:
    webhook = selectors.webhook_get(id=webhook_id, viewer=request.viewer)
    if request.method != "POST":
        return render(request, "webhooks/rotate_confirm.html", {"webhook": webhook})
    secret = services.webhook_rotate_secret(webhook=webhook, actor=request.viewer)
    return _secret_page(request, webhook, secret, rotated=True)


@login_required
def webhook_delete_page(request: HttpRequest, webhook_id: int) -> HttpResponse:
    webhook = selectors.webhook_get(id=webhook_id, viewer=request.viewer)
    if request.method != "POST":
        return render(request, "webhooks/delete_confirm.html", {"webhook": webhook})
    services.webhook_delete(webhook=webhook, actor=request.viewer)
    messages.success(request, f"Deleted the webhook “{webhook.label}”. Nothing more is sent to it.")
    return redirect("webhooks:list")


@login_required
@require_POST
def webhook_redeliver_send(request: HttpRequest, webhook_id: int, delivery_id: int) -> HttpResponse:
    webhook = selectors.webhook_get(id=webhook_id, viewer=request.viewer)
    try:
        services.webhook_redeliver(webhook=webhook, actor=request.viewer, post_id=delivery_id)
    except DomainError as error:
        refusal_as_page(error)
        flash(request, error)
    else:
        messages.success(
            request,
            "Queued again with the same delivery id: it is sent within a few seconds.",
        )
    return redirect("webhooks:webhook", webhook.pk)
