"""Survey requests as people meet them: the ones waiting for a person, the one a personal
link or the app opens (with the check that it can still be answered), and the ones whose
next step the worker takes."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.errors import Conflict, DomainError, NotFound
from knowflow.feedback import permissions
from knowflow.feedback.models import (
    SurveyLink,
    SurveyRequest,
)


class SurveyClosed(DomainError):
    status_code = 410


class AlreadyAnswered(Conflict):
    pass


def survey_link_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _pending(person: Person, now: datetime | None) -> Any:
    return SurveyRequest.objects.filter(
        person=person, status=SurveyRequest.Status.SENT, expires_at__gt=now or timezone.now()
    )


def pending_requests_for(
    *, person: Person, now: datetime | None = None, limit: int = 10
) -> list[SurveyRequest]:
    """The surveys waiting for this person's answer, soonest to close first (the home page
    shows the first few, the "see all" page every one)."""
    return list(
        _pending(person, now)
        .select_related("occurrence__session", "template")
        .order_by("expires_at", "id")[:limit]
    )


def pending_requests_count(*, person: Person, now: datetime | None = None) -> int:
    return _pending(person, now).count()


def feedback_requests_due(*, now: datetime, limit: int = 500) -> list[SurveyRequest]:
    """The requests whose next step is due, oldest first (one range scan of `survey_request_due`)."""
    return list(
        SurveyRequest.objects.filter(
            status__in=[SurveyRequest.Status.SCHEDULED, SurveyRequest.Status.SENT],
            next_action_at__lte=now,
        )
        .select_related("person", "occurrence__session", "template")
        .order_by("next_action_at", "id")[:limit]
    )


def survey_request_for_token(*, token: str, now: datetime | None = None) -> SurveyRequest:
    """The request a personal link opens, or a clear error (unknown, used, expired)."""
    link = (
        SurveyLink.objects.filter(token_hash=survey_link_token_hash(token or ""))
        .select_related("request__template", "request__occurrence__session", "request__person")
        .first()
    )
    if link is None:
        raise NotFound(
            "This survey link is not valid: it may have been used already, or replaced by the "
            "one in a newer email."
        )
    survey_request_check_open(link.request, now=now or timezone.now())
    return link.request


def survey_request_check_open(request: SurveyRequest, *, now: datetime) -> None:
    """Raise the reason a request cannot be answered now (answered, withdrawn, not yet sent,
    closed); the opening selectors and `survey_response_submit` ask the same."""
    Status = SurveyRequest.Status
    if request.status == Status.ANSWERED:
        raise AlreadyAnswered(
            "You have already answered this survey; your first answers were kept."
        )
    if request.status == Status.CANCELLED:
        raise SurveyClosed("This survey was withdrawn (the session was cancelled).")
    if request.status == Status.SCHEDULED:
        raise SurveyClosed("This survey is not open yet.")
    if request.status == Status.EXPIRED or (request.expires_at and request.expires_at <= now):
        closed = request.expires_at or now
        raise SurveyClosed(f"This survey closed on {closed:%d %B %Y}.")


def survey_request_for_viewer(
    *, request_id: int, viewer: Person, now: datetime | None = None
) -> SurveyRequest:
    """The viewer's own request, opened in the app, or a clear error: someone else's is
    "no such survey" (not "forbidden": that would say it exists), then as by link (used,
    withdrawn, expired)."""
    request = (
        SurveyRequest.objects.select_related("template", "occurrence__session", "person")
        .filter(pk=request_id)
        .first()
    )
    if request is None or not permissions.can_answer_request(actor=viewer, request=request):
        raise NotFound("There is no such survey among yours.")
    survey_request_check_open(request, now=now or timezone.now())
    return request
