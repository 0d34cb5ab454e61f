"""Asking, voting, withdrawing, merging and proposing: what changes, and what a refusal says."""

from __future__ import annotations

import pytest
from django.conf import settings

from knowflow.demand import services
from knowflow.demand.models import TopicRequest, Vote
from knowflow.errors import DomainError, Forbidden
from knowflow.events.models import Session
from knowflow.mail.models import OutboxMessage
from tests.factories import make_person, make_topic, make_topic_request

pytestmark = pytest.mark.django_db


def voters_of(request: TopicRequest) -> list[str]:
    return sorted(
        Vote.objects.filter(request=request).values_list("person__display_name", flat=True)
    )


def test_ask_creates_an_open_request_with_topics_format_and_level() -> None:
    asker = make_person(name="Ada")
    terraform = make_topic("Terraform")

    request = services.request_create(
        actor=asker,
        title="  I need an intro to Terraform for data engineers ",
        topics=[terraform],
        format="workshop",
        level="introductory",
    )

    request.refresh_from_db()
    assert (request.title, request.status, request.format, request.level) == (
        "I need an intro to Terraform for data engineers",
        "open",
        "workshop",
        "introductory",
    )
    assert list(request.topics.all()) == [terraform]
    assert request.requester == asker


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"title": "   "}, "Say what you need in a sentence."),
        ({"title": "x" * 201}, "The title is longer than 200 characters."),
        (
            {"title": "Terraform", "format": "seminar"},
            "'seminar' is not a valid format; use one of: talk, workshop, lightning, demo, "
            "panel, ama, course_module or empty for any.",
        ),
    ],
)
def test_ask_refuses_bad_input_and_writes_nothing(kwargs: dict, message: str) -> None:
    with pytest.raises(DomainError) as refused:
        services.request_create(actor=make_person(), **kwargs)

    assert refused.value.message == message
    assert TopicRequest.objects.count() == 0


def test_vote_with_reason_then_withdraw() -> None:
    request = make_topic_request()
    voter = make_person(name="Bo")

    services.request_vote(request=request, actor=voter, reason="Our team moves to IaC")
    assert list(Vote.objects.values_list("person__display_name", "reason")) == [
        ("Bo", "Our team moves to IaC")
    ]

    services.request_unvote(request=request, actor=voter)
    assert Vote.objects.count() == 0


def test_a_second_vote_is_refused_and_the_first_kept() -> None:
    request = make_topic_request()
    voter = make_person()
    services.request_vote(request=request, actor=voter, reason="first")

    with pytest.raises(services.AlreadyVoted) as refused:
        services.request_vote(request=request, actor=voter, reason="second")

    assert refused.value.message == "You have voted for this request already."
    assert list(Vote.objects.values_list("reason", flat=True)) == ["first"]


def test_the_requester_cannot_vote_for_their_own_request() -> None:
    asker = make_person()
    request = make_topic_request(requester=asker)

    with pytest.raises(Forbidden) as refused:
        services.request_vote(request=request, actor=asker)

    assert refused.value.message == "You asked for this topic: your voice counts already."
    assert Vote.objects.count() == 0


def test_withdrawing_a_vote_never_cast_says_so() -> None:
    with pytest.raises(DomainError) as refused:
        services.request_unvote(request=make_topic_request(), actor=make_person())

    assert refused.value.message == "You have not voted for this request."


def test_merge_moves_votes_without_counting_anyone_twice() -> None:
    ann, ben, cat = make_person(name="Ann"), make_person(name="Ben"), make_person(name="Cat")
    dup_asker, keep_asker = make_person(name="Dup asker"), make_person(name="Keep asker")
    topic = make_topic("Terraform")
    keep = make_topic_request(requester=keep_asker, voters=[ann])
    duplicate = make_topic_request(
        requester=dup_asker, topics=[topic], voters=[ann, ben, keep_asker]
    )

    result = services.request_merge(request=duplicate, into=keep, actor=dup_asker)

    duplicate.refresh_from_db()
    assert result == keep
    assert (duplicate.status, duplicate.merged_into) == ("merged", keep)
    # Ann voted for both: one vote; Ben's moved; the keeper's own requester does not vote;
    # the duplicate's requester becomes a voter.
    assert voters_of(keep) == ["Ann", "Ben", "Dup asker"]
    assert voters_of(duplicate) == []
    assert list(keep.topics.all()) == [topic]
    assert cat.topic_request_votes.count() == 0


def test_merge_by_someone_else_is_refused_and_changes_nothing() -> None:
    keep = make_topic_request()
    duplicate = make_topic_request(voters=[make_person()])

    with pytest.raises(Forbidden) as refused:
        services.request_merge(request=duplicate, into=keep, actor=make_person())

    assert refused.value.message == "Only the requester and enablers can merge this request."
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into, duplicate.votes.count()) == ("open", None, 1)
    assert keep.votes.count() == 0


def test_an_enabler_merges_any_request_but_not_into_itself() -> None:
    enabler = make_person(role="enabler")
    request = make_topic_request()

    with pytest.raises(DomainError) as refused:
        services.request_merge(request=request, into=request, actor=enabler)

    assert refused.value.message == "A request cannot be merged into itself."
    request.refresh_from_db()
    assert request.status == "open"


def test_a_merged_request_takes_no_votes() -> None:
    keep, duplicate = make_topic_request(), make_topic_request()
    services.request_merge(request=duplicate, into=keep, actor=make_person(role="enabler"))

    with pytest.raises(services.RequestClosed) as refused:
        services.request_vote(request=duplicate, actor=make_person())

    assert refused.value.message == (
        "This request was merged into another one: voting there instead."
    )


def test_propose_turns_the_request_into_a_proposed_session() -> None:
    expert = make_person(name="Erin Expert")
    topics = [make_topic("Terraform"), make_topic("Data engineering")]
    request = make_topic_request(
        title="Intro to Terraform for data engineers",
        topics=topics,
        format="workshop",
        level="",
        description="We keep clicking in the console.",
    )

    session = services.request_propose(request=request, actor=expert)

    request.refresh_from_db()
    assert (session.title, session.status, session.format, session.level) == (
        "Intro to Terraform for data engineers",
        Session.Status.PROPOSED,
        "workshop",
        "introductory",
    )
    assert session.abstract == (
        "We keep clicking in the console.\n\n"
        "Asked for in the topic request [“Intro to Terraform for data engineers”]"
        f"({settings.KNOWFLOW_BASE_URL}/requests/{request.pk}/)."
    )
    assert sorted(t.name for t in session.topics.all()) == ["Data engineering", "Terraform"]
    assert list(session.speakers.all()) == [expert]
    assert (request.status, request.session, request.answered_by) == ("answered", session, expert)
    assert request.answered_at is not None


def test_an_answered_request_cannot_be_proposed_twice() -> None:
    request = make_topic_request()
    services.request_propose(request=request, actor=make_person())

    with pytest.raises(services.RequestClosed) as refused:
        services.request_propose(request=request, actor=make_person())

    assert refused.value.message == "This request was answered with a session: proposing is closed."
    assert Session.objects.count() == 1


def test_asking_writes_no_email_when_nobody_knows_the_topic() -> None:
    services.request_create(actor=make_person(), title="Quantum basket weaving")

    assert OutboxMessage.objects.count() == 0
