"""Hours-saved claims from follow-ups, as the ROI workspace reads them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from knowflow.feedback.models import Kind
from knowflow.feedback.selectors.roi_inputs import follow_up_claims
from knowflow.feedback.services.requests import feedback_dispatch_due
from knowflow.feedback.services.responses import survey_response_submit
from tests.feedback.helpers import attend, ended_occurrence, open_requests, people

pytestmark = pytest.mark.django_db

APPLIED = {"applied": "regularly", "how_often": "weekly", "result": "clear"}


def _answer_round(
    occurrence: object, kind: str, hours: list[str], confidence: str, attribution: str = "50"
) -> None:
    requests = list(open_requests(occurrence, kind=kind).values())
    for (request, _token), value in zip(requests, hours, strict=False):
        survey_response_submit(
            request=request,
            answers={
                **APPLIED,
                "hours_saved": value,
                "hours_confidence": confidence,
                "hours_attribution": attribution,
            },
        )


def _window() -> dict:
    now = timezone.now()
    return {"since": now - timedelta(days=30), "until": now}


def test_claims_use_the_latest_round_only_so_no_one_counts_twice() -> None:
    occurrence = ended_occurrence()
    attend(occurrence, people(6))
    _answer_round(occurrence, Kind.FOLLOW_UP_30, ["8"] * 6, "50")
    _answer_round(occurrence, Kind.FOLLOW_UP_90, ["4", "4", "2", "2", "1", "0"], "75")

    claims = follow_up_claims(session_ids={occurrence.session_id}, **_window())

    assert sorted(c["hours_saved_per_month"] for c in claims) == [0.0, 1.0, 2.0, 2.0, 4.0, 4.0]
    assert {c["confidence"] for c in claims} == {0.75}
    assert {c["attribution"] for c in claims} == {0.5}
    assert {c["source"] for c in claims} == {f"Follow-up after 90 days: {occurrence.session.title}"}


def test_claims_skip_a_round_below_the_minimum_group() -> None:
    occurrence = ended_occurrence()
    attend(occurrence, people(6))
    _answer_round(occurrence, Kind.FOLLOW_UP_30, ["8"] * 6, "50")
    _answer_round(occurrence, Kind.FOLLOW_UP_90, ["4"] * 3, "90")  # 3 < k = 5

    claims = follow_up_claims(session_ids={occurrence.session_id}, **_window())

    assert [c["hours_saved_per_month"] for c in claims] == [8.0] * 6
    assert {c["confidence"] for c in claims} == {0.5}


def test_no_follow_ups_means_no_claims() -> None:
    occurrence = ended_occurrence()
    attend(occurrence, people(5))

    assert follow_up_claims(session_ids={occurrence.session_id}, **_window()) == []


def test_claims_carry_nothing_about_who_answered() -> None:
    occurrence = ended_occurrence()
    attend(occurrence, people(5))
    _answer_round(occurrence, Kind.FOLLOW_UP_30, ["2"] * 5, "90", attribution="25")

    claims = follow_up_claims(session_ids={occurrence.session_id}, **_window())

    title = occurrence.session.title
    # The session and the round, by name, and the answer: nothing about the person.
    assert (
        claims
        == [
            {
                "source": f"Follow-up after 30 days: {title}",
                "session": title,
                "round": "Follow-up after 30 days",
                "hours_saved_per_month": 2.0,
                "confidence": 0.9,
                "attribution": 0.25,
            }
        ]
        * 5
    )


def test_a_round_with_k_responses_but_fewer_hours_answers_gives_no_claims() -> None:
    # An enabler's copy of the follow-up makes "hours saved" optional: 6 respond, 2 answer it.
    # Two claims would add up to what two people said; the round is left out.
    from knowflow.feedback.models import Question, SurveyTemplate

    template = SurveyTemplate.objects.get(family="follow-up-30-days", is_current=True)
    Question.objects.filter(
        template=template, key__in=["hours_saved", "hours_confidence", "hours_attribution"]
    ).update(required=False)
    occurrence = ended_occurrence()
    attend(occurrence, people(6))
    requests = list(open_requests(occurrence, kind=Kind.FOLLOW_UP_30).values())
    for i, (request, _token) in enumerate(requests):
        extra = {"hours_saved": "8", "hours_confidence": "90"} if i < 2 else {}
        survey_response_submit(request=request, answers={**APPLIED, **extra})

    assert follow_up_claims(session_ids={occurrence.session_id}, **_window()) == []


def test_a_round_counts_only_once_closed_so_two_readings_never_differ_by_one_answer() -> None:
    # Six asked, five answered: while the sixth may still answer, the round is not used (a
    # reading now and one after the sixth answer would differ by that person's hours).
    from knowflow.feedback.models import SurveyRequest

    occurrence = ended_occurrence()
    attend(occurrence, people(6))
    _answer_round(occurrence, Kind.FOLLOW_UP_30, ["2"] * 5, "50")
    window = _window()

    assert follow_up_claims(session_ids={occurrence.session_id}, **window) == []

    # The sixth link expires unanswered: the round is closed and never changes again.
    waiting = SurveyRequest.objects.filter(
        occurrence=occurrence, kind=Kind.FOLLOW_UP_30, status=SurveyRequest.Status.SENT
    )
    assert waiting.count() == 1
    feedback_dispatch_due(now=timezone.now() + timedelta(days=400), limit=1000)
    assert waiting.count() == 0

    claims = follow_up_claims(session_ids={occurrence.session_id}, **window)
    assert [c["hours_saved_per_month"] for c in claims] == [2.0] * 5
