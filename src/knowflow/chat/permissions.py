"""Who may connect a chat channel: for a circle, whoever manages the circle (its champions
and the enablers); for a topic, whoever manages the taxonomy (the enablers)."""

from __future__ import annotations

from knowflow.accounts.models import Person
from knowflow.chat.models import ChatChannel
from knowflow.circles.models import Circle
from knowflow.circles.permissions import can_manage_circle
from knowflow.topics.models import Topic
from knowflow.topics.permissions import can_manage_topics


def can_manage_chat_channels(
    *, actor: Person, circle: Circle | None = None, topic: Topic | None = None
) -> bool:
    if circle is not None:
        return can_manage_circle(actor=actor, circle=circle)
    if topic is not None:
        return can_manage_topics(actor=actor)
    return False


def can_manage_chat_channel(*, actor: Person, channel: ChatChannel) -> bool:
    return can_manage_chat_channels(actor=actor, circle=channel.circle, topic=channel.topic)
