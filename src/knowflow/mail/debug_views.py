"""The debug mailbox: in a demo or a development copy (DEBUG on), enablers read the emails the
worker sent, or will send, in the browser instead of in files or a mail server. Answers 404
when DEBUG is off, so it does not exist in production."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from knowflow.errors import Forbidden, NotFound
from knowflow.mail import permissions, selectors


class _ViewerRequest(HttpRequest):
    """A request as accounts' middleware leaves it, with its ``viewer``: only a type, no
    request is built from it. Mail knows no domain, so the viewer is whatever can say it is an
    enabler (the views require sign-in, so there always is one)."""

    viewer: permissions.Viewer


def _check_may_read(request: _ViewerRequest) -> None:
    if not settings.DEBUG:
        raise NotFound("There is no such page.")
    if not permissions.can_read_debug_outbox(actor=request.viewer):
        raise Forbidden("The debug mailbox is for enablers and admins.")


@login_required
def outbox(request: _ViewerRequest) -> HttpResponse:
    _check_may_read(request)
    return render(request, "mail/debug_outbox.html", {"emails": selectors.outbox_recent()})


@login_required
def outbox_message(request: _ViewerRequest, message_id: int) -> HttpResponse:
    _check_may_read(request)
    email = selectors.outbox_message(message_id=message_id)
    return render(request, "mail/debug_email.html", {"email": email})
