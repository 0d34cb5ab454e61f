"""The topic request pages as people see them: asking (similar requests first), voting,
merging, proposing, the search page's prompt and the enablers' demand list."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from knowflow.demand.models import TopicRequest, Vote
from knowflow.events.models import Session
from knowflow.library.models import SearchQueryLog
from knowflow.search import engine
from knowflow.search.index import reindex_all
from tests.conftest import signed_in
from tests.factories import (
    make_circle,
    make_occurrence,
    make_person,
    make_session,
    make_topic,
    make_topic_request,
)

pytestmark = pytest.mark.django_db


def messages_of(html: str) -> list[str]:
    return re.findall(r'<li class="(?:success|info|error|warning)">([^<]+)</li>', html)


def section(html: str, heading: str) -> list[str]:
    """The texts of the links in the list that follows an <h2> heading."""
    match = re.search(rf"<h2[^>]*>{heading}[^<]*</h2>.*?<ul class=\"rows\">(.*?)</ul>", html, re.S)
    assert match, heading
    return re.findall(r"<a href=\"[^\"]+\">(?:<strong>)?([^<]+)", match.group(1))


def test_the_navigation_links_to_the_requests() -> None:
    html = signed_in(make_person()).get("/").content.decode()

    assert '<a href="/requests/">Requests</a>' in html


def test_asking_creates_the_request_and_shows_it() -> None:
    terraform = make_topic("Terraform")
    client = signed_in(make_person(name="Ada"))

    response = client.post(
        "/requests/ask/",
        {"title": "Intro to Terraform", "topics": "Terraform", "format": "workshop", "level": ""},
        follow=True,
    )

    request = TopicRequest.objects.get()
    assert response.redirect_chain == [(f"/requests/{request.pk}/", 302)]
    html = response.content.decode()
    assert messages_of(html) == [
        "Your request is open: others can vote for it, and experts see it."
    ]
    assert "<h1>Intro to Terraform</h1>" in html
    assert list(request.topics.all()) == [terraform]


def test_asking_shows_similar_open_requests_first_then_asks_anyway() -> None:
    existing = make_topic_request(title="Intro to Terraform for data engineers")
    make_topic_request(title="Advanced SQL window functions")
    client = signed_in(make_person())
    answers = {"title": "An intro to Terraform for data engineers", "format": "", "level": ""}

    first = client.post("/requests/ask/", answers)

    html = first.content.decode()
    assert TopicRequest.objects.count() == 2
    assert section(html, "Others asked for something similar") == [existing.title]
    assert "<button>Ask anyway</button>" in html

    second = client.post("/requests/ask/", answers | {"confirmed": "on"})
    assert second.status_code == 302
    assert TopicRequest.objects.count() == 3


def test_an_empty_title_is_an_error_next_to_the_field_and_nothing_is_saved() -> None:
    response = signed_in(make_person()).post("/requests/ask/", {"title": " ", "format": ""})

    html = response.content.decode()
    assert '<div class="error-summary"' in html
    assert "This field is required." in html
    assert TopicRequest.objects.count() == 0


def test_request_page_shows_votes_reasons_experts_and_circles() -> None:
    terraform = make_topic("Terraform")
    speaker = make_person(name="Sam Speaker")
    session = make_session(speakers=[speaker], status=Session.Status.SCHEDULED)
    session.topics.set([terraform])
    make_occurrence(session=session, start=timezone.now() - timedelta(days=30))
    make_person(name="Kim Skilled", skills=[terraform])
    circle = make_circle(name="Infra guild", champions=[make_person(name="Cleo")])
    circle.topics.set([terraform])
    request = make_topic_request(title="Terraform please", topics=[terraform])
    Vote.objects.create(request=request, person=make_person(name="Bo"), reason="We need IaC")

    html = signed_in(make_person()).get(f"/requests/{request.pk}/").content.decode()

    assert section(html, "Votes") == ["Bo"]
    assert ": We need IaC" in html
    # A circle's champion is evidence too (the expertise ranking's), after teaching.
    assert section(html, "Who could teach it") == ["Sam Speaker", "Cleo", "Kim Skilled"]
    assert section(html, "Circles on these topics") == ["Infra guild"]
    assert "champions: Cleo" in html


def test_voting_and_withdrawing_from_the_page() -> None:
    request = make_topic_request()
    voter = make_person(name="Vi")
    client = signed_in(voter)

    response = client.post(
        f"/requests/{request.pk}/vote/", {"reason": "for onboarding"}, follow=True
    )
    assert messages_of(response.content.decode()) == ["Your vote is counted."]
    assert list(request.votes.values_list("person__display_name", "reason")) == [
        ("Vi", "for onboarding")
    ]

    again = client.post(f"/requests/{request.pk}/vote/", {"reason": "x"}, follow=True)
    assert messages_of(again.content.decode()) == ["You have voted for this request already."]

    response = client.post(f"/requests/{request.pk}/unvote/", follow=True)
    assert messages_of(response.content.decode()) == ["Your vote is withdrawn."]
    assert request.votes.count() == 0


def test_merging_redirects_the_duplicate_to_the_request_it_joined() -> None:
    asker = make_person()
    keep = make_topic_request(title="Keep me")
    duplicate = make_topic_request(requester=asker, voters=[make_person()])
    client = signed_in(asker)

    response = client.post(f"/requests/{duplicate.pk}/merge/", {"into": keep.pk}, follow=True)

    assert response.redirect_chain == [(f"/requests/{keep.pk}/", 302)]
    assert keep.votes.count() == 2
    followed = client.get(f"/requests/{duplicate.pk}/")
    assert followed.status_code == 302
    assert followed["Location"] == f"/requests/{keep.pk}/"


def test_merging_by_a_stranger_is_refused_with_a_page_and_changes_nothing() -> None:
    keep, duplicate = make_topic_request(), make_topic_request(voters=[make_person()])

    response = signed_in(make_person()).post(f"/requests/{duplicate.pk}/merge/", {"into": keep.pk})

    assert response.status_code == 403
    assert "Only the requester and enablers can merge this request." in response.content.decode()
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.votes.count(), keep.votes.count()) == ("open", 1, 0)


def test_merging_into_a_missing_request_says_so() -> None:
    asker = make_person()
    duplicate = make_topic_request(requester=asker)

    response = signed_in(asker).post(
        f"/requests/{duplicate.pk}/merge/", {"into": 9999}, follow=True
    )

    assert messages_of(response.content.decode()) == ["There is no request number 9999."]
    duplicate.refresh_from_db()
    assert duplicate.status == "open"


def test_propose_in_one_click_then_find_a_time_starts_with_the_people_who_asked() -> None:
    asker, voter = make_person(name="Ada Asker"), make_person(name="Vic Voter")
    request = make_topic_request(requester=asker, voters=[voter], title="Terraform intro")
    expert = make_person(name="Erin Expert")
    client = signed_in(expert)

    response = client.post(f"/requests/{request.pk}/propose/")

    session = Session.objects.get()
    assert response["Location"] == f"/sessions/{session.slug}/"
    planner = client.get(f"/sessions/{session.slug}/find-a-time/").content.decode()
    field = re.search(r'<input[^>]*name="people"[^>]*>', planner)
    assert field
    assert 'value="Ada Asker, Vic Voter"' in field.group(0)


def test_search_with_no_results_offers_a_topic_request_with_the_query() -> None:
    html = signed_in(make_person()).get("/search/?q=terraform+modules").content.decode()

    assert '<a href="/requests/ask/?title=terraform%20modules">Suggest a topic request</a>' in html
    form = signed_in(make_person()).get("/requests/ask/?title=terraform%20modules").content.decode()
    assert 'value="terraform modules"' in form


def test_search_matching_only_generic_words_offers_a_request_and_a_specific_one_does_not() -> None:
    speaker = make_person()
    for n in range(40):
        make_session(title=f"Data pipelines in practice {n}", speakers=[speaker])
    make_session(title="Kafka streams", speakers=[speaker])
    reindex_all()
    engine.invalidate()
    client = signed_in(make_person())

    weak = client.get("/search/?q=terraform+for+data").content.decode()
    strong = client.get("/search/?q=kafka+data").content.decode()

    assert "These results only match common words." in weak
    assert 'id="suggest-request"' not in strong


def test_the_demand_list_is_for_enablers_only() -> None:
    response = signed_in(make_person()).get("/requests/demand/")

    assert response.status_code == 403
    assert "The demand list is for enablers." in response.content.decode()


def test_the_demand_list_groups_zero_result_searches_by_normalised_query() -> None:
    for text in ("Terraform", "terraform ", "TERRAFORM"):
        SearchQueryLog.objects.create(query=text, normalized=text.strip().lower(), result_count=0)
    SearchQueryLog.objects.create(query="helm", normalized="helm", result_count=0)
    make_topic_request(title="Popular", voters=[make_person(), make_person()])
    make_topic_request(title="Quiet")

    html = signed_in(make_person(role="enabler")).get("/requests/demand/").content.decode()

    rows = re.findall(
        r'<td data-label="Search">([^<]+)</td><td data-label="Times" class="number">(\d+)</td>',
        html,
    )
    assert rows == [("terraform", "3"), ("helm", "1")]
    requests = re.findall(r'<td data-label="Request"><a href="[^"]+">([^<]+)</a></td>', html)
    assert requests == ["Popular", "Quiet"]


def test_list_and_request_pages_cost_the_same_queries_however_many_requests_and_votes(
    django_assert_num_queries: object,
) -> None:
    topic = make_topic()
    client = signed_in(make_person())
    first = make_topic_request(topics=[topic])

    def add(n: int) -> None:
        for _ in range(n):
            make_topic_request(topics=[topic, make_topic()], voters=[make_person()])
            Vote.objects.create(request=first, person=make_person(), reason="yes")

    add(2)
    with CaptureQueriesContext(connection) as small_list:
        client.get("/requests/")
    with CaptureQueriesContext(connection) as small_page:
        client.get(f"/requests/{first.pk}/")
    add(20)

    with django_assert_num_queries(len(small_list)):
        client.get("/requests/")
    with django_assert_num_queries(len(small_page)):
        response = client.get(f"/requests/{first.pk}/")
    assert len(section(response.content.decode(), "Votes")) == 22
