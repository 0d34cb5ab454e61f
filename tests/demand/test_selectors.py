"""Candidate experts and circles, similar open requests, and the evidence of requests answered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from knowflow.demand import services
from knowflow.demand.selectors import (
    request_candidate_circles,
    request_candidate_experts,
    requests_answered_by,
    similar_open_requests,
)
from knowflow.events.models import Session
from tests.factories import (
    make_circle,
    make_occurrence,
    make_person,
    make_session,
    make_topic,
    make_topic_request,
)

pytestmark = pytest.mark.django_db


def gave(
    person: object, topic: object, *, days_ago: int, status: str = Session.Status.DONE
) -> None:
    session = make_session(speakers=[person], status=status)
    session.topics.set([topic])
    make_occurrence(session=session, start=timezone.now() - timedelta(days=days_ago))


def test_candidate_experts_most_sessions_then_most_recent_then_skills() -> None:
    sql = make_topic("SQL")
    two_old, one_recent, one_older = (
        make_person(name="Two sessions"),
        make_person(name="One recent"),
        make_person(name="One older"),
    )
    gave(two_old, sql, days_ago=300)
    gave(two_old, sql, days_ago=200)
    gave(one_recent, sql, days_ago=10)
    gave(one_older, sql, days_ago=100)
    # A proposal without a date is no session given.
    make_session(speakers=[make_person(name="Only proposed")]).topics.set([sql])
    make_person(name="Zed Skilled", skills=[sql])
    make_person(name="Abe Skilled", skills=[sql])
    request = make_topic_request(topics=[sql])

    experts = request_candidate_experts(request=request, limit=10)

    # The expertise ranking: teaching outranks saying one knows it; more sessions, then more
    # recent ones, first; a proposal never given is no evidence.
    assert [e.person.display_name for e in experts] == [
        "Two sessions",
        "One recent",
        "One older",
        "Abe Skilled",
        "Zed Skilled",
    ]
    assert experts[0].why.startswith("Taught 2 sessions on SQL, last in ")
    assert experts[3].why == "Says they know SQL"
    assert [e.person.display_name for e in request_candidate_experts(request=request, limit=2)] == [
        "Two sessions",
        "One recent",
    ]


def test_the_requester_is_never_their_own_candidate_expert() -> None:
    topic = make_topic()
    asker = make_person(skills=[topic])
    gave(asker, topic, days_ago=3)

    assert (
        request_candidate_experts(request=make_topic_request(requester=asker, topics=[topic])) == []
    )


def test_candidate_circles_share_the_most_topics_first() -> None:
    a, b = make_topic("A"), make_topic("B")
    one = make_circle(name="One topic")
    one.topics.set([a])
    both = make_circle(name="Both topics", champions=[make_person(name="Cleo")])
    both.topics.set([a, b])
    make_circle(name="Unrelated").topics.set([make_topic()])

    found = request_candidate_circles(request=make_topic_request(topics=[a, b]))

    assert [(c.circle.name, [p.display_name for p in c.champions]) for c in found] == [
        ("Both topics", ["Cleo"]),
        ("One topic", []),
    ]


def test_similar_open_requests_finds_a_rewording_and_ignores_closed_ones() -> None:
    reworded = make_topic_request(title="Intro to Terraform for data engineers")
    make_topic_request(title="Terraform for data engineers, an intro", status="answered")
    make_topic_request(title="Negotiating a salary raise")

    found = similar_open_requests(title="An introduction to Terraform for data engineers")

    assert [s.request for s in found] == [reworded]


def test_requests_answered_by_lists_each_persons_answers_with_topics_and_dates() -> None:
    expert, other = make_person(), make_person()
    tf, aws = make_topic("Terraform"), make_topic("AWS")
    first = make_topic_request(title="Terraform basics", topics=[tf, aws], voters=[make_person()])
    second = make_topic_request(title="Terraform modules", topics=[tf])
    make_topic_request(title="Still open", topics=[tf])
    services.request_propose(request=first, actor=expert)
    services.request_propose(request=second, actor=expert)

    answered = requests_answered_by(person_ids=[expert.pk, other.pk])

    assert list(answered) == [expert.pk]
    assert [(a.title, a.topics, a.votes) for a in answered[expert.pk]] == [
        ("Terraform modules", ("Terraform",), 0),
        ("Terraform basics", ("AWS", "Terraform"), 1),
    ]
    assert all(a.answered_at is not None and a.session_id for a in answered[expert.pk])


def test_answering_a_request_is_evidence_in_find_an_expert() -> None:
    from knowflow.expertise.selectors import experts_find

    terraform = make_topic("Terraform")
    answerer = make_person(name="Ana Answerer")
    request = make_topic_request(topics=[terraform])

    services.request_propose(request=request, actor=answerer)

    (expert,) = experts_find(topic=terraform).experts
    assert expert.person == answerer
    assert expert.explanation.startswith("Answered 1 request on Terraform")
