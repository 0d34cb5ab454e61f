"""Feedback API: templates, requests, answering through the personal link, aggregated results."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from knowflow.accounts.models import Person
from knowflow.accounts.services import api_token_create
from knowflow.feedback.models import Response, SurveyTemplate
from knowflow.feedback.services.responses import survey_response_submit
from tests.factories import make_person
from tests.feedback.helpers import GOOD, attend, ended_occurrence, open_requests, people

pytestmark = pytest.mark.django_db


def api(person: Person) -> Client:
    _, secret = api_token_create(person=person, name="test")
    return Client(headers={"authorization": f"Bearer {secret}"})


def post(client: Client, url: str, data: object) -> object:
    return client.post(url, json.dumps(data), content_type="application/json")


def test_answer_through_the_link_without_authentication() -> None:
    occurrence = ended_occurrence()
    attend(occurrence, people(1))
    ((_, token),) = open_requests(occurrence).values()
    anonymous = Client()
    survey = anonymous.get(f"/api/v1/feedback/links/{token}").json()
    assert survey["template"]["name"] == "After the session"
    assert [q["key"] for q in survey["template"]["questions"]][:2] == ["apply_now", "relevance"]

    bad = post(
        anonymous,
        f"/api/v1/feedback/links/{token}/response",
        {"answers": {**GOOD, "reputation_nps": 12}},
    )
    assert (bad.status_code, bad.json()["field"]) == (400, "reputation_nps")
    assert Response.objects.count() == 0

    ok = post(anonymous, f"/api/v1/feedback/links/{token}/response", {"answers": GOOD})
    assert (ok.status_code, ok.json()) == (201, {"detail": "Thank you: your answers were saved."})
    again = post(anonymous, f"/api/v1/feedback/links/{token}/response", {"answers": GOOD})
    assert again.status_code == 404
    assert again.json()["detail"].startswith("This survey link is not valid")
    assert Response.objects.count() == 1


def test_requests_by_hand_refuse_people_who_did_not_attend() -> None:
    enabler = api(make_person(role=Person.Role.ENABLER))
    occurrence = ended_occurrence()
    stranger = make_person()
    response = post(
        enabler,
        "/api/v1/feedback/requests",
        {"occurrence_id": occurrence.pk, "person_id": stranger.pk, "kind": "after_session"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"{stranger.display_name} did not attend this date, so there is no feedback to give on it.",
        "field": "person",
    }


def test_templates_list_and_revise_into_a_new_version() -> None:
    person = make_person(role=Person.Role.ENABLER)
    client = api(person)
    names = [t["name"] for t in client.get("/api/v1/feedback/templates").json()]
    assert "After the session" in names and "Trainer retrospective" in names
    created = post(
        client,
        "/api/v1/feedback/templates",
        {
            "name": "Quick pulse",
            "kind": "after_session",
            "questions": [
                {
                    "key": "useful",
                    "text": "Useful?",
                    "type": "single",
                    "kirkpatrick": 1,
                    "ltem": "3A",
                    "options": [
                        {"value": "no", "label": "No", "standard": "unacceptable"},
                        {"value": "yes", "label": "Yes", "standard": "acceptable"},
                    ],
                }
            ],
        },
    )
    assert created.status_code == 201
    template_id = created.json()["id"]
    revised = client.patch(
        f"/api/v1/feedback/templates/{template_id}",
        json.dumps({"name": "Quick pulse 2"}),
        content_type="application/json",
    )
    assert (revised.status_code, revised.json()["version"], revised.json()["name"]) == (
        201,
        2,
        "Quick pulse 2",
    )
    assert SurveyTemplate.objects.get(pk=template_id).name == "Quick pulse"
    bad = post(
        client,
        "/api/v1/feedback/templates",
        {
            "name": "x",
            "kind": "after_session",
            "questions": [
                {"key": "n", "text": "NPS", "type": "scale", "kirkpatrick": 1, "ltem": "3B"}
            ],
        },
    )
    assert (bad.status_code, bad.json()["detail"]) == (
        400,
        "Question 'n': say which of 0–10 are unacceptable, acceptable and superior.",
    )
    member = api(make_person())
    assert (
        post(
            member,
            "/api/v1/feedback/templates",
            {"name": "x", "kind": "after_session", "questions": []},
        ).status_code
        == 403
    )


def test_results_api_is_aggregated_and_hides_small_groups() -> None:
    speaker = make_person()
    occurrence = ended_occurrence(speakers=[speaker])
    attend(occurrence, people(4))

    for request, _ in open_requests(occurrence).values():
        survey_response_submit(request=request, answers=GOOD)
    body = api(speaker).get(f"/api/v1/feedback/sessions/{occurrence.session.pk}/results").json()
    after = next(s for s in body["surveys"] if s["kind"] == "after_session")
    assert after == {
        "kind": "after_session",
        "anonymous": True,
        "asked": 4,
        "answered": None,  # below k, not even the count
        "responses": None,
        "visible": False,
        "note": "too few responses",
        "applied_share": None,
        "questions": [],
    }
    assert body["min_group"] == 5


def test_programme_api_sums_the_sessions_the_page_shows_and_refuses_bad_input() -> None:

    enabler = make_person(role=Person.Role.ENABLER)
    big, small = ended_occurrence(), ended_occurrence()
    attend(big, people(6))
    attend(small, people(2))
    for occurrence in (big, small):
        for request, _ in open_requests(occurrence).values():
            survey_response_submit(request=request, answers=GOOD)
    client = api(enabler)
    body = client.get("/api/v1/feedback/programme").json()
    assert (body["groups"], body["left_out"], body["min_group"]) == (1, 1, 5)
    assert [(row["key"], row["responses"], row["sessions"]) for row in body["rows"]] == [
        (str(big.session.pk), 6, 1)
    ]
    assert body["total"]["responses"] == 6
    by_mode = client.get("/api/v1/feedback/programme?group_by=mode").json()
    assert [(row["key"], row["responses"]) for row in by_mode["rows"]] == [("room", 6)]

    for query, field in (
        ("group_by=person", "group_by"),
        ("kind=nps", "kind"),
        ("since=yesterday", "since"),
    ):
        refused = client.get(f"/api/v1/feedback/programme?{query}")
        assert refused.status_code in (400, 422), query
        assert field in refused.content.decode(), query
    both = client.get("/api/v1/feedback/programme?mode=room&office_id=1")
    assert both.status_code == 400
    assert "one way at a time" in both.json()["detail"]
    assert api(make_person()).get("/api/v1/feedback/programme").status_code == 403
