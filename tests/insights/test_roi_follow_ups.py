"""An ROI study counts the hours saved that follow-ups report (Phillips-adjusted)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.feedback.models import Kind
from knowflow.feedback.services.responses import survey_response_submit
from knowflow.insights import services
from knowflow.insights.selectors import roi_result
from tests.factories import make_person
from tests.feedback.helpers import attend, ended_occurrence, open_requests, people

pytestmark = pytest.mark.django_db


def test_roi_study_adds_follow_up_benefits_with_their_source() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    occurrence = ended_occurrence(days_ago=2)
    attend(occurrence, people(5))
    for request, _token in open_requests(occurrence, kind=Kind.FOLLOW_UP_30).values():
        survey_response_submit(
            request=request,
            answers={
                "applied": "regularly",
                "how_often": "weekly",
                "result": "clear",
                "hours_saved": "2",
                "hours_confidence": "50",
                "hours_attribution": "50",
            },
        )
    today = timezone.now().date()
    study = services.roi_study_create(
        actor=enabler,
        title="Follow-ups count",
        period_start=today - timedelta(days=30),
        period_end=today,
        isolation_method="participant_estimate",
        isolation_note="Participants estimated the share.",
        default_hourly_cost=Decimal("50"),
        organiser_hours=Decimal("0"),
    )

    result = roi_result.roi_study_result(viewer=enabler, study=study)

    benefit_lines = [line for line in result.lines if line.section == "benefit"]
    # One line for the session's round, never one per answer: answers are anonymous.
    (line,) = benefit_lines
    assert line.item == f"hours saved: {occurrence.session.title}"
    assert line.source == "Follow-up after 30 days"
    assert line.quantity == (
        "5 of 5 answers: each one's hours saved a month × 12 × 50.00/h (the study's hourly "
        "cost) × its share attributed to the session × its confidence"
    )
    # 2 h/month × 12 × 50/h × 0.5 attributed × 0.5 confidence = 300.00, for each of five.
    assert line.value == Decimal("1500.00")
    assert result.benefits == line.value


def test_roi_trace_never_lists_a_round_of_fewer_than_k_answers_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A survey whose hours question is optional can leave a round (of at least k answers)
    # with fewer than k hours claims: 6 claims from one session, 3 from another.
    enabler = make_person(role=Person.Role.ENABLER)
    claim = {"hours_saved_per_month": 2.0, "confidence": 0.5, "attribution": 0.5}
    claims = [{**claim, "source": "Follow-up after 30 days: Big"}] * 6 + [
        {**claim, "source": "Follow-up after 30 days: Small"}
    ] * 3
    monkeypatch.setattr(roi_result, "follow_up_claims", lambda **_: claims)
    today = timezone.now().date()
    study = services.roi_study_create(
        actor=enabler,
        title="Small rounds",
        period_start=today - timedelta(days=30),
        period_end=today,
        isolation_method="participant_estimate",
        isolation_note="Participants estimated the share.",
        default_hourly_cost=Decimal("50"),
        organiser_hours=Decimal("0"),
    )

    result = roi_result.roi_study_result(viewer=enabler, study=study)

    lines = [line for line in result.lines if line.section == "benefit"]
    # Showing the 6 would give the 3 as the total minus the 6: the two go together.
    assert [(line.item, line.quantity.split(":")[0]) for line in lines] == [
        ("hours saved: 2 sessions together (Big, Small)", "9 of 9 answers")
    ]
    # 9 × (2 × 12 × 50 × 0.5 attributed × 0.5 confidence) = 9 × 300.00
    assert result.benefits == lines[0].value == Decimal("2700.00")
