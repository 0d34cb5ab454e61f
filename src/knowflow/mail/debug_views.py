"""The debug mailbox: in a demo or a development copy (DEBUG on), enablers read the emails the
worker sent, or will send, in the browser instead of in files or a mail server. Answers 404
when DEBUG is off, so it does not exist in production."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from knowflow.errors import DomainError, Forbidden, NotFound
from knowflow.mail import permissions, selectors
from knowflow.web.errors import error_page


def _refusal(request: HttpRequest) -> HttpResponse | None:
    if not settings.DEBUG:
        return error_page(request, NotFound("There is no such page."))
    if not permissions.can_read_debug_outbox(actor=request.viewer):
        return error_page(request, Forbidden("The debug mailbox is for enablers and admins."))
    return None


@login_required
def outbox(request: HttpRequest) -> HttpResponse:
    refused = _refusal(request)
    if refused:
        return refused
    return render(request, "mail/debug_outbox.html", {"emails": selectors.outbox_recent()})


@login_required
def outbox_message(request: HttpRequest, message_id: int) -> HttpResponse:
    refused = _refusal(request)
    if refused:
        return refused
    try:
        email = selectors.outbox_message(message_id=message_id)
    except DomainError as error:
        return error_page(request, error)
    return render(request, "mail/debug_email.html", {"email": email})
