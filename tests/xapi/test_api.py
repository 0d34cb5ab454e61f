"""The same consent through the API's personal-link answer: off unless asked, refused where the
survey does not offer it, with nothing written."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from knowflow.feedback.models import Kind, Response
from knowflow.outbound.models import OutboundPost
from knowflow.xapi.services import xapi_applied_enqueue_due
from tests.factories import make_person
from tests.feedback.helpers import GOOD, attend, ended_occurrence, open_requests
from tests.xapi.helpers import FOLLOW_UP
from tests.xapi.lrs import Lrs

pytestmark = pytest.mark.django_db


def _token(kind: str = Kind.FOLLOW_UP_30) -> str:
    occurrence = ended_occurrence()
    attend(occurrence, [make_person()])
    ((_request, token),) = open_requests(occurrence, kind=kind).values()
    return token


def _answer(token: str, body: dict) -> tuple[int, dict]:
    response = Client().post(
        f"/api/v1/feedback/links/{token}/response",
        json.dumps(body),
        content_type="application/json",
    )
    return response.status_code, response.json()


def test_the_survey_says_whether_it_offers_the_learning_record(lrs: Lrs) -> None:
    follow_up, after = _token(), _token(Kind.AFTER_SESSION)

    offers = [
        Client().get(f"/api/v1/feedback/links/{token}").json()["offers_learning_record"]
        for token in (follow_up, after)
    ]

    assert offers == [True, False]


def test_asking_for_it_queues_the_statement(lrs: Lrs) -> None:
    status, body = _answer(_token(), {"answers": FOLLOW_UP, "record_applied_in_lrs": True})

    assert (status, body) == (
        201,
        {
            "detail": "Thank you: your answers were saved, and your company's learning record "
            "will say, with your name, that you applied it."
        },
    )
    assert OutboundPost.objects.count() == 0  # written tomorrow, with that day's others
    xapi_applied_enqueue_due(now=timezone.now() + timedelta(days=1))
    assert OutboundPost.objects.filter(kind="xapi.statement").count() == 1


def test_not_asking_queues_nothing(lrs: Lrs) -> None:
    status, body = _answer(_token(), {"answers": FOLLOW_UP})

    assert (status, body) == (201, {"detail": "Thank you: your answers were saved."})
    assert Response.objects.count() == 1
    assert OutboundPost.objects.count() == 0


@pytest.mark.usefixtures("no_lrs")
def test_asking_where_it_is_not_offered_is_refused_and_writes_nothing() -> None:
    status, body = _answer(_token(), {"answers": FOLLOW_UP, "record_applied_in_lrs": True})

    assert (status, body["field"]) == (400, "record_applied_in_lrs")
    assert body["detail"].startswith("This survey does not offer recording")
    assert Response.objects.count() == 0
    assert OutboundPost.objects.count() == 0


def test_the_flag_must_be_a_boolean(lrs: Lrs) -> None:
    status, _body = _answer(_token(), {"answers": GOOD, "record_applied_in_lrs": "yes"})

    assert status == 422
    assert Response.objects.count() == 0
