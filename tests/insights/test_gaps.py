"""The knowledge gaps page: each kind of gap found from real sessions, registrations and
searches, with the action that closes it; members refused."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.events.models import Registration
from knowflow.insights.selectors.gaps import knowledge_gaps
from knowflow.insights.selectors.periods import preset_period
from knowflow.library.models import SearchQueryLog
from tests.conftest import signed_in
from tests.factories import make_occurrence, make_person, make_session, make_topic

pytestmark = pytest.mark.django_db


def _held(session, days_ago: int) -> None:  # noqa: ANN001
    make_occurrence(session=session, start=timezone.now() - timedelta(days=days_ago))


def _waitlist(session, people: list[Person]) -> None:  # noqa: ANN001
    occurrence = make_occurrence(session=session, start=timezone.now() + timedelta(days=5))
    for person in people:
        Registration.objects.create(
            occurrence=occurrence,
            person=person,
            status=Registration.Status.WAITLISTED,
            requested_at=timezone.now(),
        )


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_gaps_sole_expert_is_named_with_their_last_session() -> None:
    cobol = make_topic("COBOL")
    ada = make_person(name="Ada Lovelace", tz="Europe/London")
    session = make_session(speakers=[ada], title="COBOL for today")
    session.topics.add(cobol)
    _held(session, days_ago=40)

    report = knowledge_gaps(period=preset_period("last-90-days"))

    (gap,) = report.of_kind("bus_factor_one")
    assert (gap.topic, gap.sole_expert.name) == ("COBOL", "Ada Lovelace")
    assert gap.sole_expert.last_session == (timezone.now() - timedelta(days=40)).date()
    assert report.last_sessions[cobol.pk] == session.slug


def test_gaps_waitlist_in_a_region_no_expert_works_with_is_uncovered() -> None:
    k8s = make_topic("Kubernetes")
    experts = [make_person(tz="Europe/Berlin"), make_person(tz="Europe/Paris")]
    held = make_session(speakers=experts)
    held.topics.add(k8s)
    _held(held, days_ago=10)
    coming = make_session(speakers=experts[:1])
    coming.topics.add(k8s)
    _waitlist(coming, [make_person(tz="Australia/Sydney") for _ in range(2)])

    report = knowledge_gaps(period=preset_period("last-90-days"))

    assert [(g.topic, g.region, g.region_people) for g in report.of_kind("uncovered_region")] == [
        ("Kubernetes", "APAC", 2)
    ]
    # Berlin and Paris cover people in Europe: a European waiting is no gap.
    assert report.of_kind("no_expert") == report.of_kind("no_session") == []


def test_gaps_searches_that_found_nothing_count_for_the_topic_they_name() -> None:
    make_topic("Terraform")
    for _ in range(3):
        SearchQueryLog.objects.create(
            query="terraform basics", normalized="terraform basics", result_count=0
        )
    for _ in range(2):
        SearchQueryLog.objects.create(query="Quantum", normalized="quantum", result_count=0)
    SearchQueryLog.objects.create(query="typo", normalized="tpyo", result_count=0)

    report = knowledge_gaps(period=preset_period("last-30-days"))

    (gap,) = report.of_kind("no_expert")
    assert (gap.topic, gap.demand.unmet_searches) == ("Terraform", 3)
    # A search that names no topic is listed on its own once it was run twice.
    assert [(s.query, s.searches) for s in report.unmet_searches] == [("quantum", 2)]


def test_gaps_page_shows_each_gap_with_the_action_that_closes_it() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    cobol = make_topic("COBOL")
    grace = make_person(name="Grace Hopper")
    session = make_session(speakers=[grace])
    session.topics.add(cobol)
    _held(session, days_ago=3)
    make_topic("Terraform")
    for _ in range(2):
        SearchQueryLog.objects.create(query="terraform", normalized="terraform", result_count=0)

    response = signed_in(enabler).get("/insights/gaps/")

    html = response.content.decode()
    text = _text(html)
    assert response.status_code == 200
    assert "Wanted, and nobody has taught it 1" in text
    assert (
        "Terraform 2 searches found nothing Nobody Propose a session on it Ask for it Start a circle See the topic"
        in text
    )
    assert "Only one person has taught it 1" in text
    assert "COBOL None yet Grace Hopper (last session" in text
    assert f'href="/sessions/{session.slug}/find-a-time/">Run it again</a>' in html
    assert f'href="/accounts/people/{grace.slug}/">Ask Grace Hopper to pass it on</a>' in html


def test_gaps_page_refuses_members_and_its_queries_do_not_grow_with_topics() -> None:
    member = make_person()
    response = signed_in(member).get("/insights/gaps/")
    assert response.status_code == 403
    assert "Insights are for enablers and leaders." in response.content.decode()

    enabler = make_person(role=Person.Role.ENABLER)
    client = signed_in(enabler)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/insights/gaps/").status_code == 200
        return len(captured)

    def add_topic() -> None:
        topic = make_topic()
        session = make_session(speakers=[make_person()])
        session.topics.add(topic)
        _held(session, days_ago=5)

    add_topic()
    first = queries()
    for _ in range(4):
        add_topic()
    assert queries() == first


def test_gaps_open_requests_and_their_voters_count_and_place_their_regions() -> None:
    from knowflow.demand.services import request_create, request_vote

    terraform, sql = make_topic("Terraform"), make_topic("SQL")
    asker = make_person(tz="Asia/Tokyo")
    wanted = request_create(
        actor=asker, title="Intro to Terraform", description="", topics=[terraform]
    )
    for tz in ("Asia/Tokyo", "Asia/Singapore"):
        request_vote(request=wanted, actor=make_person(tz=tz), reason="")
    # SQL has two experts in Europe who last taught it long ago and nothing coming.
    experts = [make_person(tz="Europe/Berlin"), make_person(tz="Europe/Madrid")]
    old = make_session(speakers=experts)
    old.topics.add(sql)
    _held(old, days_ago=200)
    request_create(
        actor=make_person(tz="Europe/Rome"), title="SQL again", description="", topics=[sql]
    )

    report = knowledge_gaps(period=preset_period("last-90-days"))

    (no_expert,) = report.of_kind("no_expert")
    assert (no_expert.topic, no_expert.demand.requests, no_expert.demand.votes) == (
        "Terraform",
        1,
        2,
    )
    (no_session,) = report.of_kind("no_session")
    assert (no_session.topic, no_session.demand.requests) == ("SQL", 1)
    # The Roman requester works when the Berlin and Madrid experts do: no region gap for SQL.
    assert report.of_kind("uncovered_region") == []
