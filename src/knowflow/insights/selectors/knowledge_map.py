"""The knowledge map: circles, their topics and the org units of their members, read in four
queries and handed to the pure analysis and layout in ``discovery.knowledge_map``.

Only active people count (someone who left is no longer a link between two circles). Circle
membership is public inside the organisation (every circle page lists its members), so naming
the people who bridge org units shows nothing a member could not already read; the page is
still for insights readers only, like every other insights page. Knowflow has no opt-out of
expertise listing yet; when it does, people who opted out must leave ``bridge_people``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from knowflow.accounts.models import OrgUnit, Person
from knowflow.circles.models import Circle, Membership
from knowflow.discovery import knowledge_map as K
from knowflow.insights.permissions import check_view_insights

# How many rows the page's longer tables show (the figures above them count every row).
LINK_ROWS = 200
BRIDGE_PEOPLE_ROWS = 50


@dataclass(frozen=True)
class Named:
    name: str
    slug: str = ""


@dataclass(frozen=True)
class LinkRow:
    a: Named
    b: Named
    shared_members: int
    shared_topics: list[Named]
    drawn: bool


@dataclass(frozen=True)
class CircleRow:
    circle: Named
    members: int
    units: int
    topics: list[Named]
    links: int
    strongest: list[LinkRow]


@dataclass(frozen=True)
class BridgeCircleRow:
    circle: Named
    units: list[str]
    sole_pairs: list[str]


@dataclass(frozen=True)
class BridgePersonRow:
    name: str
    unit: str
    circles: list[Named]


@dataclass(frozen=True)
class UnitRow:
    unit: str
    people: int
    circles: list[tuple[Named, int]]


@dataclass
class KnowledgeMapPage:
    drawing: K.KnowledgeMap
    circles: list[CircleRow]
    links: list[LinkRow]
    isolated: list[Named]
    bridge_circles: list[BridgeCircleRow]
    bridge_people: list[BridgePersonRow]
    bridge_people_total: int
    units: list[UnitRow]
    people_in_circles: int
    topics: dict[int, Named] = field(default_factory=dict)
    circle_names: dict[int, Named] = field(default_factory=dict)
    computed_at: datetime = field(default_factory=timezone.now)
    seconds: float = 0.0

    @property
    def links_total(self) -> int:
        return len(self.drawing.links)

    @property
    def circle_links_drawn(self) -> int:
        return sum(1 for e in self.drawing.edges if e.kind == "circle")


def knowledge_map_inputs() -> tuple[
    list[K.CircleIn], dict[int, int], dict[int, Named], dict[int, Named], dict[int, str]
]:
    """Circles with their active members and topics, each active person's org unit, and the
    names: four queries whatever the size of the organisation. A circle waiting for approval,
    declined or sunset is not part of the living map (a sunset circle's page and resources stay
    findable)."""
    gone = [Circle.State.PROPOSED, Circle.State.DECLINED, Circle.State.SUNSET]
    circle_names = {
        pk: Named(name, slug)
        for pk, name, slug in Circle.objects.exclude(state__in=gone).values_list(
            "id", "name", "slug"
        )
    }
    members: dict[int, set[int]] = defaultdict(set)
    unit_of: dict[int, int] = {}
    for circle, person, unit in (
        Membership.objects.filter(person__deactivated_at__isnull=True)
        .exclude(circle__state__in=gone)
        .values_list("circle_id", "person_id", "person__org_unit_id")
        .order_by()
    ):
        members[circle].add(person)
        if unit is not None:
            unit_of[person] = unit
    topics: dict[int, Named] = {}
    topics_of: dict[int, set[int]] = defaultdict(set)
    for circle, topic, name, slug in (
        Circle.topics.through.objects.exclude(circle__state__in=gone)
        .values_list("circle_id", "topic_id", "topic__name", "topic__slug")
        .order_by()
    ):
        topics_of[circle].add(topic)
        topics[topic] = Named(name, slug)
    units = dict(OrgUnit.objects.values_list("id", "name"))
    circles = [
        K.CircleIn(pk, named.name, frozenset(members[pk]), frozenset(topics_of[pk]))
        for pk, named in circle_names.items()
    ]
    return circles, unit_of, circle_names, topics, units


def knowledge_map_for(*, viewer: Person) -> KnowledgeMapPage:
    """The map and its tables for an insights reader (``Forbidden`` for anyone else)."""
    check_view_insights(actor=viewer)
    started = timezone.now()
    circles, unit_of, circle_names, topics, units = knowledge_map_inputs()
    drawing = K.knowledge_map(
        circles=circles,
        unit_of=unit_of,
        topic_labels={k: v.name for k, v in topics.items()},
        unit_labels=units,
    )
    drawn = {
        tuple(sorted((int(e.a.split("-")[1]), int(e.b.split("-")[1]))))
        for e in drawing.edges
        if e.kind == "circle"
    }

    def link_row(link: K.CircleLink) -> LinkRow:
        a, b = sorted((circle_names[link.a], circle_names[link.b]), key=lambda c: c.name)
        return LinkRow(
            a,
            b,
            link.shared_members,
            sorted((topics[t] for t in link.shared_topics), key=lambda t: t.name),
            (link.a, link.b) in drawn,
        )

    links_of: dict[int, list[K.CircleLink]] = defaultdict(list)
    for link in drawing.links:
        links_of[link.a].append(link)
        links_of[link.b].append(link)
    units_per_circle = {
        c.key: len({unit_of[p] for p in c.members if p in unit_of}) for c in circles
    }
    circle_rows = [
        CircleRow(
            circle_names[c.key],
            len(c.members),
            units_per_circle[c.key],
            sorted((topics[t] for t in c.topics), key=lambda t: t.name),
            len(links_of[c.key]),
            [link_row(link) for link in links_of[c.key][:3]],
        )
        for c in sorted(circles, key=lambda c: (-len(c.members), circle_names[c.key].name))
    ]
    names = dict(
        Person.objects.filter(
            pk__in=[b.person for b in drawing.bridge_people[:BRIDGE_PEOPLE_ROWS]]
        ).values_list("id", "display_name")
    )
    page = KnowledgeMapPage(
        drawing=drawing,
        circles=circle_rows,
        links=[link_row(link) for link in drawing.links[:LINK_ROWS]],
        isolated=sorted((circle_names[k] for k in drawing.isolated), key=lambda c: c.name),
        bridge_circles=[
            BridgeCircleRow(
                circle_names[b.circle],
                sorted(units.get(u, "?") for u in b.units),
                sorted(
                    " – ".join(sorted((units.get(x, "?"), units.get(y, "?"))))
                    for x, y in b.sole_pairs
                ),
            )
            for b in drawing.bridge_circles
        ],
        bridge_people=[
            BridgePersonRow(
                names.get(b.person, "?"),
                units.get(b.unit, "?"),
                sorted((circle_names[c] for c in b.circles), key=lambda c: c.name),
            )
            for b in drawing.bridge_people[:BRIDGE_PEOPLE_ROWS]
        ],
        bridge_people_total=len(drawing.bridge_people),
        units=[
            UnitRow(
                units.get(u, "?"),
                drawing.unit_people[u],
                sorted(
                    ((circle_names[c], n) for c, n in rows), key=lambda row: (-row[1], row[0].name)
                ),
            )
            for u, rows in sorted(
                drawing.unit_circles.items(),
                key=lambda kv: (-drawing.unit_people[kv[0]], units.get(kv[0], "")),
            )
        ],
        people_in_circles=len({p for c in circles for p in c.members}),
        topics=topics,
        circle_names=circle_names,
        computed_at=started,
    )
    page.seconds = (timezone.now() - started).total_seconds()
    return page
