"""Pages for a circle's or topic's chat channels, and Slack's slash command endpoint."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from knowflow.chat import selectors, services
from knowflow.chat.forms import ChatChannelForm
from knowflow.chat.models import ChatChannel
from knowflow.chat.permissions import can_manage_chat_channel, can_manage_chat_channels
from knowflow.chat.slash_command import (
    slack_request_verified,
    slack_signing_secret,
    slash_command_answer,
)
from knowflow.circles.selectors import circle_get
from knowflow.errors import DomainError, Forbidden
from knowflow.topics.selectors import topic_detail
from knowflow.web.errors import add_to_form, refusal_as_page

RECENT_POSTS = 5
# An outbound post's status in the words of the channel's page, with its badge.
POST_STATUS = {
    "pending": ("Waiting", "info"),
    "sending": ("Sending", "info"),
    "sent": ("Delivered", "ok"),
    "failed": ("Failed", "bad"),
    "cancelled": ("Dropped", "warn"),
}


def _post_row(post: object) -> dict:
    label, badge = POST_STATUS.get(post.status, (post.status, ""))
    detail = ""
    if post.status in ("failed", "pending") and (post.response_code or post.last_error):
        code = f"HTTP {post.response_code}" if post.response_code else ""
        detail = "; ".join(part for part in (code, post.last_error[:120]) if part)
    return {
        "label": label,
        "badge": badge,
        "at": post.sent_at or post.created_at,
        "detail": detail,
    }


def _channels_page(
    request: HttpRequest, *, circle: object = None, topic: object = None
) -> HttpResponse:
    owner = circle or topic
    if not can_manage_chat_channels(actor=request.viewer, circle=circle, topic=topic):
        raise Forbidden(
            "Only the circle's champions and the enablers manage its chat channels."
            if circle is not None
            else "Only enablers manage a topic's chat channels."
        )
    form = ChatChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            channel = services.chat_channel_add(
                actor=request.viewer, circle=circle, topic=topic, **form.cleaned_data
            )
        except DomainError as error:
            refusal_as_page(error)
            add_to_form(form, error)
        else:
            messages.success(
                request,
                f"{channel.name} is connected. Send a test message to check that it arrives.",
            )
            return redirect(request.path)
    channels = selectors.chat_channels_of(circle=circle, topic=topic)
    recent = selectors.chat_recent_posts(channels=channels, limit=RECENT_POSTS)
    rows = [
        {"channel": channel, "posts": [_post_row(post) for post in recent[channel.pk]]}
        for channel in channels
    ]
    return render(
        request,
        "chat/channels.html",
        {
            "owner": owner,
            "circle": circle,
            "topic": topic,
            "rows": rows,
            "form": form,
        },
    )


@login_required
def circle_channels(request: HttpRequest, slug: str) -> HttpResponse:
    return _channels_page(request, circle=circle_get(slug=slug))


@login_required
def topic_channels(request: HttpRequest, slug: str) -> HttpResponse:
    return _channels_page(request, topic=topic_detail(slug=slug))


def _back(channel: ChatChannel) -> HttpResponse:
    if channel.circle_id:
        return redirect("chat:circle", slug=channel.circle.slug)
    return redirect("chat:topic", slug=channel.topic.slug)


@login_required
@require_POST
def channel_test(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = selectors.chat_channel_get(id=channel_id)
    services.chat_channel_test(actor=request.viewer, channel=channel)
    messages.success(request, f"A test message to {channel.name} is on its way.")
    return _back(channel)


@login_required
@require_POST
def channel_set_active(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = selectors.chat_channel_get(id=channel_id)
    active = request.POST.get("active") == "1"
    services.chat_channel_set_active(actor=request.viewer, channel=channel, active=active)
    if active:
        messages.success(request, f"{channel.name} is active again.")
    else:
        messages.success(request, f"{channel.name} is paused: nothing is posted there.")
    return _back(channel)


@login_required
def channel_remove(request: HttpRequest, channel_id: int) -> HttpResponse:
    """A confirmation page (GET), then the removal (POST)."""
    channel = selectors.chat_channel_get(id=channel_id)
    if not can_manage_chat_channel(actor=request.viewer, channel=channel):
        raise Forbidden("Only who manages this circle or topic can remove its chat channels.")
    if request.method == "POST":
        back = _back(channel)
        services.chat_channel_remove(actor=request.viewer, channel=channel)
        messages.success(request, f"{channel.name} is disconnected: nothing more is posted there.")
        return back
    return render(request, "chat/remove_confirm.html", {"channel": channel})


@csrf_exempt
@require_POST
def slack_command(request: HttpRequest) -> HttpResponse:
    """Slack's slash command. Not configured: 404; a request Slack did not sign: 401."""
    if not slack_signing_secret():
        raise Http404("The Slack command is not configured.")
    body = request.body
    if not slack_request_verified(body=body, headers=request.headers):
        return HttpResponse(
            "The request is not signed by Slack.", status=401, content_type="text/plain"
        )
    return JsonResponse(slash_command_answer(text=request.POST.get("text", "")))
