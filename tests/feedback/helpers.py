"""Test data for feedback: an occurrence that has ended, its attendees, their open requests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from knowflow.accounts.models import Office, OrgUnit, Person
from knowflow.events.models import Attendance, Occurrence, Session
from knowflow.feedback.models import Kind, SurveyRequest
from knowflow.feedback.services import requests as request_services
from knowflow.feedback.services.requests import feedback_dispatch_due, feedback_requests_create_due
from knowflow.feedback.services.responses import survey_response_submit
from tests.factories import make_occurrence, make_person, make_session

GOOD = {
    "apply_now": "on_my_own",
    "relevance": "now",
    "remember": "most",
    "support": ["material"],
    "first_step": "Try it on our deployment pipeline",
    "improve": "",
    "reputation_nps": "",
}


def ended_occurrence(
    *, session: Session | None = None, days_ago: float = 1, speakers: list[Person] | None = None
) -> Occurrence:
    start = timezone.now() - timedelta(days=days_ago, hours=1)
    session = session or make_session(speakers=speakers, status=Session.Status.DONE)
    return make_occurrence(session=session, start=start, minutes=60)


def attend(occurrence: Occurrence, people: list[Person], mode: str = Attendance.Mode.ROOM) -> None:
    Attendance.objects.bulk_create(
        Attendance(occurrence=occurrence, person=p, mode=mode) for p in people
    )


def people(
    n: int, *, org_unit: OrgUnit | None = None, office: Office | None = None
) -> list[Person]:
    out = []
    for _ in range(n):
        person = make_person()
        person.org_unit, person.office = org_unit, office
        person.save(update_fields=["org_unit", "office"])
        out.append(person)
    return out


def open_requests(
    occurrence: Occurrence, *, now: datetime | None = None, kind: str = Kind.AFTER_SESSION
) -> dict[int, tuple[SurveyRequest, str]]:
    """Create and send the requests of an ended occurrence; returns {person_id: (request, token)}.

    Tokens are captured from the links the dispatcher writes (the test reads the raw token
    the email would carry by patching the link maker).
    """
    now = now or timezone.now()
    tokens: dict[int, str] = {}
    original = request_services.survey_link_create

    def capture(*, request: SurveyRequest, now: datetime) -> str:
        token = original(request=request, now=now)
        tokens[request.pk] = token
        return token

    request_services.survey_link_create = capture  # type: ignore[assignment]
    try:
        feedback_requests_create_due(now=now)
        # Follow-ups fall due weeks later; the test brings this kind's due date to now rather
        # than jumping ahead (a request left past its validity is expired unsent, so a jump
        # would close the earlier follow-ups).
        if kind != Kind.AFTER_SESSION:
            SurveyRequest.objects.filter(
                occurrence=occurrence, kind=kind, status=SurveyRequest.Status.SCHEDULED
            ).update(due_at=now, next_action_at=now)
        feedback_dispatch_due(now=now + timedelta(hours=1), limit=100_000)
    finally:
        request_services.survey_link_create = original  # type: ignore[assignment]
    requests = SurveyRequest.objects.filter(occurrence=occurrence, kind=kind).select_related(
        "person"
    )
    return {r.person_id: (r, tokens.get(r.pk, "")) for r in requests}


def answer_all(occurrence: Occurrence, answers: dict[str, Any] | None = None, **kwargs: Any) -> int:
    count = 0
    for request, _token in open_requests(occurrence, **kwargs).values():
        request.refresh_from_db()
        survey_response_submit(request=request, answers=answers or GOOD)
        count += 1
    return count
