"""Statements travel from what happened to a real (test) LRS: queued in the transaction of the
change, POSTed by the outbound worker with Basic authentication and the xAPI version header,
each one checked by the LRS against the statement rules. Nothing is queued when no LRS is
configured, and a follow-up answer names nobody unless the person asked for it."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from knowflow.events.attendance import attendance_record
from knowflow.events.models import Attendance
from knowflow.feedback.models import AnswerTally, Kind, SurveyRequest
from knowflow.library.models import Collection, CollectionItem
from knowflow.library.services import path_item_mark
from knowflow.outbound.models import OutboundPost
from knowflow.outbound.services import outbound_deliver_due
from knowflow.xapi.services import xapi_applied_offered, xapi_follow_up_submit
from tests.factories import make_person, make_session
from tests.feedback.helpers import attend, ended_occurrence, open_requests
from tests.xapi.helpers import BASE, FOLLOW_UP
from tests.xapi.lrs import Lrs

pytestmark = pytest.mark.django_db

ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
MODE = f"{BASE}/xapi/extensions/attendance-mode"


def deliver(*, days: int = 0) -> None:
    outbound_deliver_due(now=timezone.now() + timedelta(days=days, seconds=1))


def _attended_online() -> Attendance:
    speaker = make_person(name="Ada Speaker")
    occurrence = ended_occurrence(speakers=[speaker])
    learner = make_person(name="Grace Learner")
    return attendance_record(
        occurrence=occurrence, person=learner, mode=Attendance.Mode.ONLINE, actor=speaker
    )


def _follow_up(anonymous: bool = True):  # type: ignore[no-untyped-def]
    occurrence = ended_occurrence()
    (person,) = [make_person(name="Lin Learner")]
    attend(occurrence, [person])
    ((request, _token),) = open_requests(occurrence, kind=Kind.FOLLOW_UP_30).values()
    request.refresh_from_db()
    assert request.template.anonymous is anonymous
    return request


def test_attended_reaches_the_lrs_with_its_mode_authenticated_and_versioned(lrs: Lrs) -> None:
    attendance = _attended_online()

    deliver()

    ((status, headers, body),) = lrs.requests
    assert status == 200
    assert headers["X-Experience-API-Version"] == "2.0.0"
    assert headers["Authorization"] == "Basic " + base64.b64encode(
        b"kf-key:s3cret:with-colon"
    ).decode("ascii")
    (statement,) = lrs.statements.values()
    assert statement["verb"]["id"] == ATTENDED
    assert statement["actor"]["mbox"] == f"mailto:{attendance.person.email}"
    assert statement["object"]["id"] == f"{BASE}/sessions/{attendance.occurrence.session.slug}/"
    assert statement["context"]["extensions"][MODE] == "online"
    post = OutboundPost.objects.get()
    assert (post.kind, post.endpoint, post.status, post.response_code) == (
        "xapi.statement",
        "xapi:lrs",
        "sent",
        200,
    )


def test_the_key_and_secret_are_never_written_to_the_queue(lrs: Lrs) -> None:
    _attended_online()

    row = OutboundPost.objects.values().get()

    assert lrs.secret not in json.dumps(row, default=str)
    assert lrs.url not in json.dumps(row, default=str)


def test_a_completed_learning_path_reaches_the_lrs(lrs: Lrs) -> None:
    owner, learner = make_person(), make_person(name="Lin Learner")
    path = Collection.objects.create(
        kind=Collection.Kind.PATH, title="Platform basics", slug="platform-basics", owner=owner
    )
    first, last = (
        CollectionItem.objects.create(collection=path, session=make_session(), position=n)
        for n in (1, 2)
    )

    path_item_mark(item=first, person=learner)
    deliver()
    assert lrs.statements == {}

    path_item_mark(item=last, person=learner)
    deliver()

    (statement,) = lrs.statements.values()
    assert statement["verb"]["id"] == COMPLETED
    assert statement["object"]["id"] == f"{BASE}/library/collections/platform-basics/"
    assert statement["result"] == {"completion": True}


def test_applied_with_consent_reaches_the_lrs_without_any_answer_content(lrs: Lrs) -> None:
    request = _follow_up()
    assert xapi_applied_offered(request=request) is True

    _response, recorded = xapi_follow_up_submit(
        request=request, answers=FOLLOW_UP, record_applied=True
    )
    deliver()
    assert recorded is True
    assert OutboundPost.objects.count() == 0  # not written beside the answer
    deliver(days=1)

    (statement,) = lrs.statements.values()
    # Timed at the start of the day it was written, not at the answer.
    assert statement["timestamp"].endswith("T00:00:00.000Z")
    assert statement["verb"]["id"] == ANSWERED
    assert statement["actor"]["name"] == "Lin Learner"
    assert statement["result"] == {"response": "applied"}
    ((_, _, body),) = lrs.requests
    for answer in ("regularly", "weekly", "release checklist", "clear"):
        assert answer not in body.decode()


def test_without_consent_an_anonymous_follow_up_queues_nothing(lrs: Lrs) -> None:
    request = _follow_up()

    _response, recorded = xapi_follow_up_submit(
        request=request, answers=FOLLOW_UP, record_applied=False
    )
    deliver()
    deliver(days=1)

    assert recorded is False
    assert OutboundPost.objects.count() == 0
    assert lrs.requests == []
    # The answer itself is stored and counted as any other.
    assert AnswerTally.objects.filter(question__key="applied", value="regularly").count() == 1


def test_a_days_applied_statements_are_queued_in_request_order_not_answer_order(
    lrs: Lrs,
) -> None:
    occurrence = ended_occurrence()
    people = [make_person(name=f"Learner {n}") for n in range(3)]
    attend(occurrence, people)
    requests = sorted(
        (request for request, _token in open_requests(occurrence, kind=Kind.FOLLOW_UP_30).values()),
        key=lambda request: request.pk,
    )
    # They answer in the reverse order of their requests.
    for request in reversed(requests):
        request.refresh_from_db()
        xapi_follow_up_submit(request=request, answers=FOLLOW_UP, record_applied=True)
    assert OutboundPost.objects.count() == 0

    deliver(days=1)

    queued = list(OutboundPost.objects.order_by("pk").values_list("body", flat=True))
    names = [json.loads(body)["actor"]["name"] for body in queued]
    assert names == [request.person.display_name for request in requests]
    assert len({json.loads(body)["timestamp"] for body in queued}) == 1
    assert not SurveyRequest.objects.filter(applied_shared_on__isnull=False).exists()


def test_consent_with_a_not_yet_answer_queues_nothing(lrs: Lrs) -> None:
    request = _follow_up()

    _response, recorded = xapi_follow_up_submit(
        request=request, answers={**FOLLOW_UP, "applied": "not_yet"}, record_applied=True
    )

    assert recorded is False
    assert OutboundPost.objects.count() == 0


def test_a_refused_answer_queues_nothing(lrs: Lrs) -> None:
    from knowflow.errors import DomainError

    request = _follow_up()

    with pytest.raises(DomainError):
        xapi_follow_up_submit(
            request=request, answers={**FOLLOW_UP, "how_often": ""}, record_applied=True
        )

    assert OutboundPost.objects.count() == 0


@pytest.mark.usefixtures("no_lrs")
def test_without_an_lrs_nothing_is_queued_and_nothing_offered() -> None:
    _attended_online()
    request = _follow_up()

    assert xapi_applied_offered(request=request) is False
    xapi_follow_up_submit(request=request, answers=FOLLOW_UP, record_applied=True)

    assert OutboundPost.objects.count() == 0


def test_an_lrs_unconfigured_after_queueing_gets_nothing(lrs: Lrs) -> None:
    _attended_online()

    with override_settings(KNOWFLOW_XAPI_ENDPOINT=""):
        deliver()

    assert lrs.requests == []
    assert OutboundPost.objects.get().status == "cancelled"


def test_an_lrs_that_is_down_gets_the_statement_once_it_is_back(lrs: Lrs) -> None:
    _attended_online()
    lrs.fail_with = 503

    deliver()
    post = OutboundPost.objects.get()
    assert (post.status, post.response_code) == ("pending", 503)

    lrs.fail_with = None
    outbound_deliver_due(now=post.next_attempt_at + timedelta(seconds=1))

    assert [status for status, _, _ in lrs.requests] == [503, 200]
    assert len(lrs.statements) == 1
    assert OutboundPost.objects.get().status == "sent"


def test_the_same_statement_posted_twice_is_one_statement_at_the_lrs(lrs: Lrs) -> None:
    """At least once: a POST whose answer was lost is sent again with the same id."""
    _attended_online()
    deliver()
    OutboundPost.objects.update(status="pending", next_attempt_at=timezone.now())

    deliver()

    assert [status for status, _, _ in lrs.requests] == [200, 200]
    assert len(lrs.statements) == 1


def test_wrong_credentials_fail_visibly_in_the_delivery_log(lrs: Lrs) -> None:
    _attended_online()

    with override_settings(KNOWFLOW_XAPI_PASSWORD="wrong"):
        deliver()

    post = OutboundPost.objects.get()
    assert (post.status, post.response_code) == ("failed", 401)
    assert lrs.statements == {}
