"""Topic requests in the API: list by votes, ask, vote, withdraw, and JSON errors that change
nothing."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from knowflow.accounts.models import Person
from knowflow.accounts.services import api_token_create
from knowflow.demand.models import TopicRequest, Vote
from tests.factories import make_person, make_topic, make_topic_request

pytestmark = pytest.mark.django_db


def api_client(person: Person) -> Client:
    _, secret = api_token_create(person=person, name="tests")
    return Client(headers={"Authorization": f"Bearer {secret}"})


def post(client: Client, url: str, payload: object) -> object:
    return client.post(url, json.dumps(payload), content_type="application/json")


def test_list_is_open_requests_most_voted_first() -> None:
    quiet = make_topic_request(title="Quiet")
    popular = make_topic_request(title="Popular", voters=[make_person(), make_person()])
    make_topic_request(title="Done", status="answered")

    response = api_client(make_person()).get("/api/v1/requests/")

    assert response.status_code == 200
    assert [(r["id"], r["title"], r["votes"]) for r in response.json()] == [
        (popular.pk, "Popular", 2),
        (quiet.pk, "Quiet", 0),
    ]


def test_ask_vote_and_withdraw_through_the_api() -> None:
    topic = make_topic("Terraform")
    asker, voter = make_person(), make_person(name="Vic")

    created = post(
        api_client(asker),
        "/api/v1/requests/",
        {"title": "Terraform intro", "topic_ids": [topic.pk], "format": "workshop"},
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["title"], body["topics"], body["format"], body["status"], body["votes"]) == (
        "Terraform intro",
        ["Terraform"],
        "workshop",
        "open",
        0,
    )

    client = api_client(voter)
    voted = post(client, f"/api/v1/requests/{body['id']}/vote", {"reason": "needed"})
    assert voted.status_code == 201
    assert (voted.json()["person"], voted.json()["reason"]) == ("Vic", "needed")
    again = post(client, f"/api/v1/requests/{body['id']}/vote", {})
    assert (again.status_code, again.json()["detail"]) == (
        409,
        "You have voted for this request already.",
    )
    assert client.delete(f"/api/v1/requests/{body['id']}/vote").status_code == 204
    assert Vote.objects.count() == 0


def test_bad_input_is_a_4xx_naming_the_problem_and_creates_nothing() -> None:
    client = api_client(make_person())

    unknown_topic = post(client, "/api/v1/requests/", {"title": "X", "topic_ids": [99999]})
    blank = post(client, "/api/v1/requests/", {"title": "   "})
    bad_format = post(client, "/api/v1/requests/", {"title": "X", "format": "seminar"})

    assert (unknown_topic.status_code, unknown_topic.json()["detail"]) == (
        404,
        "Unknown topic id(s): 99999.",
    )
    assert (blank.status_code, blank.json()["detail"]) == (400, "Say what you need in a sentence.")
    assert bad_format.status_code == 422
    assert TopicRequest.objects.count() == 0


def test_a_missing_request_is_a_404() -> None:
    response = api_client(make_person()).get("/api/v1/requests/4242")

    assert (response.status_code, response.json()["detail"]) == (
        404,
        "There is no such topic request.",
    )
