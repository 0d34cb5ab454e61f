"""PURE: the map of the knowledge — circles, topics and org units as one readable graph.

Input is plain data: each circle's members (person ids) and topics (topic ids), each person's
org unit, and the labels. Output (``KnowledgeMap``) is everything the page shows:

- **links between circles**: two circles are linked when they share members or topics; the
  link carries both counts. *Strongest* means most shared members, then most shared topics.
- **isolated circles**: circles that share no member and no topic with any other circle.
- **bridge circles**: circles with members from two or more org units, with the pairs of units
  for which the circle is the *only* circle they both have members in (remove it and those
  units no longer meet in any circle).
- **bridge people**: a person who is the only member of their org unit in a circle where other
  units meet — they alone carry their unit into that circle.
- **the drawing**: never one node per person. Circles are nodes sized by their members, topics a
  second kind of node, and people are aggregated per org unit (a third kind, sized by the unit's
  people in circles). Edges are limited: every circle keeps its strongest link to another
  circle (so no circle looks isolated when it is not), then the strongest of the rest up to
  ``max_circle_links`` (by default twice the circles drawn); each unit keeps its
  ``unit_links`` strongest circles. The layout is a force-directed one (Fruchterman–Reingold,
  numpy) from a fixed start, so the same data gives the same picture, followed by a greedy
  placement that moves each node whose label would overlap another to the nearest free spot.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

# Average glyph width of a sans-serif label, in units of its font size (for label boxes).
GLYPH = 0.6
FONT = 11.0
LABEL_CHARS = 26


@dataclass(frozen=True)
class CircleIn:
    key: int
    label: str
    members: frozenset[int]
    topics: frozenset[int]


@dataclass(frozen=True)
class CircleLink:
    a: int
    b: int
    shared_members: int
    shared_topics: tuple[int, ...]

    @property
    def strength(self) -> tuple[int, int]:
        return (self.shared_members, len(self.shared_topics))


@dataclass(frozen=True)
class BridgeCircle:
    circle: int
    units: tuple[int, ...]
    sole_pairs: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class BridgePerson:
    person: int
    unit: int
    circles: tuple[int, ...]


@dataclass(frozen=True)
class Node:
    """A drawn node. ``kind`` is "circle", "topic" or "unit"; ``size`` what its area shows
    (members, circles or people in circles)."""

    kind: str
    key: int
    label: str
    size: int
    x: float = 0.0
    y: float = 0.0
    radius: float = 6.0

    @property
    def id(self) -> str:
        return f"{self.kind}-{self.key}"

    @property
    def short_label(self) -> str:
        if len(self.label) <= LABEL_CHARS:
            return self.label
        return self.label[: LABEL_CHARS - 1].rstrip() + "…"

    def box(self) -> tuple[float, float, float, float]:
        """The node and its label below it: (left, top, right, bottom)."""
        half = max(self.radius, GLYPH * FONT * len(self.short_label) / 2)
        return (self.x - half, self.y - self.radius, self.x + half, self.y + self.radius + FONT + 4)


@dataclass(frozen=True)
class Edge:
    """A drawn edge between two node ids; ``kind`` is "circle" (shared members/topics),
    "topic" (a circle's topic) or "unit" (a unit's people in a circle)."""

    kind: str
    a: str
    b: str
    weight: int
    label: str = ""


@dataclass
class KnowledgeMap:
    links: list[CircleLink]
    isolated: list[int]
    bridge_circles: list[BridgeCircle]
    bridge_people: list[BridgePerson]
    unit_circles: dict[int, list[tuple[int, int]]]  # unit -> [(circle, people)], most first
    unit_people: dict[int, int]  # unit -> distinct people in circles
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0
    hidden_circles: int = 0
    hidden_topics: int = 0
    hidden_units: int = 0


# --- analysis ---------------------------------------------------------------------------------


def circle_links(circles: Sequence[CircleIn]) -> list[CircleLink]:
    """Every pair of circles that shares a member or a topic, strongest first.

    Counted from each person's circles rather than by intersecting every pair of member sets:
    most people are in few circles, so this is linear in memberships, not quadratic in circles.
    """
    shared: Counter[tuple[int, int]] = Counter()
    circles_of: dict[int, list[int]] = defaultdict(list)
    for circle in circles:
        for person in circle.members:
            circles_of[person].append(circle.key)
    for keys in circles_of.values():
        if len(keys) > 1:
            shared.update(combinations(sorted(keys), 2))
    topic_pairs: dict[tuple[int, int], list[int]] = defaultdict(list)
    with_topic: dict[int, list[int]] = defaultdict(list)
    for circle in circles:
        for topic in circle.topics:
            with_topic[topic].append(circle.key)
    for topic, keys in with_topic.items():
        for pair in combinations(sorted(keys), 2):
            topic_pairs[pair].append(topic)
    links = [
        CircleLink(a, b, shared.get((a, b), 0), tuple(sorted(topic_pairs.get((a, b), ()))))
        for a, b in sorted(set(shared) | set(topic_pairs))
    ]
    links.sort(key=lambda link: (-link.shared_members, -len(link.shared_topics), link.a, link.b))
    return links


def isolated_circles(circles: Sequence[CircleIn], links: Sequence[CircleLink]) -> list[int]:
    linked = {k for link in links for k in (link.a, link.b)}
    return [c.key for c in circles if c.key not in linked]


def bridges(
    circles: Sequence[CircleIn], unit_of: Mapping[int, int]
) -> tuple[list[BridgeCircle], list[BridgePerson]]:
    """Circles that bring org units together (with the unit pairs that meet only there), and
    people who alone bring their unit into a circle where other units meet."""
    units_in: dict[int, dict[int, list[int]]] = {}
    pair_circles: dict[tuple[int, int], list[int]] = defaultdict(list)
    for circle in circles:
        by_unit: dict[int, list[int]] = defaultdict(list)
        for person in circle.members:
            unit = unit_of.get(person)
            if unit is not None:
                by_unit[unit].append(person)
        units_in[circle.key] = by_unit
        for pair in combinations(sorted(by_unit), 2):
            pair_circles[pair].append(circle.key)
    sole: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pair, keys in pair_circles.items():
        if len(keys) == 1:
            sole[keys[0]].append(pair)
    bridge_circles = [
        BridgeCircle(c.key, tuple(sorted(units_in[c.key])), tuple(sorted(sole.get(c.key, ()))))
        for c in circles
        if len(units_in[c.key]) >= 2
    ]
    bridge_circles.sort(key=lambda b: (-len(b.sole_pairs), -len(b.units), b.circle))
    carried: dict[int, list[int]] = defaultdict(list)
    for circle in circles:
        by_unit = units_in[circle.key]
        if len(by_unit) < 2:
            continue
        for people in by_unit.values():
            if len(people) == 1:
                carried[people[0]].append(circle.key)
    bridge_people = [
        BridgePerson(person, unit_of[person], tuple(sorted(keys)))
        for person, keys in carried.items()
    ]
    bridge_people.sort(key=lambda b: (-len(b.circles), b.person))
    return bridge_circles, bridge_people


def unit_circle_counts(
    circles: Sequence[CircleIn], unit_of: Mapping[int, int]
) -> dict[int, list[tuple[int, int]]]:
    """Per org unit, its people in each circle, most first (people aggregated per unit)."""
    counts: dict[int, Counter[int]] = defaultdict(Counter)
    for circle in circles:
        for person in circle.members:
            unit = unit_of.get(person)
            if unit is not None:
                counts[unit][circle.key] += 1
    return {
        unit: sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))
        for unit, c in sorted(counts.items())
    }


# --- drawing ----------------------------------------------------------------------------------


def _radius(size: int, top: int, *, smallest: float, largest: float) -> float:
    """Area proportional to size: radius grows with its square root."""
    if top <= 0:
        return smallest
    return smallest + (largest - smallest) * math.sqrt(max(size, 0) / top)


def force_layout(
    n: int,
    edges: Sequence[tuple[int, int, float]],
    *,
    iterations: int = 150,
) -> np.ndarray:
    """Fruchterman–Reingold positions in the unit square for ``n`` nodes.

    Deterministic: nodes start on a sunflower spiral in their given order (no random start),
    and the temperature falls linearly, so the same input always gives the same output.
    """
    if n == 0:
        return np.zeros((0, 2))
    golden = math.pi * (3 - math.sqrt(5))
    index = np.arange(n)
    r = np.sqrt((index + 0.5) / n)
    pos = np.stack([r * np.cos(index * golden), r * np.sin(index * golden)], axis=1) * 0.5
    if n == 1:
        return pos + 0.5
    k = math.sqrt(1.0 / n)
    src = np.array([a for a, _, _ in edges], dtype=int)
    dst = np.array([b for _, b, _ in edges], dtype=int)
    weight = np.array([w for _, _, w in edges], dtype=float)
    if len(weight):
        weight = weight / weight.max()
    temperature = 0.1
    for step in range(iterations):
        delta = pos[:, None, :] - pos[None, :, :]
        square = (delta**2).sum(axis=2) + 1e-9
        np.fill_diagonal(square, np.inf)
        # Repulsion k²/d along the unit vector delta/d: delta · k²/d².
        force = np.einsum("ijk,ij->ik", delta, k * k / square)
        if len(src):
            d = pos[src] - pos[dst]
            dist = np.sqrt((d**2).sum(axis=1)) + 1e-9
            pull = d / dist[:, None] * (dist * dist / k * (0.5 + weight))[:, None]
            np.add.at(force, src, -pull)
            np.add.at(force, dst, pull)
        # A weak pull to the centre keeps unlinked nodes from drifting to the edge.
        force -= (pos - pos.mean(axis=0)) * 0.05 * n * k
        length = np.sqrt((force**2).sum(axis=1)) + 1e-9
        step_len = temperature * (1 - step / iterations) + 1e-4
        pos += force / length[:, None] * np.minimum(length, step_len)[:, None]
    low, high = pos.min(axis=0), pos.max(axis=0)
    return (pos - low) / np.where(high - low > 0, high - low, 1.0)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, float]:
    return (min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1]))


def _spiral(step: float = 6.0, reach: float = 2000.0) -> np.ndarray:
    """Offsets around a point, nearest first: rings ``step`` apart, points ``step`` apart on
    each ring, each ring starting below (labels read better moved down than sideways)."""
    rings = [np.zeros((1, 2))]
    radius = step
    while radius <= reach:
        count = max(6, int(2 * math.pi * radius / step))
        angle = math.pi / 2 + 2 * math.pi * np.arange(count) / count
        rings.append(np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1))
        radius += step
    return np.concatenate(rings)


SPIRAL = _spiral()
SPIRAL_REACH = np.sqrt((SPIRAL**2).sum(axis=1))


def separate_labels(nodes: list[Node], *, gap: float = 3.0) -> list[Node]:
    """Place the nodes one by one, most important first (the given order), each at the free
    spot nearest to where the layout put it: no two boxes (node + label) overlap afterwards.

    Greedy and deterministic; each node tests a batch of candidate spots against every box
    already placed in one numpy comparison, so a hundred nodes take milliseconds.
    """
    placed = np.zeros((0, 4))
    out = []
    for node in nodes:
        left, top, right, bottom = node.box()
        rel = np.array([left - node.x - gap, top - node.y - gap, right - node.x, bottom - node.y])
        chosen = None
        start = 0
        for size in (32, 128, 512, 2048, 8192, len(SPIRAL)):
            end = min(size, len(SPIRAL))
            reach = SPIRAL_REACH[end - 1]
            # Only the boxes that a spot of this batch could touch.
            near = placed[
                (placed[:, 0] < node.x + rel[2] + reach)
                & (placed[:, 2] > node.x + rel[0] - reach)
                & (placed[:, 1] < node.y + rel[3] + reach)
                & (placed[:, 3] > node.y + rel[1] - reach)
            ]
            spots = np.array([node.x, node.y]) + SPIRAL[start:end]
            if not len(near):
                chosen = spots[0]
                break
            boxes = np.concatenate([spots + rel[:2], spots + rel[2:]], axis=1)
            clash = (
                (boxes[:, None, 0] < near[None, :, 2])
                & (boxes[:, None, 2] > near[None, :, 0])
                & (boxes[:, None, 1] < near[None, :, 3])
                & (boxes[:, None, 3] > near[None, :, 1])
            ).any(axis=1)
            free = np.nonzero(~clash)[0]
            if len(free):
                chosen = spots[free[0]]
                break
            start = end
            if end == len(SPIRAL):
                break
        if chosen is None:  # nowhere within reach: below everything placed
            chosen = np.array([node.x, placed[:, 3].max() - rel[1] + gap])
        x, y = float(chosen[0]), float(chosen[1])
        placed = np.vstack([placed, [x + rel[0], y + rel[1], x + rel[2], y + rel[3]]])
        out.append(Node(node.kind, node.key, node.label, node.size, x, y, node.radius))
    return out


def _choose_circle_edges(
    links: Sequence[CircleLink], shown: set[int], cap: int
) -> list[CircleLink]:
    """Each circle's strongest link first (its backbone), then the strongest others to ``cap``."""
    chosen: dict[tuple[int, int], CircleLink] = {}
    best: dict[int, CircleLink] = {}
    for link in links:  # strongest first
        if link.a not in shown or link.b not in shown:
            continue
        for end in (link.a, link.b):
            best.setdefault(end, link)
    for link in best.values():
        chosen[(link.a, link.b)] = link
    for link in links:
        if len(chosen) >= max(cap, len(best)):
            break
        if link.a in shown and link.b in shown:
            chosen.setdefault((link.a, link.b), link)
    return sorted(chosen.values(), key=lambda link: (-link.shared_members, link.a, link.b))


def knowledge_map(
    *,
    circles: Sequence[CircleIn],
    unit_of: Mapping[int, int],
    topic_labels: Mapping[int, str],
    unit_labels: Mapping[int, str],
    max_circles: int = 40,
    max_topics: int = 40,
    max_units: int = 30,
    max_circle_links: int | None = None,
    unit_links: int = 2,
    width: float = 960.0,
) -> KnowledgeMap:
    """Analyse and lay out the map (see the module docstring). ``circles`` in any order; the
    result is the same for the same data."""
    circles = sorted(circles, key=lambda c: c.key)
    links = circle_links(circles)
    bridge_circles, bridge_people = bridges(circles, unit_of)
    per_unit = unit_circle_counts(circles, unit_of)
    result = KnowledgeMap(
        links=links,
        isolated=isolated_circles(circles, links),
        bridge_circles=bridge_circles,
        bridge_people=bridge_people,
        unit_circles=per_unit,
        unit_people=dict(
            sorted(
                Counter(
                    unit_of[p] for p in {p for c in circles for p in c.members} if p in unit_of
                ).items()
            )
        ),
    )
    if not circles:
        return result

    # What is drawn: the largest circles, the topics most circles share, the units with most
    # people in circles — never one node per person.
    by_size = sorted(circles, key=lambda c: (-len(c.members), c.key))
    drawn = by_size[:max_circles]
    shown = {c.key for c in drawn}
    topic_use: Counter[int] = Counter(t for c in drawn for t in c.topics)
    topics = sorted(topic_use, key=lambda t: (-topic_use[t], topic_labels.get(t, ""), t))
    unit_people = result.unit_people
    units = sorted(unit_people, key=lambda u: (-unit_people[u], unit_labels.get(u, ""), u))
    result.hidden_circles = len(circles) - len(drawn)
    result.hidden_topics = max(len(topics) - max_topics, 0)
    result.hidden_units = max(len(units) - max_units, 0)
    topics, units = topics[:max_topics], units[:max_units]

    top_members = max(len(c.members) for c in drawn) or 1
    top_people = max(unit_people.values(), default=1)
    nodes = [
        Node(
            "circle",
            c.key,
            c.label,
            len(c.members),
            radius=_radius(len(c.members), top_members, smallest=6, largest=22),
        )
        for c in sorted(drawn, key=lambda c: c.key)
    ]
    nodes += [
        Node("topic", t, topic_labels.get(t, str(t)), topic_use[t], radius=5)
        for t in sorted(topics)
    ]
    nodes += [
        Node(
            "unit",
            u,
            unit_labels.get(u, str(u)),
            unit_people[u],
            radius=_radius(unit_people[u], top_people, smallest=5, largest=12),
        )
        for u in sorted(units)
    ]
    index = {n.id: i for i, n in enumerate(nodes)}

    edges: list[Edge] = []
    # Two lines per circle on average: more and the circles in the middle become a hairball.
    cap = max_circle_links if max_circle_links is not None else 2 * len(drawn)
    for link in _choose_circle_edges(links, shown, cap):
        edges.append(
            Edge(
                "circle",
                f"circle-{link.a}",
                f"circle-{link.b}",
                link.shared_members,
                f"{link.shared_members} shared members, {len(link.shared_topics)} shared topics",
            )
        )
    topic_set = set(topics)
    for c in sorted(drawn, key=lambda c: c.key):
        for t in sorted(c.topics & topic_set):
            edges.append(Edge("topic", f"circle-{c.key}", f"topic-{t}", 1))
    for u in sorted(units):
        for circle, people in [row for row in per_unit[u] if row[0] in shown][:unit_links]:
            edges.append(Edge("unit", f"unit-{u}", f"circle-{circle}", people, f"{people} people"))

    top_weight = max((e.weight for e in edges if e.kind == "circle"), default=1) or 1
    positions = force_layout(
        len(nodes),
        [
            (
                index[e.a],
                index[e.b],
                1.0 + (2.0 * e.weight / top_weight if e.kind == "circle" else 0.0),
            )
            for e in edges
        ],
    )
    # Enough room that a label box per node fits: the area grows with the number of nodes.
    area = sum((b[2] - b[0]) * (b[3] - b[1]) for b in (n.box() for n in nodes))
    height = max(420.0, width * 0.6, 3.0 * area / width)
    margin = 40.0
    placed = [
        Node(
            n.kind,
            n.key,
            n.label,
            n.size,
            margin + float(p[0]) * (width - 2 * margin),
            margin + float(p[1]) * (height - 2 * margin),
            n.radius,
        )
        for n, p in zip(nodes, positions, strict=True)
    ]
    # Most important first: they keep their place, smaller nodes move around them.
    rank = {"circle": 0, "unit": 1, "topic": 2}
    order = sorted(range(len(placed)), key=lambda i: (rank[placed[i].kind], -placed[i].size, i))
    moved = separate_labels([placed[i] for i in order])
    by_id = {n.id: n for n in moved}
    placed = [by_id[n.id] for n in placed]
    # The picture's frame is where the boxes ended up, so nothing is cut off.
    boxes = [n.box() for n in placed]
    left = min(b[0] for b in boxes) - 8
    top = min(b[1] for b in boxes) - 8
    result.nodes = [
        Node(n.kind, n.key, n.label, n.size, n.x - left, n.y - top, n.radius) for n in placed
    ]
    result.width = max(b[2] for b in boxes) - left + 8
    result.height = max(b[3] for b in boxes) - top + 8
    result.edges = edges
    return result


def overlapping_labels(nodes: Sequence[Node], *, tolerance: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of nodes whose boxes overlap by more than ``tolerance`` on both axes (a check for
    tests and benchmarks)."""
    out = []
    for a, b in combinations(nodes, 2):
        ox, oy = _overlap(a.box(), b.box())
        if ox > tolerance and oy > tolerance:
            out.append((a.id, b.id))
    return out
