"""Survey requests and their distribution: who is asked what, and when each request is sent,
reminded or expired.

Distribution runs in two idempotent steps that the worker repeats (`feedback_tick`):

1. `feedback_requests_create_due` finds attendances of occurrences that have ended and writes
   their requests (after the session, +7, +30, +90 days) and the speakers' retrospective
   requests. A unique (occurrence, person, kind) constraint makes a re-run a no-op.
2. `feedback_dispatch_due` takes the requests whose `next_action_at` has come and moves each
   one step: send (a fresh personal link and an email), remind once, or expire. Each step is
   a conditional UPDATE on the state the worker read, so two workers (or a retry after a
   crash) cannot both take it; the email is written in the same transaction through the
   outbox, with a dedupe key, so it exists exactly when the step committed.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.errors import Conflict, DomainError, Forbidden
from knowflow.events.models import Attendance, Occurrence, Session
from knowflow.feedback import permissions
from knowflow.feedback.models import (
    FOLLOW_UP_DAYS,
    Kind,
    SurveyLink,
    SurveyRequest,
    SurveyTemplate,
)
from knowflow.feedback.notifications import outbox_enqueue_feedback_email
from knowflow.feedback.selectors.requests import feedback_requests_due, survey_link_token_hash
from knowflow.feedback.selectors.templates import default_templates

SPEAKER_MODE = "speaker"
ATTENDEE_KINDS = (Kind.AFTER_SESSION, Kind.FOLLOW_UP_7, Kind.FOLLOW_UP_30, Kind.FOLLOW_UP_90)


class NotAttended(DomainError):
    pass


# Settings (with defaults, so a deployment needs none of them) ------------------------------


def delay_after_end() -> timedelta:
    """How long after an occurrence ends its survey goes out (people need to get back to work)."""
    return timedelta(minutes=getattr(settings, "KNOWFLOW_FEEDBACK_DELAY_MINUTES", 30))


def reminder_after() -> timedelta:
    return timedelta(days=getattr(settings, "KNOWFLOW_FEEDBACK_REMINDER_DAYS", 3))


def link_validity() -> timedelta:
    return timedelta(days=getattr(settings, "KNOWFLOW_FEEDBACK_VALID_DAYS", 14))


def scan_window() -> timedelta:
    """How far back the request scan looks for ended occurrences (a worker down for longer
    than this does not flood people with surveys about sessions long past)."""
    return timedelta(days=getattr(settings, "KNOWFLOW_FEEDBACK_SCAN_DAYS", 14))


# Requests ----------------------------------------------------------------------------------


def _request_rows(
    *,
    occurrence_id: int,
    person_id: int,
    mode: str,
    base: datetime,
    now: datetime,
    templates: dict[str, SurveyTemplate],
    kinds: Iterable[str],
) -> list[SurveyRequest]:
    rows = []
    for kind in kinds:
        template = templates.get(kind)
        if template is None:
            continue  # no default survey of this kind: nothing to ask
        due = base + delay_after_end() + timedelta(days=FOLLOW_UP_DAYS.get(kind, 0))
        rows.append(
            SurveyRequest(
                occurrence_id=occurrence_id,
                person_id=person_id,
                kind=kind,
                template=template,
                mode=mode,
                due_at=due,
                next_action_at=due,
                created_at=now,
            )
        )
    return rows


@transaction.atomic
def survey_request_create(
    *,
    occurrence: Occurrence,
    person: Person,
    kind: str,
    actor: Person,
    now: datetime | None = None,
) -> SurveyRequest:
    """Ask one person by hand (an enabler), e.g. after attendance was recorded late.

    Refuses someone who did not attend (or, for a retrospective, is not a speaker): feedback
    on a session one was not at is noise, and for an anonymous survey it could not be told
    apart afterwards.
    """
    if not permissions.can_create_request(actor=actor):
        raise Forbidden("Only enablers send survey requests by hand.")
    now = now or timezone.now()
    if kind not in Kind.values:
        raise DomainError(f"The kind must be one of {', '.join(Kind.values)}.", field="kind")
    mode = attendance_mode_of(occurrence=occurrence, person=person, kind=kind)
    template = default_templates().get(kind)
    if template is None:
        raise DomainError(f"There is no default survey for '{kind}'.", field="kind")
    if SurveyRequest.objects.filter(occurrence=occurrence, person=person, kind=kind).exists():
        raise Conflict(f"{person.display_name} has already been asked this survey.")
    base = max(occurrence.end, now - delay_after_end())
    due = base + delay_after_end() + timedelta(days=FOLLOW_UP_DAYS.get(kind, 0))
    return SurveyRequest.objects.create(
        occurrence=occurrence,
        person=person,
        kind=kind,
        template=template,
        mode=mode,
        due_at=due,
        next_action_at=due,
        created_at=now,
    )


def attendance_mode_of(*, occurrence: Occurrence, person: Person, kind: str) -> str:
    if kind == Kind.RETROSPECTIVE:
        if not occurrence.session.speakers.filter(pk=person.pk).exists():
            raise NotAttended(
                f"{person.display_name} is not a speaker of this session; the retrospective is "
                "for its speakers.",
                field="person",
            )
        return SPEAKER_MODE
    attendance = Attendance.objects.filter(occurrence=occurrence, person=person).first()
    if attendance is None:
        raise NotAttended(
            f"{person.display_name} did not attend this date, so there is no feedback to "
            "give on it.",
            field="person",
        )
    return attendance.mode


def feedback_requests_create_due(*, now: datetime, limit: int = 5000) -> int:
    """Write the requests of every attendee (and speaker) of occurrences that have ended.

    Room and online attendees count from the end of the occurrence; someone who watched the
    recording counts from when they said so. Looks back `scan_window()` only. Idempotent:
    the (occurrence, person, kind) constraint turns a re-run or a concurrent worker into
    no-ops (ON CONFLICT DO NOTHING). Returns the number of attendances handled.
    """
    templates = default_templates()
    if not templates:
        return 0
    since = now - scan_window()
    asked = SurveyRequest.objects.filter(
        occurrence_id=OuterRef("occurrence_id"),
        person_id=OuterRef("person_id"),
        kind=Kind.AFTER_SESSION,
    )
    attendances = list(
        Attendance.objects.filter(occurrence__end__lte=now)
        .filter(
            Q(occurrence__end__gte=since)
            | Q(mode=Attendance.Mode.RECORDING, recorded_at__gte=since)
        )
        .exclude(occurrence__session__status=Session.Status.CANCELLED)
        .filter(person__deactivated_at__isnull=True)  # someone who left is asked nothing
        .filter(~Exists(asked))
        .values_list("occurrence_id", "person_id", "mode", "occurrence__end", "recorded_at")[:limit]
    )
    rows: list[SurveyRequest] = []
    for occurrence_id, person_id, mode, end, recorded_at in attendances:
        base = max(end, recorded_at) if mode == Attendance.Mode.RECORDING else end
        rows += _request_rows(
            occurrence_id=occurrence_id,
            person_id=person_id,
            mode=mode,
            base=base,
            now=now,
            templates=templates,
            kinds=ATTENDEE_KINDS,
        )
    if Kind.RETROSPECTIVE in templates:
        pairs = list(
            Session.speakers.through.objects.filter(
                session__occurrences__end__lte=now,
                session__occurrences__end__gte=since,
                session__status__in=[Session.Status.SCHEDULED, Session.Status.DONE],
                person__deactivated_at__isnull=True,
            ).values_list("session__occurrences__id", "person_id", "session__occurrences__end")[
                :limit
            ]
        )
        done = set(
            SurveyRequest.objects.filter(
                kind=Kind.RETROSPECTIVE,
                occurrence_id__in={occurrence_id for occurrence_id, _, _ in pairs},
            ).values_list("occurrence_id", "person_id")
        )
        for occurrence_id, person_id, end in pairs:
            if (occurrence_id, person_id) in done:
                continue
            rows += _request_rows(
                occurrence_id=occurrence_id,
                person_id=person_id,
                mode=SPEAKER_MODE,
                base=end,
                now=now,
                templates=templates,
                kinds=(Kind.RETROSPECTIVE,),
            )
    with transaction.atomic():
        SurveyRequest.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def survey_link_create(*, request: SurveyRequest, now: datetime) -> str:
    token = "kfs_" + secrets.token_urlsafe(32)
    SurveyLink.objects.create(
        request=request, token_hash=survey_link_token_hash(token), created_at=now
    )
    return token


def survey_link_url(token: str) -> str:
    base = getattr(settings, "KNOWFLOW_BASE_URL", "http://127.0.0.1:8000")
    return f"{base}/feedback/r/{token}/"


def _email_request(*, request: SurveyRequest, token: str, reminder: bool) -> None:
    """Queue the email for a request, in the caller's transaction.

    The outbox is the only way out (see `knowflow.mail`); the dedupe key makes a retried step
    write one email. The in-app list on the home page needs nothing more: it reads the request.
    """
    person = request.person
    if not person.email:
        return
    title = request.occurrence.session.title
    what = request.get_kind_display().lower()
    subject = (f"Reminder: {what} survey" if reminder else f"Your feedback: {title}")[:255]
    body = (
        f"Hello {person.display_name},\n\n"
        f"{'A reminder: ' if reminder else ''}please answer the {what} survey about “{title}”. "
        f"It takes two minutes{' and is anonymous' if request.template.anonymous else ''}.\n\n"
        f"{survey_link_url(token)}\n\n"
        f"The link is personal, works once, and closes on {request.expires_at:%d %B %Y}.\n\n"
        "— Knowflow\n"
    )
    outbox_enqueue_feedback_email(
        recipient=person.email,
        subject=subject,
        body=body,
        dedupe_key=f"feedback-{'reminder' if reminder else 'request'}:{request.pk}",
    )


@dataclass
class DispatchReport:
    sent: int = 0
    reminded: int = 0
    expired: int = 0
    cancelled: int = 0
    skipped: int = 0
    details: list[str] = field(default_factory=list)


def feedback_dispatch_due(*, now: datetime, limit: int = 500) -> DispatchReport:
    """Move every due request one step: send, remind once, or expire. Safe to run anywhere,
    any number of times: see the module docstring."""
    report = DispatchReport()
    # Unsent requests whose window already closed are expired in one statement first, so a
    # backlog (a freshly loaded demo, a worker down for weeks) neither gets mailed nor fills
    # the batch ahead of the requests that are still worth sending. They have no link yet.
    report.expired = SurveyRequest.objects.filter(
        status=SurveyRequest.Status.SCHEDULED,
        next_action_at__lte=now,
        due_at__lte=now - link_validity(),
    ).update(status=SurveyRequest.Status.EXPIRED, next_action_at=None)
    for request in feedback_requests_due(now=now, limit=limit):
        with transaction.atomic():
            step = _dispatch_one(request, now=now)
        setattr(report, step, getattr(report, step) + 1)
    return report


def _claim(request: SurveyRequest, **changes: Any) -> bool:
    """Apply `changes` only if the request is still in the state we read (optimistic lock)."""
    return bool(
        SurveyRequest.objects.filter(
            pk=request.pk,
            status=request.status,
            reminder_sent=request.reminder_sent,
            next_action_at=request.next_action_at,
        ).update(**changes)
    )


def _dispatch_one(request: SurveyRequest, *, now: datetime) -> str:
    Status = SurveyRequest.Status
    if request.status == Status.SCHEDULED:
        if request.occurrence.session.status == Session.Status.CANCELLED:
            return (
                "cancelled"
                if _claim(request, status=Status.CANCELLED, next_action_at=None)
                else "skipped"
            )
        # A request whose window closed while no worker ran (a freshly loaded demo, a worker
        # down for weeks) is expired, never mailed: a survey about a session months ago is
        # noise, and its answers would be too late to count.
        if request.due_at + link_validity() <= now:
            return (
                "expired"
                if _claim(request, status=Status.EXPIRED, next_action_at=None)
                else "skipped"
            )
        expires = now + link_validity()
        remind = now + reminder_after()
        if not _claim(
            request,
            status=Status.SENT,
            sent_at=now,
            expires_at=expires,
            next_action_at=min(remind, expires),
        ):
            return "skipped"
        request.status, request.sent_at, request.expires_at = Status.SENT, now, expires
        _email_request(
            request=request, token=survey_link_create(request=request, now=now), reminder=False
        )
        return "sent"
    if not request.reminder_sent and request.expires_at and now < request.expires_at:
        if not _claim(request, reminder_sent=True, next_action_at=request.expires_at):
            return "skipped"
        _email_request(
            request=request, token=survey_link_create(request=request, now=now), reminder=True
        )
        return "reminded"
    if not _claim(request, status=Status.EXPIRED, next_action_at=None):
        return "skipped"
    SurveyLink.objects.filter(request=request).delete()
    return "expired"


def feedback_tick(*, now: datetime | None = None) -> DispatchReport:
    """One pass of the worker: write new requests, then move the due ones."""
    now = now or timezone.now()
    feedback_requests_create_due(now=now)
    return feedback_dispatch_due(now=now)
