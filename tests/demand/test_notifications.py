"""Who is told, through the outbox, and only once: candidate experts and champions when a
request is created; requester and voters when its session is scheduled and recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from knowflow.circles.models import Membership
from knowflow.demand import services
from knowflow.demand.notifications import request_reached_enqueue
from knowflow.events.models import Session
from knowflow.events.services import occurrence_create
from knowflow.library.models import Resource
from knowflow.library.services import resource_create
from knowflow.mail.models import OutboxMessage
from tests.factories import (
    make_circle,
    make_occurrence,
    make_person,
    make_session,
    make_topic,
    make_topic_request,
)

pytestmark = pytest.mark.django_db


def told(kind: str) -> list[str]:
    return sorted(OutboxMessage.objects.filter(kind=kind).values_list("recipient", flat=True))


def test_creation_tells_candidate_experts_and_champions_once_each() -> None:
    terraform = make_topic("Terraform")
    speaker = make_person(name="Sam Speaker")
    session = make_session(speakers=[speaker], status=Session.Status.DONE)
    session.topics.set([terraform])
    make_occurrence(session=session, start=timezone.now() - timedelta(days=20))
    skilled = make_person(name="Kim Skilled", skills=[terraform])
    champion = make_person(name="Cleo Champion")
    circle = make_circle(name="Infra guild", champions=[champion, speaker])
    circle.topics.set([terraform])
    asker = make_person(name="Ada Asker", skills=[terraform])
    bystander = make_person()

    request = services.request_create(actor=asker, title="Terraform intro", topics=[terraform])

    assert told("demand.reached") == sorted([speaker.email, skilled.email, champion.email])
    mail = OutboxMessage.objects.get(recipient=speaker.email)
    assert mail.subject == "Someone asked for a topic you know: Terraform intro"
    # Why each is told: the expertise ranking's own explanation, one line per person.
    assert "Why you: Taught 1 session on Terraform, last in " in mail.body
    assert "Why you: Says they know Terraform." in (
        OutboxMessage.objects.get(recipient=skilled.email).body
    )
    assert f"/requests/{request.pk}/" in mail.body
    assert (
        OutboxMessage.objects.get(recipient=champion.email).body.count(
            "Why you: Champions 1 circle on Terraform."
        )
        == 1
    )
    assert not OutboxMessage.objects.filter(recipient__in=[asker.email, bystander.email]).exists()

    # Reaching them again (a retried job) tells nobody twice.
    assert request_reached_enqueue(request=request) == 0
    assert OutboxMessage.objects.filter(kind="demand.reached").count() == 3


def test_scheduling_the_proposed_session_tells_requester_and_voters_once() -> None:
    asker, voter, expert = make_person(), make_person(), make_person()
    quiet = make_person()  # voted elsewhere
    request = make_topic_request(requester=asker, voters=[voter])
    make_topic_request(voters=[quiet])
    session = services.request_propose(request=request, actor=expert)
    start = timezone.now() + timedelta(days=10)

    occurrence_create(
        session=session,
        actor=expert,
        start=start,
        end=start + timedelta(hours=1),
        online_url="https://meet.example.org/tf",
        capacity=30,
    )
    occurrence_create(
        session=session,
        actor=expert,
        start=start + timedelta(days=7),
        end=start + timedelta(days=7, hours=1),
        online_url="https://meet.example.org/tf",
        capacity=30,
    )

    assert told("demand.scheduled") == sorted([asker.email, voter.email])
    mail = OutboxMessage.objects.get(kind="demand.scheduled", recipient=voter.email)
    assert mail.subject == f"Scheduled: {request.title}"
    assert f"/sessions/{session.slug}/" in mail.body


def test_a_session_no_request_led_to_tells_nobody() -> None:
    expert = make_person()
    session = make_session(speakers=[expert])
    make_topic_request(voters=[make_person()])
    start = timezone.now() + timedelta(days=3)

    occurrence_create(
        session=session,
        actor=expert,
        start=start,
        end=start + timedelta(hours=1),
        online_url="https://meet.example.org/x",
        capacity=10,
    )

    assert OutboxMessage.objects.filter(kind__startswith="demand.").count() == 0


def test_the_recording_being_published_tells_requester_and_voters() -> None:
    asker, voter = make_person(), make_person()
    request = make_topic_request(requester=asker, voters=[voter])
    session = services.request_propose(request=request, actor=make_person())
    make_occurrence(session=session, start=timezone.now() - timedelta(days=2))

    resource = resource_create(
        actor=make_person(role="enabler"),
        kind=Resource.Kind.RECORDING,
        title="Terraform intro (recording)",
        url="https://video.example.org/tf",
        session=session,
    )

    assert told("demand.recording") == sorted([asker.email, voter.email])
    mail = OutboxMessage.objects.get(kind="demand.recording", recipient=asker.email)
    assert mail.subject == "Recording available: Terraform intro (recording)"
    assert f"/library/{resource.slug}/" in mail.body


def test_champion_membership_of_a_plain_member_is_not_told() -> None:
    topic = make_topic()
    member = make_person()
    circle = make_circle()
    circle.topics.set([topic])
    Membership.objects.create(circle=circle, person=member)

    services.request_create(actor=make_person(), title="Something", topics=[topic])

    assert told("demand.reached") == []
