"""Reads of chat channels: a circle's or topic's channels with their latest deliveries, and
the channels a session's news goes to."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from knowflow.chat.models import ChatChannel
from knowflow.circles.models import Circle
from knowflow.errors import NotFound
from knowflow.events.models import Session
from knowflow.outbound.models import OutboundPost
from knowflow.topics.models import Topic

# What a channel can be told, as the flag that asks for it.
WANTS = (
    "notify_new_sessions",
    "notify_date_changes",
    "notify_starting_soon",
    "notify_recordings",
)


def chat_channel_get(*, id: int) -> ChatChannel:
    channel = ChatChannel.objects.select_related("circle", "topic").filter(pk=id).first()
    if channel is None:
        raise NotFound("There is no such chat channel: it may have been removed.")
    return channel


def chat_channels_of(
    *, circle: Circle | None = None, topic: Topic | None = None
) -> list[ChatChannel]:
    """The channels of one circle or one topic, by name."""
    if circle is not None:
        channels = ChatChannel.objects.filter(circle=circle)
    elif topic is not None:
        channels = ChatChannel.objects.filter(topic=topic)
    else:
        return []
    return list(channels.select_related("circle", "topic").order_by("name", "id"))


def _for_session_q(session: Session) -> Q:
    query = Q(topic_id__in=session.topics.values("id"))
    if session.circle_id:
        query |= Q(circle_id=session.circle_id)
    return query


def chat_channels_for_session(*, session: Session, wants: str) -> list[ChatChannel]:
    """The active channels that follow ``session`` (its circle's, its topics') and want news
    of the kind ``wants`` (one of `WANTS`)."""
    if wants not in WANTS:
        raise ValueError(f"unknown notification {wants!r}")
    return list(
        ChatChannel.objects.filter(_for_session_q(session), active=True, **{wants: True})
        .exclude(webhook_url_sealed="")
        .select_related("circle", "topic")
        .order_by("id")
    )


def chat_channels_wanting(*, wants: str) -> QuerySet[ChatChannel]:
    """Every active channel that wants news of the kind ``wants``."""
    if wants not in WANTS:
        raise ValueError(f"unknown notification {wants!r}")
    # A blank URL is a channel imported without credentials: it has nowhere to post.
    return (
        ChatChannel.objects.filter(active=True, **{wants: True})
        .exclude(webhook_url_sealed="")
        .select_related("circle", "topic")
    )


def chat_recent_posts(
    *, channels: list[ChatChannel], limit: int = 5
) -> dict[int, list[OutboundPost]]:
    """The newest ``limit`` posts of each channel (its delivery log's head), by channel id, in
    one query whatever the number of channels."""
    if not channels:
        return {}
    by_endpoint = {channel.endpoint: channel.pk for channel in channels}
    posts = (
        OutboundPost.objects.filter(endpoint__in=list(by_endpoint))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("endpoint")],
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=limit)
        .order_by("endpoint", "rank")
    )
    recent: dict[int, list[OutboundPost]] = {channel.pk: [] for channel in channels}
    for post in posts:
        recent[by_endpoint[post.endpoint]].append(post)
    return recent
