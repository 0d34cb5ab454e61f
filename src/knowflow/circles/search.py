"""Circles as search finds them: name, mission, topics and champions."""

from __future__ import annotations

from django.db.models import Prefetch

from knowflow.circles.models import Circle, Membership
from knowflow.search import registry
from knowflow.search.registry import DocumentSource
from knowflow.topics.search import TOPIC

CIRCLE = "circle"


def circle_sources(circle_ids: list[int]) -> list[DocumentSource]:
    # A proposed or declined circle is not listed, so search does not find it; a sunset one
    # stays findable with its history.
    circles = (
        Circle.objects.filter(pk__in=circle_ids)
        .exclude(state__in=[Circle.State.PROPOSED, Circle.State.DECLINED])
        .prefetch_related(
            "topics",
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(role=Membership.Role.CHAMPION).select_related(
                    "person"
                ),
                to_attr="champion_memberships",
            ),
        )
    )
    return [
        DocumentSource(
            kind=CIRCLE,
            object_id=circle.pk,
            slug=circle.slug,
            title=circle.name,
            body=f"{circle.mission}\n\n{circle.scope}".strip(),
            topics=list(circle.topics.all()),
            people=[m.person.display_name for m in circle.champion_memberships],
            circle_id=circle.pk,
        )
        for circle in circles
    ]


def circles_tagged(topic_ids: list[int]) -> list[int]:
    through = Circle.topics.through.objects.filter(topic_id__in=topic_ids)
    return list(through.values_list("circle_id", flat=True))


def register() -> None:
    registry.register(
        kind=CIRCLE, label="Circle", position=4, model=Circle, build=circle_sources, prior=0.5
    )
    registry.follow(kind=CIRCLE, on=TOPIC, ids=circles_tagged)
