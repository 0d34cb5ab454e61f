"""The demo's topic requests: written with their votes, nobody emailed, and skipped when the
topics they name are missing."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from knowflow.demand.demo import REQUESTS, demand_demo_load
from knowflow.demand.models import TopicRequest
from knowflow.mail.models import OutboxMessage
from tests.factories import make_person, make_topic

pytestmark = pytest.mark.django_db


def test_demo_requests_have_their_votes_and_email_nobody() -> None:
    for name in {n for request in REQUESTS for n in request[2]} - {"UX writing"}:
        make_topic(name)
    people = [make_person().pk for _ in range(12)]

    written = demand_demo_load(rng=random.Random(1), now=timezone.now(), people_ids=people)

    assert written == len(REQUESTS) - 1  # the one on "UX writing" has no topic to name
    terraform = TopicRequest.objects.get(title="I need an intro to Terraform for data engineers")
    assert terraform.votes.count() == 9
    assert terraform.requester_id not in set(terraform.votes.values_list("person_id", flat=True))
    assert sorted(t.name for t in terraform.topics.all()) == ["Data engineering", "Terraform"]
    assert OutboxMessage.objects.count() == 0
