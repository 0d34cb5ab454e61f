"""Responses: one person's answers to one survey request, and the key that refuses a second.

`survey_response_submit` validates every answer before writing anything, writes the response,
its answers and the tally in one transaction, and marks the request answered. For an anonymous
template nothing links the response to the person (see `models`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from knowflow.errors import DomainError
from knowflow.feedback.models import (
    Answer,
    Kind,
    Question,
    Response,
    ResponseAuthor,
    SurveyLink,
    SurveyRequest,
)
from knowflow.feedback.selectors.requests import AlreadyAnswered, survey_request_check_open
from knowflow.feedback.services.requests import attendance_mode_of
from knowflow.feedback.services.tallies import tallies_add_response
from knowflow.feedback.signals import follow_up_answered

FOLLOW_UP_KINDS = frozenset({Kind.FOLLOW_UP_7, Kind.FOLLOW_UP_30, Kind.FOLLOW_UP_90})

MAX_TEXT = 5000


def _parse_answers(
    questions: list[Question], answers: Mapping[str, Any]
) -> list[tuple[Question, str, str]]:
    """Every answer checked against its question, before anything is written."""
    by_key = {q.key: q for q in questions}
    unknown = sorted(set(answers) - set(by_key))
    if unknown:
        raise DomainError(f"This survey has no question '{unknown[0]}'.", field=unknown[0])
    rows: list[tuple[Question, str, str]] = []
    for question in questions:
        raw = answers.get(question.key)
        if isinstance(raw, str):
            raw = raw.strip()
        empty = raw is None or raw == "" or raw == []
        if empty:
            if question.required:
                raise DomainError(f"Please answer “{question.text}”.", field=question.key)
            continue
        allowed = question.option_map()
        if question.type == Question.Type.TEXT:
            if not isinstance(raw, str):
                raise DomainError(f"“{question.text}” takes text.", field=question.key)
            if len(raw) > MAX_TEXT:
                raise DomainError(
                    f"“{question.text}”: at most {MAX_TEXT} characters.", field=question.key
                )
            rows.append((question, "", raw))
        elif question.type == Question.Type.SCALE:
            try:
                number = int(str(raw))
            except ValueError:
                raise DomainError(
                    f"“{question.text}” takes a whole number from 0 to 10.", field=question.key
                ) from None
            if not 0 <= number <= 10 or isinstance(raw, bool):
                raise DomainError(
                    f"“{question.text}”: {raw} is outside the scale; give a number from 0 to 10.",
                    field=question.key,
                )
            rows.append((question, str(number), ""))
        else:
            values = raw if isinstance(raw, list | tuple) else [raw]
            if question.type == Question.Type.SINGLE and len(values) != 1:
                raise DomainError(
                    f"“{question.text}” takes exactly one answer.", field=question.key
                )
            values = [str(v) for v in values]
            if len(set(values)) != len(values):
                raise DomainError(
                    f"“{question.text}”: an answer is given twice.", field=question.key
                )
            for value in values:
                if value not in allowed:
                    raise DomainError(
                        f"“{question.text}”: '{value}' is not one of the answers; choose from "
                        f"{', '.join(allowed)}.",
                        field=question.key,
                    )
                rows.append((question, value, ""))
    return rows


def submission_key(*, person_id: int, occurrence_id: int, kind: str) -> str:
    """The keyed hash that makes a second answer impossible without naming the person.

    HMAC (Django's salted_hmac, SHA-256, keyed with SECRET_KEY): without the key it cannot be
    recomputed from a person id, so the column cannot be joined back to anyone.
    """
    return salted_hmac(
        "knowflow.feedback.submission", f"{person_id}:{occurrence_id}:{kind}", algorithm="sha256"
    ).hexdigest()


def survey_response_submit(
    *,
    request: SurveyRequest,
    answers: Mapping[str, Any],
    now: datetime | None = None,
) -> Response:
    """Store one person's answers to one survey request, all or nothing.

    Preconditions checked, in order, with a clear error and nothing written: the request is
    open (not answered, expired, withdrawn or not yet sent), the person attended the
    occurrence (a speaker, for a retrospective), every answer fits its question. A second
    submission (double click, retry, a second link) raises `AlreadyAnswered`: the request is
    locked while it is read, and the unique `submission_key` refuses a duplicate even so.

    Anonymous template: the response and answers are written with the segment only; no row
    names the person or the request. Named template: a `ResponseAuthor` row records who.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            request = (
                SurveyRequest.objects.select_for_update()
                .select_related("template", "occurrence__session", "person")
                .get(pk=request.pk)
            )
            survey_request_check_open(request, now=now)
            mode = attendance_mode_of(
                occurrence=request.occurrence, person=request.person, kind=request.kind
            )
            questions = list(request.template.questions.all())
            rows = _parse_answers(questions, answers)
            person = request.person
            response = Response.objects.create(
                template=request.template,
                occurrence=request.occurrence,
                kind=request.kind,
                mode=mode,
                org_unit_id=person.org_unit_id,
                office_id=person.office_id,
                submission_key=submission_key(
                    person_id=person.pk, occurrence_id=request.occurrence_id, kind=request.kind
                ),
            )
            Answer.objects.bulk_create(
                Answer(
                    response=response,
                    occurrence_id=response.occurrence_id,
                    question=question,
                    value=value,
                    text=text,
                )
                for question, value, text in rows
            )
            if not request.template.anonymous:
                ResponseAuthor.objects.create(
                    response=response, person=person, request=request, submitted_at=now
                )
            tallies_add_response(response, rows)
            # The request forgets when it was answered (no timestamp), and its links go: the
            # link is single-use, and a used one must not be able to open anything again.
            SurveyRequest.objects.filter(pk=request.pk).update(
                status=SurveyRequest.Status.ANSWERED, next_action_at=None
            )
            SurveyLink.objects.filter(request=request).delete()
            if request.kind in FOLLOW_UP_KINDS:
                follow_up_answered.send(
                    sender=Response, request=request, response=response, answers=answers
                )
    except IntegrityError as error:
        if "submission_key" in str(error) or "UNIQUE" in str(error).upper():
            raise AlreadyAnswered(
                "You have already answered this survey; your first answers were kept."
            ) from None
        raise
    return response
