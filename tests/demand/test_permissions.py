"""Who may do what with topic requests, by role, at the service: every refusal says why and
changes nothing."""

from __future__ import annotations

import pytest

from knowflow.accounts.models import Person
from knowflow.demand import selectors, services
from knowflow.demand.models import TopicRequest, Vote
from knowflow.errors import Forbidden
from tests.factories import make_person, make_topic_request

pytestmark = pytest.mark.django_db

ROLES = ["member", "enabler", "admin", "leader", "requester"]


def actor_for(role: str, request: TopicRequest) -> Person:
    return request.requester if role == "requester" else make_person(role=role)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("member", False), ("leader", False), ("enabler", True), ("admin", True), ("requester", True)],
)
def test_merge_by_role(role: str, allowed: bool) -> None:
    keep, duplicate = make_topic_request(), make_topic_request(voters=[make_person()])
    actor = actor_for(role, duplicate)

    if allowed:
        services.request_merge(request=duplicate, into=keep, actor=actor)
        duplicate.refresh_from_db()
        assert (duplicate.status, keep.votes.count()) == ("merged", 2)
    else:
        with pytest.raises(Forbidden) as refused:
            services.request_merge(request=duplicate, into=keep, actor=actor)
        assert refused.value.message == "Only the requester and enablers can merge this request."
        duplicate.refresh_from_db()
        assert (duplicate.status, duplicate.votes.count(), keep.votes.count()) == ("open", 1, 0)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("member", False),
        ("leader", False),
        ("enabler", True),
        ("admin", True),
        ("requester", False),
    ],
)
def test_demand_list_by_role(role: str, allowed: bool) -> None:
    actor = actor_for(role, make_topic_request())

    if allowed:
        assert selectors.demand_overview(viewer=actor).requests
    else:
        with pytest.raises(Forbidden) as refused:
            selectors.demand_overview(viewer=actor)
        assert refused.value.message == "The demand list is for enablers."


@pytest.mark.parametrize("role", ROLES)
def test_everyone_but_the_requester_votes_and_everyone_proposes(role: str) -> None:
    request = make_topic_request()
    actor = actor_for(role, request)

    if role == "requester":
        with pytest.raises(Forbidden):
            services.request_vote(request=request, actor=actor)
        assert Vote.objects.count() == 0
    else:
        services.request_vote(request=request, actor=actor)
        assert Vote.objects.filter(request=request, person=actor).count() == 1
    session = services.request_propose(request=request, actor=actor)
    assert list(session.speakers.all()) == [actor]
