"""The knowledge map's analysis and layout (pure, no Django), on graphs made by hand."""

from __future__ import annotations

import random

import numpy as np

from knowflow.discovery.knowledge_map import (
    BridgeCircle,
    BridgePerson,
    CircleIn,
    CircleLink,
    Node,
    force_layout,
    knowledge_map,
    overlapping_labels,
    separate_labels,
)

# Org units: 101 (people 1, 2, 6, 7), 102 (person 3), 103 (people 4, 5), 104 (people 8, 9).
UNIT_OF = {1: 101, 2: 101, 3: 102, 4: 103, 5: 103, 6: 101, 7: 101, 8: 104, 9: 104}
UNITS = {101: "Platform", 102: "Data", 103: "Design", 104: "Sales"}
TOPICS = {10: "Python", 11: "SQL", 12: "Rust", 13: "Negotiation"}
HAND_MADE = [
    CircleIn(1, "Python guild", frozenset({1, 2, 3}), frozenset({10})),
    CircleIn(2, "Data circle", frozenset({3, 4}), frozenset({10, 11})),
    CircleIn(3, "Design circle", frozenset({4, 5}), frozenset()),
    CircleIn(4, "Rustaceans", frozenset({6}), frozenset({12})),
    CircleIn(5, "Sales craft", frozenset({7, 8}), frozenset({13})),
    CircleIn(6, "Deal desk", frozenset({8, 9}), frozenset()),
]


def hand_made_map(**options: int):  # noqa: ANN201 - a KnowledgeMap
    return knowledge_map(
        circles=HAND_MADE, unit_of=UNIT_OF, topic_labels=TOPICS, unit_labels=UNITS, **options
    )


def big_map(seed: int = 1, circles: int = 40, people: int = 1000, **options: int):  # noqa: ANN201
    rng = random.Random(seed)
    everyone = list(range(people))
    made = [
        CircleIn(
            c,
            f"Community of practice {c}",
            frozenset(rng.sample(everyone, rng.randint(5, 150))),
            frozenset(rng.sample(range(60), 3)),
        )
        for c in range(circles)
    ]
    return made, knowledge_map(
        circles=made,
        unit_of={p: p % 20 for p in everyone},
        topic_labels={t: f"Topic number {t}" for t in range(60)},
        unit_labels={u: f"Team {u}" for u in range(20)},
        **options,
    )


def test_links_count_shared_members_and_topics_strongest_first() -> None:
    assert hand_made_map().links == [
        CircleLink(1, 2, 1, (10,)),
        CircleLink(2, 3, 1, ()),
        CircleLink(5, 6, 1, ()),
    ]


def test_a_circle_sharing_no_member_and_no_topic_is_isolated() -> None:
    assert hand_made_map().isolated == [4]


def test_a_topic_alone_links_two_circles() -> None:
    circles = [
        CircleIn(1, "A", frozenset({1}), frozenset({7})),
        CircleIn(2, "B", frozenset({2}), frozenset({7})),
    ]
    made = knowledge_map(circles=circles, unit_of={}, topic_labels={7: "Go"}, unit_labels={})
    assert made.links == [CircleLink(1, 2, 0, (7,))]
    assert made.isolated == []


def test_bridge_circles_are_those_where_units_meet_with_the_pairs_that_meet_only_there() -> None:
    assert hand_made_map().bridge_circles == [
        BridgeCircle(1, (101, 102), ((101, 102),)),
        BridgeCircle(2, (102, 103), ((102, 103),)),
        BridgeCircle(5, (101, 104), ((101, 104),)),
    ]


def test_a_pair_of_units_meeting_in_two_circles_has_no_only_meeting_place() -> None:
    circles = [
        CircleIn(1, "A", frozenset({1, 3}), frozenset()),
        CircleIn(2, "B", frozenset({2, 3}), frozenset()),
    ]
    made = knowledge_map(circles=circles, unit_of=UNIT_OF, topic_labels={}, unit_labels=UNITS)
    assert made.bridge_circles == [BridgeCircle(1, (101, 102), ()), BridgeCircle(2, (101, 102), ())]


def test_bridge_people_alone_carry_their_unit_into_a_circle_where_units_meet() -> None:
    # Person 3 is Data's only member in the Python guild and in the Data circle; 4 is Design's
    # only member of the Data circle; 7 and 8 carry Platform and Sales into Sales craft. The
    # Rustaceans (one unit) and Deal desk (one unit) bridge nothing.
    assert hand_made_map().bridge_people == [
        BridgePerson(3, 102, (1, 2)),
        BridgePerson(4, 103, (2,)),
        BridgePerson(7, 101, (5,)),
        BridgePerson(8, 104, (5,)),
    ]


def test_people_are_aggregated_per_org_unit_never_drawn_one_by_one() -> None:
    made = hand_made_map()
    assert made.unit_circles == {
        101: [(1, 2), (4, 1), (5, 1)],
        102: [(1, 1), (2, 1)],
        103: [(3, 2), (2, 1)],
        104: [(6, 2), (5, 1)],
    }
    assert made.unit_people == {101: 4, 102: 1, 103: 2, 104: 2}  # distinct people
    assert sorted((n.kind, n.label, n.size) for n in made.nodes) == [
        ("circle", "Data circle", 2),
        ("circle", "Deal desk", 2),
        ("circle", "Design circle", 2),
        ("circle", "Python guild", 3),
        ("circle", "Rustaceans", 1),
        ("circle", "Sales craft", 2),
        ("topic", "Negotiation", 1),
        ("topic", "Python", 2),
        ("topic", "Rust", 1),
        ("topic", "SQL", 1),
        ("unit", "Data", 1),
        ("unit", "Design", 2),
        ("unit", "Platform", 4),
        ("unit", "Sales", 2),
    ]


def test_drawn_edges_join_circles_their_topics_and_each_units_strongest_circles() -> None:
    made = hand_made_map(unit_links=1)
    assert sorted((e.kind, e.a, e.b, e.weight) for e in made.edges) == [
        ("circle", "circle-1", "circle-2", 1),
        ("circle", "circle-2", "circle-3", 1),
        ("circle", "circle-5", "circle-6", 1),
        ("topic", "circle-1", "topic-10", 1),
        ("topic", "circle-2", "topic-10", 1),
        ("topic", "circle-2", "topic-11", 1),
        ("topic", "circle-4", "topic-12", 1),
        ("topic", "circle-5", "topic-13", 1),
        ("unit", "unit-101", "circle-1", 2),
        ("unit", "unit-102", "circle-1", 1),
        ("unit", "unit-103", "circle-3", 2),
        ("unit", "unit-104", "circle-6", 2),
    ]


def test_the_same_data_in_another_order_gives_the_same_picture() -> None:
    made, first = big_map()
    shuffled = list(made)
    random.Random(7).shuffle(shuffled)
    again = knowledge_map(
        circles=shuffled,
        unit_of={p: p % 20 for p in range(1000)},
        topic_labels={t: f"Topic number {t}" for t in range(60)},
        unit_labels={u: f"Team {u}" for u in range(20)},
    )
    assert again.nodes == first.nodes
    assert again.edges == first.edges
    assert (again.width, again.height) == (first.width, first.height)


def test_no_two_labels_overlap_at_a_thousand_people() -> None:
    _, made = big_map()
    assert len(made.nodes) == 40 + 40 + 20
    assert overlapping_labels(made.nodes, tolerance=0.5) == []
    # Everything lies inside the picture's frame.
    for node in made.nodes:
        left, top, right, bottom = node.box()
        assert left >= 0 and top >= 0 and right <= made.width and bottom <= made.height


def test_circle_links_are_limited_to_each_circles_strongest_and_then_the_strongest() -> None:
    made_circles, made = big_map(max_circle_links=40)
    drawn = [e for e in made.edges if e.kind == "circle"]
    assert len(made.links) == 704  # of 780 pairs: a hairball if all were drawn
    assert len(drawn) == 40
    strongest = {}
    for link in made.links:
        for end in (link.a, link.b):
            strongest.setdefault(end, (link.a, link.b))
    pairs = {(int(e.a[7:]), int(e.b[7:])) for e in drawn}
    assert set(strongest.values()) <= pairs
    assert {e.weight for e in drawn} <= {link.shared_members for link in made.links}
    per_unit = [e.a for e in made.edges if e.kind == "unit"]
    assert max(per_unit.count(u) for u in set(per_unit)) == 2


def test_beyond_the_caps_the_smallest_are_counted_not_drawn() -> None:
    made_circles, made = big_map(max_circles=10, max_topics=5, max_units=8)
    largest = sorted(made_circles, key=lambda c: (-len(c.members), c.key))[:10]
    assert {n.key for n in made.nodes if n.kind == "circle"} == {c.key for c in largest}
    assert sum(n.kind == "topic" for n in made.nodes) == 5
    assert sum(n.kind == "unit" for n in made.nodes) == 8
    assert (made.hidden_circles, made.hidden_units) == (30, 12)
    assert made.hidden_topics > 0


def test_force_layout_is_deterministic_and_fills_the_unit_square() -> None:
    edges = [(0, 1, 1.0), (1, 2, 1.0), (3, 4, 2.0)]
    first = force_layout(5, edges)
    assert np.array_equal(first, force_layout(5, edges))
    assert first.min() == 0.0 and first.max() == 1.0
    # Linked nodes end closer than unlinked ones.
    assert np.linalg.norm(first[3] - first[4]) < np.linalg.norm(first[0] - first[4])


def test_separating_labels_moves_apart_nodes_placed_on_top_of_each_other() -> None:
    stacked = [Node("circle", k, f"Circle {k}", 1, 100.0, 100.0, 6.0) for k in range(5)]
    assert len(overlapping_labels(stacked)) == 10
    moved = separate_labels(stacked)
    assert overlapping_labels(moved) == []
    assert (moved[0].x, moved[0].y) == (100.0, 100.0)  # the first keeps its place


def test_no_circles_no_picture() -> None:
    made = knowledge_map(circles=[], unit_of={}, topic_labels={}, unit_labels={})
    assert (made.nodes, made.edges, made.links, made.isolated) == ([], [], [], [])
