"""The pure expertise ranking: weights, decay, reception, saturation, explanations."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from knowflow.discovery.expertise import (
    CONFIRMATION,
    DECLARED,
    RESOURCE,
    SESSION,
    Evidence,
    coverage,
    decay,
    rank_people,
    sentence,
    term_weights,
)

TODAY = date(2026, 12, 4)


def test_two_sessions_outrank_many_self_declared_skills_and_confirmations():
    teacher = [
        Evidence(person_id=1, kind=SESSION, item="s1", when=date(2026, 3, 10), about="SQL"),
        Evidence(person_id=1, kind=SESSION, item="s2", when=date(2025, 6, 1), about="SQL"),
    ]
    declarers = [
        Evidence(person_id=p, kind=DECLARED, item="sql", about="SQL") for p in range(10, 22)
    ]
    popular = [Evidence(person_id=2, kind=DECLARED, item="sql", about="SQL")] + [
        Evidence(person_id=2, kind=CONFIRMATION, item=str(c), when=TODAY, about="SQL")
        for c in range(100, 102)
    ]

    ranked = rank_people([*declarers, *popular, *teacher], today=TODAY)

    assert [p.person_id for p in ranked[:2]] == [1, 2]
    assert ranked[0].claims == ["taught 2 sessions on SQL, last in March 2026"]


def test_decay_halves_towards_its_floor_every_half_life():
    assert decay(TODAY, today=TODAY) == 1.0
    assert decay(None, today=TODAY) == 1.0
    assert decay(TODAY - timedelta(days=3 * 365), today=TODAY) == pytest.approx(0.75)
    assert decay(TODAY - timedelta(days=6 * 365), today=TODAY) == pytest.approx(0.625)
    assert decay(TODAY + timedelta(days=3), today=TODAY) == 1.0


def test_older_evidence_counts_less_than_the_same_evidence_today():
    old = Evidence(person_id=1, kind=SESSION, item="a", when=date(2016, 1, 1))
    new = Evidence(person_id=2, kind=SESSION, item="b", when=date(2026, 1, 1))

    ranked = rank_people([old, new], today=TODAY)

    assert [p.person_id for p in ranked] == [2, 1]
    assert ranked[1].score < ranked[0].score


def test_the_same_item_reached_twice_counts_once_at_its_best_relevance():
    items = [
        Evidence(person_id=1, kind=RESOURCE, item="r1", relevance=0.2, when=TODAY),
        Evidence(person_id=1, kind=RESOURCE, item="r1", relevance=1.0, when=TODAY),
    ]

    [ranked] = rank_people(items, today=TODAY)

    assert (ranked.score, ranked.claims) == (1.5, ["wrote 1 resource, last in December 2026"])


def test_reception_scales_a_session_and_is_told_with_its_respondents():
    liked = Evidence(person_id=1, kind=SESSION, item="a", when=TODAY, about="Go",
                     superior_share=0.6, unacceptable_share=0.0, responses=10)  # fmt: skip
    disliked = Evidence(person_id=2, kind=SESSION, item="b", when=TODAY, about="Go",
                        superior_share=0.0, unacceptable_share=0.8, responses=5)  # fmt: skip

    ranked = rank_people([disliked, liked], today=TODAY)

    assert [(p.person_id, p.score) for p in ranked] == [(1, 3.9), (2, 1.8)]
    assert ranked[0].claims == [
        "taught 1 session on Go, last in December 2026 (60% of 10 respondents rated it superior)"
    ]


def test_confirmations_saturate_and_every_claim_is_explained():
    items = [
        Evidence(person_id=1, kind=CONFIRMATION, item=str(c), when=TODAY, about="Kubernetes")
        for c in range(8)
    ] + [Evidence(person_id=1, kind=SESSION, item="s", when=date(2026, 3, 2), about="Kubernetes")]

    [ranked] = rank_people(items, today=TODAY)

    assert ranked.score == pytest.approx(3.0 * decay(date(2026, 3, 2), today=TODAY) + 5.0)
    assert sentence(ranked.claims) == (
        "Taught 1 session on Kubernetes, last in March 2026; 8 colleagues confirmed Kubernetes"
    )


def test_rare_words_weigh_more_in_a_question():
    weights = term_weights(
        ["python", "scrape"], frequency={"python": 900, "scrape": 3}, documents=1000
    )

    assert weights["scrape"] > 5 * weights["python"]
    assert coverage(["scrape"], weights) > 0.8
    assert coverage(["python", "scrape"], weights) == 1.0
    assert coverage([], weights) == 0.0
