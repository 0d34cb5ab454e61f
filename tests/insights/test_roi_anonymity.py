"""The ROI study cannot be turned into a reading of one person's follow-up answer.

The attack found in issue 10: follow-up claims valued at each respondent's org-unit cost,
costs set by enablers; every unit at 0 and one at 1 made a round's figure one person's
hours × confidence. Run here through the API exactly as an enabler would."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.accounts.services import api_token_create
from knowflow.feedback.models import Kind
from knowflow.feedback.services.responses import survey_response_submit
from tests.factories import make_person, org_unit
from tests.feedback.helpers import attend, ended_occurrence, open_requests, people

pytestmark = pytest.mark.django_db


def api(person: Person) -> Client:
    _, secret = api_token_create(person=person, name="test")
    return Client(headers={"authorization": f"Bearer {secret}"})


def benefit_lines(study: dict) -> list[tuple[str, str, str]]:
    return [
        (line["item"], line["quantity"], line["value"])
        for line in study["inputs"]
        if line["section"] == "benefit"
    ]


def test_setting_unit_costs_to_zero_but_one_learns_nothing_about_that_unit() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    client = api(enabler)
    units = [org_unit(f"Unit {n}") for n in range(5)]
    occurrence = ended_occurrence(days_ago=2)
    # One respondent per unit (three of them are the only attendee from their unit).
    attendees = [p for unit in units for p in people(1, org_unit=unit)]
    attend(occurrence, attendees)
    answers = [("1", "10", "25"), ("2", "25", "50"), ("4", "50", "75"), ("8", "75", "100")]
    answers.append(("16", "90", "0"))
    requests = open_requests(occurrence, kind=Kind.FOLLOW_UP_30)
    for person, (hours, confidence, share) in zip(attendees, answers, strict=True):
        request, _token = requests[person.pk]
        survey_response_submit(
            request=request,
            answers={
                "applied": "regularly",
                "how_often": "weekly",
                "result": "clear",
                "hours_saved": hours,
                "hours_confidence": confidence,
                "hours_attribution": share,
            },
        )
    today = timezone.now().date()
    created = client.post(
        "/api/v1/insights/roi",
        {
            "title": "Attack",
            "period_start": (today - timedelta(days=30)).isoformat(),
            "period_end": today.isoformat(),
            "isolation_method": "participant_estimate",
            "isolation_note": "Participants estimated the share.",
            "default_hourly_cost": "100",
        },
        content_type="application/json",
    ).json()
    # Hand-computed at the study's 100/h: hours × 12 × 100 × share × confidence
    # 1×12×100×.25×.10 = 30; 2×…×.5×.25 = 300; 4×…×.75×.5 = 1,800; 8×…×1×.75 = 7,200; 16×…×0 = 0
    expected = [
        (
            f"hours saved: {occurrence.session.title}",
            "5 of 5 answers: each one's hours saved a month × 12 × 100.00/h (the study's hourly "
            "cost) × its share attributed to the session × its confidence",
            "9330.00",
        )
    ]
    assert benefit_lines(created) == expected

    seen = []
    for target in units:
        for unit in units:
            response = client.post(
                "/api/v1/insights/hourly-costs",
                {"org_unit_id": unit.pk, "amount": "1" if unit == target else "0"},
                content_type="application/json",
            )
            assert response.json()["amount"] == ("1.00" if unit == target else "0.00")
        study = client.get(f"/api/v1/insights/roi/{created['id']}").json()
        seen.append((benefit_lines(study), study["benefits"]))

    # Whatever the costs, the follow-up figure is the round's, never one unit's.
    assert seen == [(expected, "9330.00")] * 5
