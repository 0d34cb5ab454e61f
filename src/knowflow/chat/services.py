"""Connecting, testing and removing a circle's or topic's chat channels.

The webhook URL is checked (https, and for Slack its own webhook host) and sealed before it is
stored; it is never returned or shown again. Removing a channel deletes it: what was queued
for it is dropped by the outbound worker (`notifications.resolve_endpoint` no longer finds it).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.chat.models import ChatChannel
from knowflow.chat.notifications import chat_post_test
from knowflow.chat.permissions import can_manage_chat_channel, can_manage_chat_channels
from knowflow.circles.models import Circle
from knowflow.errors import DomainError, Forbidden
from knowflow.sealing import seal
from knowflow.topics.models import Topic

SLACK_HOSTS = frozenset({"hooks.slack.com"})
MAX_URL = 2000


def chat_webhook_url_check(*, kind: str, url: str) -> str:
    """The webhook URL as it will be stored, or a `DomainError` on the field ``webhook_url``.

    Slack's incoming webhooks live on hooks.slack.com only. A Teams Workflows webhook's host
    varies with the tenant's region and product (…logic.azure.com, …powerplatform.com): any
    https URL on a named host is taken, never a bare address or an internal name, so the
    worker cannot be pointed at a machine inside the network by a typo or on purpose.
    """
    url = url.strip()
    if not url:
        raise DomainError("Paste the channel's webhook URL.", field="webhook_url")
    if len(url) > MAX_URL or any(c.isspace() for c in url):
        raise DomainError("This is not a webhook URL.", field="webhook_url")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise DomainError("This is not a webhook URL.", field="webhook_url") from None
    if parts.scheme != "https" or not host:
        raise DomainError(
            "The webhook URL must start with https:// (the chat tool gives it to you).",
            field="webhook_url",
        )
    if parts.username or parts.password:
        raise DomainError("The webhook URL must not contain a user name.", field="webhook_url")
    if kind == ChatChannel.Kind.SLACK:
        if host not in SLACK_HOSTS or not parts.path.startswith("/services/"):
            raise DomainError(
                "A Slack incoming webhook URL starts with https://hooks.slack.com/services/.",
                field="webhook_url",
            )
    elif kind == ChatChannel.Kind.TEAMS:
        # A trailing dot names the same host ("localhost." is localhost).
        name = host.rstrip(".")
        if (
            _is_address(name)
            or "." not in name
            or name.endswith((".local", ".internal", ".localhost"))
        ):
            raise DomainError(
                "A Teams Workflows webhook URL is on a Microsoft host, such as "
                "…logic.azure.com or …powerplatform.com.",
                field="webhook_url",
            )
    else:
        raise DomainError("Choose Slack or Microsoft Teams.", field="kind")
    return url


def _is_address(host: str) -> bool:
    """Whether ``host`` is an IP address in any form the resolver takes: also the short and
    hexadecimal IPv4 forms (127.1, 0x7f.0.0.1) that `ipaddress` refuses but `getaddrinfo`
    turns into 127.0.0.1."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return True
    if not all(part and part.isalnum() for part in host.split(".")):
        return False
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True


def chat_channel_add(
    *,
    actor: Person,
    circle: Circle | None = None,
    topic: Topic | None = None,
    kind: str,
    name: str,
    webhook_url: str,
    notify_new_sessions: bool = True,
    notify_date_changes: bool = True,
    notify_starting_soon: bool = True,
    notify_recordings: bool = True,
) -> ChatChannel:
    """Connect a channel to a circle or a topic (exactly one). Only who manages the circle
    (champions, enablers) or the topics (enablers) may; the URL is checked, then sealed."""
    if (circle is None) == (topic is None):
        raise DomainError("A chat channel belongs to one circle or one topic.")
    if not can_manage_chat_channels(actor=actor, circle=circle, topic=topic):
        owner = "circle's champions" if circle is not None else "enablers"
        raise Forbidden(f"Only the {owner} can connect a chat channel here.")
    if kind not in ChatChannel.Kind.values:
        raise DomainError("Choose Slack or Microsoft Teams.", field="kind")
    name = " ".join(name.split())
    if not name:
        raise DomainError("Name the channel, as people know it: #data-eng.", field="name")
    if len(name) > 80:
        raise DomainError("Keep the channel's name under 80 characters.", field="name")
    url = chat_webhook_url_check(kind=kind, url=webhook_url)
    with transaction.atomic():
        return ChatChannel.objects.create(
            circle=circle,
            topic=topic,
            kind=kind,
            name=name,
            webhook_url_sealed=seal(url),
            webhook_host=urlsplit(url).hostname or "",
            notify_new_sessions=notify_new_sessions,
            notify_date_changes=notify_date_changes,
            notify_starting_soon=notify_starting_soon,
            notify_recordings=notify_recordings,
            created_by=actor,
        )


def chat_channel_remove(*, actor: Person, channel: ChatChannel) -> None:
    """Disconnect a channel; posts still queued for it are dropped, not sent."""
    if not can_manage_chat_channel(actor=actor, channel=channel):
        raise Forbidden("Only who manages this circle or topic can remove its chat channels.")
    with transaction.atomic():
        channel.delete()


def chat_channel_set_active(*, actor: Person, channel: ChatChannel, active: bool) -> ChatChannel:
    """Pause a channel (nothing is posted to it; what is queued is dropped) or resume it."""
    if not can_manage_chat_channel(actor=actor, channel=channel):
        raise Forbidden("Only who manages this circle or topic can pause its chat channels.")
    with transaction.atomic():
        channel.active = active
        channel.save(update_fields=["active"])
    return channel


def chat_channel_test(*, actor: Person, channel: ChatChannel) -> int:
    """Queue a test message to the channel (sent by the worker within seconds)."""
    if not can_manage_chat_channel(actor=actor, channel=channel):
        raise Forbidden("Only who manages this circle or topic can test its chat channels.")
    if not channel.active:
        raise DomainError("This channel is paused: nothing is posted to it.")
    with transaction.atomic():
        return chat_post_test(channel=channel, now=timezone.now())
