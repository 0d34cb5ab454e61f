"""An ROI study counts the hours saved that follow-ups report (Phillips-adjusted)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.feedback import services as feedback_services
from knowflow.feedback.models import Kind
from knowflow.insights import selectors, services
from tests.factories import make_person
from tests.feedback.helpers import attend, ended_occurrence, open_requests, people

pytestmark = pytest.mark.django_db


def test_roi_study_adds_follow_up_benefits_with_their_source() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    occurrence = ended_occurrence(days_ago=2)
    attend(occurrence, people(5))
    for request, _token in open_requests(occurrence, kind=Kind.FOLLOW_UP_30).values():
        feedback_services.survey_response_submit(
            request=request,
            answers={
                "applied": "regularly",
                "how_often": "weekly",
                "result": "clear",
                "hours_saved": "2",
                "hours_confidence": "50",
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

    result = selectors.roi_study_result(viewer=enabler, study=study)

    benefit_lines = [line for line in result.lines if line.section == "benefit"]
    assert [line.item for line in benefit_lines] == ["hours saved (follow-up)"] * 5
    assert {line.source.split(";")[0] for line in benefit_lines} == {
        f"Follow-up after 30 days: {occurrence.session.title}"
    }
    # 2 h/month × 12 × 50/h × the study's attribution × 0.5 confidence, for each of five.
    per_claim = Decimal("2") * 12 * 50 * study.attribution_share * Decimal("0.5")
    assert {line.value for line in benefit_lines} == {per_claim.quantize(Decimal("0.01"))}
    assert result.benefits == sum(line.value for line in benefit_lines)
    assert result.benefits > 0
