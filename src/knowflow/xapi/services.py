"""Queue xAPI statements for the learning record store, in the transaction of what they report.

Each function builds its statement and hands it to the outbound queue
(`knowflow.outbound.services.outbound_enqueue_many`) as kind `xapi.statement` for the
endpoint `xapi:lrs`, with the statement id as the dedupe key: the same fact queued twice is one
row, and since the LRS keeps the first statement of an id, a POST retried after a lost answer
(the queue delivers at least once) is one statement there too. When no LRS is configured
(`KNOWFLOW_XAPI_ENDPOINT` unset) nothing is built or queued.

Anonymity. A follow-up may be anonymous: no row links an answer to a person. A statement that
says "this person applied what they learned" links them to part of their answer, so it is
sent only when the person ticks, on the follow-up form itself, the box asking for it
(`xapi_follow_up_submit`); it carries no answer content but that word, and the answer is
stored and counted exactly as without the box. It is not even queued with the answer: the
request is marked with the next day, and that day's statements are queued together in request
order, timed at the day's start (`xapi_applied_enqueue_due`), so neither row order nor time
ties the statement to the anonymous response.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.events.models import Attendance
from knowflow.feedback.models import FOLLOW_UP_DAYS, Answer, Response, Standard, SurveyRequest
from knowflow.feedback.services.responses import survey_response_submit
from knowflow.library.models import Collection
from knowflow.outbound.services import Post, outbound_enqueue_many
from knowflow.xapi import statements

KIND = "xapi.statement"
ENDPOINT = "xapi:lrs"
# The follow-up question whose answer "applied" means, as feedback's results count it.
APPLIED_QUESTION = "applied"


def xapi_configured() -> bool:
    """Whether an LRS is configured (settings check the URL and credentials at start-up)."""
    return bool(getattr(settings, "KNOWFLOW_XAPI_ENDPOINT", ""))


def _enqueue(statement: dict[str, Any]) -> int:
    return outbound_enqueue_many(
        [
            Post(
                kind=KIND,
                endpoint=ENDPOINT,
                body=statements.statement_json(statement),
                dedupe_key=f"xapi:{statement['id']}",
            )
        ]
    )


def xapi_attended_enqueue(*, attendance: Attendance) -> int:
    """Queue "attended" for an attendance just recorded or whose mode changed (in the
    caller's transaction). Returns how many statements were queued (0 or 1)."""
    if not xapi_configured():
        return 0
    attendance = Attendance.objects.select_related("occurrence__session", "person").get(
        pk=attendance.pk
    )
    return _enqueue(statements.attended(attendance, base_url=settings.KNOWFLOW_BASE_URL))


def xapi_path_completed_enqueue(
    *, collection: Collection, person: Person, now: datetime | None = None
) -> int:
    """Queue "completed" for a person who marked the last item of a learning path done."""
    if not xapi_configured() or collection.kind != Collection.Kind.PATH:
        return 0
    return _enqueue(
        statements.path_completed(
            collection,
            person,
            at=now or timezone.now(),
            base_url=settings.KNOWFLOW_BASE_URL,
        )
    )


def xapi_applied_offered(*, request: SurveyRequest) -> bool:
    """Whether the follow-up form offers "also record in my learning record that I applied
    this": an LRS is configured and this survey is a follow-up asking whether they applied it."""
    return (
        xapi_configured()
        and request.kind in FOLLOW_UP_DAYS
        and request.template.questions.filter(key=APPLIED_QUESTION).exists()
    )


def xapi_follow_up_submit(
    *,
    request: SurveyRequest,
    answers: Mapping[str, Any],
    record_applied: bool,
    now: datetime | None = None,
) -> tuple[Response, bool]:
    """Store a follow-up's answers (`feedback.services.survey_response_submit`, unchanged:
    an anonymous answer stays anonymous and counted as any other) and, only if the person
    asked for it and answered that they applied it, queue "answered: applied" naming them —
    both in one transaction, so a refused answer queues nothing.

    Without `record_applied`, or when they answered "not yet", nothing is queued and nothing
    is kept of the choice. With it, the named request carries the next day's date until that
    day's statements are queued (`xapi_applied_enqueue_due`), then nothing does. Returns the
    response and whether a statement was queued (for the thank-you page).
    """
    now = now or timezone.now()
    recorded = False
    with transaction.atomic():
        response = survey_response_submit(request=request, answers=answers, now=now)
        if record_applied and xapi_applied_offered(request=request) and _says_applied(response):
            # Not queued now: a row written with the answer would sit next to it in the
            # database's order. The (already named) request is marked with tomorrow's date;
            # `xapi_applied_enqueue_due` writes that day's statements together.
            SurveyRequest.objects.filter(pk=request.pk).update(
                applied_shared_on=now.date() + timedelta(days=1)
            )
            recorded = True
    return response, recorded


def xapi_applied_enqueue_due(*, now: datetime) -> int:
    """Queue the "applied" statements people asked for whose day has come (on each outbound
    pass). All of one day's go together, in the order of their survey requests — made when
    the date ended, long before anyone answered — and each is timed at the start of its day,
    not at its answer: the queue's row order and the statement's time say nothing about which
    anonymous response was theirs. Returns how many were queued."""
    due = (
        SurveyRequest.objects.filter(applied_shared_on__lte=now.date())
        .select_related("occurrence__session", "person")
        .order_by("pk")
    )
    if not xapi_configured():
        return 0
    count = 0
    with transaction.atomic():
        requests = list(due.select_for_update(of=("self",)))
        for request in requests:
            day = request.applied_shared_on
            if day is None:
                continue
            count += _enqueue(
                statements.applied(
                    request.occurrence,
                    request.person,
                    days=FOLLOW_UP_DAYS[request.kind],
                    at=datetime.combine(day, time(0), tzinfo=UTC),
                    base_url=settings.KNOWFLOW_BASE_URL,
                )
            )
        SurveyRequest.objects.filter(pk__in=[r.pk for r in requests]).update(applied_shared_on=None)
    return count


def _says_applied(response: Response) -> bool:
    """The answer to "have you applied it?" meets the standard (tried, regularly, spread):
    the rule feedback's "applied" share uses."""
    answer = (
        Answer.objects.filter(response=response, question__key=APPLIED_QUESTION)
        .select_related("question")
        .first()
    )
    if answer is None:
        return False
    option = answer.question.option_map().get(str(answer.value))
    return option is not None and option.get("standard") not in (None, Standard.UNACCEPTABLE)
