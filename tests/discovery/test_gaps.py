"""Knowledge gaps from plain facts: which topics lack an expert, a session, a second expert, or
an expert working when a region does."""

from __future__ import annotations

from datetime import date

from knowflow.discovery.gaps import (
    Demand,
    Expert,
    GapKind,
    TopicFacts,
    find_gaps,
    region_hours,
    topic_phrases,
    topics_named_in,
)


def _weekdays(first_hour_utc: int, last_hour_utc: int) -> frozenset[int]:
    """Monday to Friday, the hours [first, last) in UTC."""
    return frozenset(
        day * 24 + hour for day in range(5) for hour in range(first_hour_utc, last_hour_utc)
    )


LONDON = _weekdays(9, 17)
SYDNEY = _weekdays(22, 24) | _weekdays(0, 6)  # 09:00–17:00 in Sydney, in UTC
NEW_YORK = _weekdays(14, 22)


def _expert(person_id: int, hours: frozenset[int] = LONDON) -> Expert:
    return Expert(person_id, f"Expert {person_id}", date(2026, 3, 2), hours)


def test_gaps_topic_with_demand_and_nobody_who_taught_it_is_a_no_expert_gap() -> None:
    facts = TopicFacts(1, "Terraform", Demand(requests=1, votes=4, unmet_searches=2))

    gaps = find_gaps([facts])

    assert [(g.kind, g.topic, g.demand.signals) for g in gaps] == [
        (GapKind.NO_EXPERT, "Terraform", 7)
    ]


def test_gaps_topic_without_demand_or_experts_is_no_gap() -> None:
    assert find_gaps([TopicFacts(1, "Terraform")]) == []


def test_gaps_demand_with_experts_but_no_session_is_a_no_session_gap() -> None:
    experts = (_expert(1), _expert(2))
    facts = TopicFacts(1, "SQL", Demand(waitlisted=3), experts=experts, sessions_in_period=0)

    assert [g.kind for g in find_gaps([facts])] == [GapKind.NO_SESSION]
    # A session held or coming in the period closes it.
    held = TopicFacts(1, "SQL", Demand(waitlisted=3), experts=experts, sessions_in_period=1)
    assert find_gaps([held]) == []


def test_gaps_a_single_expert_is_a_bus_factor_even_without_demand() -> None:
    facts = TopicFacts(1, "COBOL", experts=(_expert(7),), sessions_in_period=1)

    (gap,) = find_gaps([facts])

    assert gap.kind is GapKind.BUS_FACTOR_ONE
    assert gap.sole_expert == _expert(7)
    assert gap.sole_expert.last_session == date(2026, 3, 2)


def test_gaps_region_whose_hours_no_expert_shares_is_uncovered() -> None:
    facts = TopicFacts(
        1,
        "Kubernetes",
        Demand(votes=3),
        experts=(_expert(1, LONDON), _expert(2, LONDON)),
        sessions_in_period=2,
        interested_hours={"APAC": [SYDNEY, SYDNEY], "EMEA": [LONDON]},
    )

    gaps = find_gaps([facts])

    assert [(g.kind, g.region, g.region_people) for g in gaps] == [
        (GapKind.UNCOVERED_REGION, "APAC", 2)
    ]


def test_gaps_one_shared_hour_covers_a_region() -> None:
    # New York 09–17 is 14–22 UTC; London 09–17 is 09–17 UTC: they share 14–17 UTC.
    facts = TopicFacts(
        1,
        "Kubernetes",
        experts=(_expert(1, LONDON), _expert(2, LONDON)),
        sessions_in_period=1,
        interested_hours={"AMER": [NEW_YORK]},
    )
    assert find_gaps([facts]) == []


def test_gaps_one_night_owl_does_not_make_a_region_covered() -> None:
    # Of three interested people in APAC, one works London hours: the region's hours are the
    # hours of at least half of them, which no London expert shares.
    people = [SYDNEY, SYDNEY, LONDON]
    assert region_hours(people) == SYDNEY
    facts = TopicFacts(
        1,
        "Kubernetes",
        experts=(_expert(1), _expert(2)),
        sessions_in_period=1,
        interested_hours={"APAC": people},
    )
    assert [g.kind for g in find_gaps([facts])] == [GapKind.UNCOVERED_REGION]


def test_gaps_are_ordered_by_kind_then_demand_then_name() -> None:
    topics = [
        TopicFacts(1, "b topic", Demand(votes=1)),
        TopicFacts(2, "a topic", Demand(votes=1)),
        TopicFacts(3, "c topic", Demand(votes=9)),
        TopicFacts(4, "solo", experts=(_expert(1),), sessions_in_period=1),
    ]

    assert [(g.kind, g.topic) for g in find_gaps(topics)] == [
        (GapKind.NO_EXPERT, "c topic"),
        (GapKind.NO_EXPERT, "a topic"),
        (GapKind.NO_EXPERT, "b topic"),
        (GapKind.BUS_FACTOR_ONE, "solo"),
    ]


def test_gaps_topics_named_in_a_search_match_whole_phrases_and_synonyms() -> None:
    phrases = topic_phrases(
        {1: ["Command-Line", "CLI"], 2: ["Kubernetes", "k8s"], 3: ["Go"], 4: ["Data Pipelines"]}
    )

    assert topics_named_in("intro to the command line", phrases) == {1}
    assert topics_named_in("k8s for beginners", phrases) == {2}
    assert topics_named_in("building a data pipeline", phrases) == {4}
    # A topic's name inside another word is not a mention.
    assert topics_named_in("google sheets", phrases) == set()
