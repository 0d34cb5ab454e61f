"""Everything that changes feedback: templates and their versions, survey requests and their
distribution, responses, and retrospectives.

Distribution runs in two idempotent steps that the worker repeats (`feedback_tick`):

1. `feedback_requests_create_due` finds attendances of occurrences that have ended and writes
   their requests (after the session, +7, +30, +90 days) and the speakers' retrospective
   requests. A unique (occurrence, person, kind) constraint makes a re-run a no-op.
2. `feedback_dispatch_due` takes the requests whose `next_action_at` has come and moves each
   one step: send (a fresh personal link and an email), remind once, or expire. Each step is
   a conditional UPDATE on the state the worker read, so two workers (or a retry after a
   crash) cannot both take it; the email is written in the same transaction through the
   outbox, with a dedupe key, so it exists exactly when the step committed.

Responses: `survey_response_submit` validates every answer before writing anything, writes the
response, its answers and the tally in one transaction, and marks the request answered. For an
anonymous template nothing links the response to the person (see `models`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.crypto import salted_hmac

from knowflow.accounts.models import Person
from knowflow.errors import Conflict, DomainError, Forbidden, NotFound
from knowflow.events.models import Attendance, Occurrence, Session
from knowflow.feedback import permissions
from knowflow.feedback.models import (
    FOLLOW_UP_DAYS,
    TALLY_COLUMNS,
    Answer,
    AnswerTally,
    Kind,
    Question,
    Response,
    ResponseAuthor,
    ResponseTally,
    Retrospective,
    RetrospectiveAction,
    RetrospectiveVersion,
    SessionTally,
    Standard,
    SurveyLink,
    SurveyRequest,
    SurveyTemplate,
)

MAX_TEXT = 5000
MAX_QUESTIONS = 40
SPEAKER_MODE = "speaker"
ATTENDEE_KINDS = (Kind.AFTER_SESSION, Kind.FOLLOW_UP_7, Kind.FOLLOW_UP_30, Kind.FOLLOW_UP_90)


class SurveyClosed(DomainError):
    status_code = 410


class AlreadyAnswered(Conflict):
    pass


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


# Templates ---------------------------------------------------------------------------------


def _check_options(spec: Mapping[str, Any], key: str) -> list[dict[str, str]]:
    qtype = spec["type"]
    raw = spec.get("options") or []
    if qtype == Question.Type.TEXT:
        if raw:
            raise DomainError(
                f"Question '{key}': a free-text question has no options.", field="options"
            )
        return []
    if qtype == Question.Type.SCALE:
        values = [str(option.get("value")) for option in raw] if raw else []
        if values and values != [str(n) for n in range(11)]:
            raise DomainError(
                f"Question '{key}': a 0–10 scale lists the values 0 to 10 in order.",
                field="options",
            )
        if not raw:
            raise DomainError(
                f"Question '{key}': say which of 0–10 are unacceptable, acceptable and superior.",
                field="options",
            )
    if len(raw) < 2:
        raise DomainError(
            f"Question '{key}': a choice question needs at least two options.", field="options"
        )
    options, seen = [], set()
    for option in raw:
        if not isinstance(option, Mapping):
            raise DomainError(f"Question '{key}': each option is an object.", field="options")
        value = str(option.get("value", "")).strip()
        label = str(option.get("label", "")).strip()
        standard = option.get("standard")
        if not value or len(value) > 60:
            raise DomainError(
                f"Question '{key}': each option needs a value (at most 60 characters).",
                field="options",
            )
        if value in seen:
            raise DomainError(
                f"Question '{key}': the option '{value}' appears twice.", field="options"
            )
        if not label:
            raise DomainError(
                f"Question '{key}': the option '{value}' needs a label.", field="options"
            )
        if standard not in Standard.values:
            raise DomainError(
                f"Question '{key}': say whether '{value}' is unacceptable, acceptable or superior "
                "(the standard is fixed before any answer is collected).",
                field="options",
            )
        seen.add(value)
        options.append({"value": value, "label": label[:300], "standard": standard})
    return options


def question_validate(*, spec: Mapping[str, Any]) -> dict[str, Any]:
    """Check one question of a template and return it normalised; raises DomainError."""
    key = str(spec.get("key", "")).strip()
    if not key or len(key) > 60 or not all(c.isalnum() or c in "-_" for c in key):
        raise DomainError(
            "Each question needs a key of letters, digits, '-' or '_' (at most 60).", field="key"
        )
    text = str(spec.get("text", "")).strip()
    if not text or len(text) > 300:
        raise DomainError(f"Question '{key}' needs a text of at most 300 characters.", field="text")
    if spec.get("type") not in Question.Type.values:
        raise DomainError(
            f"Question '{key}': the type must be one of {', '.join(Question.Type.values)}.",
            field="type",
        )
    if spec.get("kirkpatrick") not in Question.Kirkpatrick.values:
        raise DomainError(
            f"Question '{key}': the Kirkpatrick level is 1, 2, 3 or 4.", field="kirkpatrick"
        )
    if str(spec.get("ltem")) not in Question.Ltem.values:
        raise DomainError(
            f"Question '{key}': the LTEM tier is one of {', '.join(Question.Ltem.values)}.",
            field="ltem",
        )
    if str(spec.get("ltem")) not in Question.SURVEY_LTEM_TIERS:
        # Honest tagging: "I applied it" or "it saved me hours" is still the learner's own
        # report, so it cannot claim the tiers of observed transfer or measured effects.
        raise DomainError(
            f"Question '{key}': a survey answer is the person's own account, so its LTEM tier "
            "is 3A (perceived effectiveness), 3B (satisfaction, reputation) or 2 (activity). "
            "Tiers 1 and 4–8 need recorded or observed evidence (attendance, a scored test, a "
            "completed task, a figure a manager or a system entered), not a survey.",
            field="ltem",
        )
    return {
        "key": key,
        "text": text,
        "help_text": str(spec.get("help_text", "")).strip()[:300],
        "type": spec["type"],
        "required": bool(spec.get("required", True)),
        "kirkpatrick": int(spec["kirkpatrick"]),
        "ltem": str(spec["ltem"]),
        "options": _check_options(spec, key),
    }


def _check_questions(questions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    checked = [question_validate(spec=spec) for spec in questions]
    if not checked:
        raise DomainError("A survey needs at least one question.", field="questions")
    if len(checked) > MAX_QUESTIONS:
        raise DomainError(f"A survey has at most {MAX_QUESTIONS} questions.", field="questions")
    keys = [q["key"] for q in checked]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise DomainError(
            f"Question keys must be unique; repeated: {', '.join(duplicates)}.", field="questions"
        )
    return checked


def _write_template(
    *,
    family: str,
    version: int,
    name: str,
    description: str,
    kind: str,
    anonymous: bool,
    is_default: bool,
    questions: list[dict[str, Any]],
    actor: Person | None,
) -> SurveyTemplate:
    template = SurveyTemplate.objects.create(
        family=family,
        version=version,
        is_current=True,
        name=name,
        description=description,
        kind=kind,
        anonymous=anonymous,
        is_default=is_default,
        created_by=actor,
        created_at=timezone.now(),
    )
    Question.objects.bulk_create(
        Question(template=template, position=position, **question)
        for position, question in enumerate(questions, start=1)
    )
    return template


def _template_fields(name: str, kind: str) -> tuple[str, str]:
    name = name.strip()
    if not name or len(name) > 150:
        raise DomainError("A survey needs a name of at most 150 characters.", field="name")
    if kind not in Kind.values:
        raise DomainError(f"The kind must be one of {', '.join(Kind.values)}.", field="kind")
    return name, kind


_QUESTION_FIELDS = (
    "key",
    "text",
    "help_text",
    "type",
    "required",
    "kirkpatrick",
    "ltem",
    "options",
)


def _question_dicts(template: SurveyTemplate) -> list[dict[str, Any]]:
    """A template's questions in the shape `_check_questions` takes: what a new version or a
    copy starts from."""
    return [{f: getattr(q, f) for f in _QUESTION_FIELDS} for q in template.questions.all()]


@transaction.atomic
def survey_template_create(
    *,
    actor: Person,
    name: str,
    kind: str,
    questions: list[Mapping[str, Any]],
    anonymous: bool = True,
    description: str = "",
) -> SurveyTemplate:
    """A new survey (a new family, version 1). Enablers only."""
    if not permissions.can_manage_templates(actor=actor):
        raise Forbidden("Only enablers create survey templates.")
    name, kind = _template_fields(name, kind)
    from django.utils.text import slugify

    base = slugify(name)[:60] or "survey"
    family, n = base, 1
    while SurveyTemplate.objects.filter(family=family).exists():
        n += 1
        family = f"{base}-{n}"
    return _write_template(
        family=family,
        version=1,
        name=name,
        description=description.strip(),
        kind=kind,
        anonymous=anonymous,
        is_default=False,
        questions=_check_questions(questions),
        actor=actor,
    )


@transaction.atomic
def survey_template_revise(
    *,
    template: SurveyTemplate,
    actor: Person,
    name: str | None = None,
    description: str | None = None,
    anonymous: bool | None = None,
    questions: list[Mapping[str, Any]] | None = None,
) -> SurveyTemplate:
    """Edit a survey by writing its next version; the previous one is kept untouched.

    Answers point at the questions of the version they answered, so they and the standards
    they were judged by never change. Requests already made keep their version; new
    requests use the new one. Shipped templates are copied, not revised.
    """
    if not permissions.can_manage_templates(actor=actor):
        raise Forbidden("Only enablers edit survey templates.")
    current = SurveyTemplate.objects.select_for_update().get(pk=template.pk)
    if not current.is_current:
        raise Conflict(
            f"This is version {current.version}; edit the current version instead.", field="version"
        )
    if current.shipped:
        raise DomainError("Knowflow's own templates cannot be edited; copy one and edit the copy.")
    new_name, _ = _template_fields(name if name is not None else current.name, current.kind)
    if questions is None:
        questions = _question_dicts(current)
    checked = _check_questions(questions)
    SurveyTemplate.objects.filter(pk=current.pk).update(is_current=False, is_default=False)
    return _write_template(
        family=current.family,
        version=current.version + 1,
        name=new_name,
        description=(description if description is not None else current.description).strip(),
        kind=current.kind,
        anonymous=current.anonymous if anonymous is None else anonymous,
        is_default=current.is_default,
        questions=checked,
        actor=actor,
    )


@transaction.atomic
def survey_template_copy(*, template: SurveyTemplate, actor: Person, name: str) -> SurveyTemplate:
    """Start a new survey from an existing one (how enablers adapt the shipped templates)."""
    questions = _question_dicts(template)
    return survey_template_create(
        actor=actor,
        name=name,
        kind=template.kind,
        questions=questions,
        anonymous=template.anonymous,
        description=template.description,
    )


@transaction.atomic
def survey_template_make_default(*, template: SurveyTemplate, actor: Person) -> SurveyTemplate:
    """Use this template for new requests of its kind."""
    if not permissions.can_manage_templates(actor=actor):
        raise Forbidden("Only enablers choose the default surveys.")
    if not template.is_current:
        raise Conflict("Only the current version of a survey can be the default.")
    SurveyTemplate.objects.filter(kind=template.kind, is_default=True).exclude(
        pk=template.pk
    ).update(is_default=False)
    SurveyTemplate.objects.filter(pk=template.pk).update(is_default=True)
    template.is_default = True
    return template


def default_templates() -> dict[str, SurveyTemplate]:
    return {t.kind: t for t in SurveyTemplate.objects.filter(is_current=True, is_default=True)}


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
    mode = _mode_of(occurrence=occurrence, person=person, kind=kind)
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


def _mode_of(*, occurrence: Occurrence, person: Person, kind: str) -> str:
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


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_link(request: SurveyRequest, now: datetime) -> str:
    token = "kfs_" + secrets.token_urlsafe(32)
    SurveyLink.objects.create(request=request, token_hash=_hash_token(token), created_at=now)
    return token


def survey_link_url(token: str) -> str:
    base = getattr(settings, "KNOWFLOW_BASE_URL", "http://127.0.0.1:8000")
    return f"{base}/feedback/r/{token}/"


def _email_request(*, request: SurveyRequest, token: str, reminder: bool) -> None:
    """Queue the email for a request, in the caller's transaction.

    The outbox is the only way out (see `integrations`); the dedupe key makes a retried step
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


def outbox_enqueue_feedback_email(
    *, recipient: str, subject: str, body: str, dedupe_key: str
) -> None:
    """The one call into the email outbox (knowflow.integrations), in the caller's transaction."""
    from knowflow.integrations.models import OutboxMessage
    from knowflow.integrations.services import outbox_enqueue_email

    outbox_enqueue_email(
        kind=OutboxMessage.Kind.SURVEY,
        recipient=recipient,
        subject=subject,
        body=body,
        dedupe_key=dedupe_key,
    )


@dataclass
class DispatchReport:
    sent: int = 0
    reminded: int = 0
    expired: int = 0
    cancelled: int = 0
    skipped: int = 0
    details: list[str] = field(default_factory=list)


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
        _email_request(request=request, token=_new_link(request, now), reminder=False)
        return "sent"
    if not request.reminder_sent and request.expires_at and now < request.expires_at:
        if not _claim(request, reminder_sent=True, next_action_at=request.expires_at):
            return "skipped"
        _email_request(request=request, token=_new_link(request, now), reminder=True)
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


# Answering ---------------------------------------------------------------------------------


def survey_request_for_token(*, token: str, now: datetime | None = None) -> SurveyRequest:
    """The request a personal link opens, or a clear error (unknown, used, expired)."""
    link = (
        SurveyLink.objects.filter(token_hash=_hash_token(token or ""))
        .select_related("request__template", "request__occurrence__session", "request__person")
        .first()
    )
    if link is None:
        raise NotFound(
            "This survey link is not valid: it may have been used already, or replaced by the "
            "one in a newer email."
        )
    _check_open(link.request, now=now or timezone.now())
    return link.request


def _check_open(request: SurveyRequest, *, now: datetime) -> None:
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


def _tally_answers(response: Response, rows: list[tuple[Question, str, str]]) -> None:
    """Add this response to the per-option counts of its segment (one row per value, plus the
    empty value once per answered question)."""
    wanted: dict[tuple[int, str], int] = {}
    for question, value, _text in rows:
        wanted[(question.pk, "")] = 1
        if question.is_choice and value:
            wanted[(question.pk, value)] = wanted.get((question.pk, value), 0) + 1
    segment = {
        "occurrence_id": response.occurrence_id,
        "kind": response.kind,
        "mode": response.mode,
        "org_unit_id": response.org_unit_id,
        "office_id": response.office_id,
    }
    existing: dict[tuple[int, str], int] = {}
    for pk, question_id, value in (
        AnswerTally.objects.filter(**segment, question_id__in={q for q, _ in wanted})
        .order_by("id")
        .values_list("id", "question_id", "value")
    ):
        existing.setdefault((question_id, value), pk)
    for key, pk in existing.items():
        if key in wanted:
            AnswerTally.objects.filter(pk=pk).update(count=F("count") + wanted[key])
    AnswerTally.objects.bulk_create(
        AnswerTally(**segment, question_id=question_id, value=value, count=n)
        for (question_id, value), n in wanted.items()
        if (question_id, value) not in existing
    )


def _tally(response: Response, rows: list[tuple[Question, str, str]]) -> None:
    _tally_answers(response, rows)
    counts = {s: 0 for s in Standard.values}
    applied_asked = applied_yes = 0
    for question, value, _text in rows:
        if question.is_choice and value:
            standard = question.option_map()[value]["standard"]
            counts[standard] += 1
            if question.key == "applied":
                applied_asked += 1
                applied_yes += standard != Standard.UNACCEPTABLE
    values = {
        "responses": 1,
        "unacceptable": counts[Standard.UNACCEPTABLE],
        "acceptable": counts[Standard.ACCEPTABLE],
        "superior": counts[Standard.SUPERIOR],
        "applied_asked": applied_asked,
        "applied_yes": applied_yes,
    }
    common = {"template_id": response.template_id, "kind": response.kind, "mode": response.mode}
    _add_to_tally(
        ResponseTally,
        {
            **common,
            "occurrence_id": response.occurrence_id,
            "org_unit_id": response.org_unit_id,
            "office_id": response.office_id,
        },
        values,
    )
    _add_to_tally(SessionTally, {**common, "session_id": response.occurrence.session_id}, values)


def _add_to_tally(model: type[ResponseTally | SessionTally], key: dict, values: dict) -> None:
    """Add values to the first row of this key, or write the row. Two concurrent first
    answers may both write a row; readers sum, so the totals stay right."""
    row = model.objects.filter(**key).order_by("id").values_list("id", flat=True).first()
    increments = {f: F(f) + n for f, n in values.items()}
    # The row may have gone since it was read (a rebuild replaced it): then write a new one.
    if row is None or not model.objects.filter(pk=row).update(**increments):
        model.objects.create(**key, **values)


@transaction.atomic
def feedback_tallies_rebuild(
    *,
    session_ids: Iterable[int] | None = None,
    progress: Callable[[str], None] | None = None,
) -> int:
    """Recompute `SessionTally` from `ResponseTally`: for every session (after a bulk load)
    or for some (a date deleted or moved to another session: see `feedback.signals`).
    Returns the number of rows written.

    A response submitted meanwhile is not lost: either this read sees its per-occurrence
    tally, or its own write finds its per-session row gone and writes a new one.
    """
    stale = SessionTally.objects.all()
    source = ResponseTally.objects.all()
    if session_ids is not None:
        session_ids = list(session_ids)
        stale = stale.filter(session_id__in=session_ids)
        source = source.filter(occurrence__session_id__in=session_ids)
    stale.delete()
    rows = (
        source.values("occurrence__session_id", "template_id", "kind", "mode")
        .annotate(**{f"sum_{f}": Sum(f) for f in TALLY_COLUMNS})
        .order_by()
    )
    written, batch = 0, []
    for row in rows.iterator(chunk_size=10_000):
        batch.append(
            SessionTally(
                session_id=row["occurrence__session_id"],
                template_id=row["template_id"],
                kind=row["kind"],
                mode=row["mode"],
                **{f: row[f"sum_{f}"] or 0 for f in TALLY_COLUMNS},
            )
        )
        if len(batch) >= 10_000:
            SessionTally.objects.bulk_create(batch)
            written += len(batch)
            batch = []
            if progress:
                progress(f"{written:,} session tally rows")
    SessionTally.objects.bulk_create(batch)
    written += len(batch)
    if progress:
        progress(f"{written:,} session tally rows, done")
    return written


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
            _check_open(request, now=now)
            mode = _mode_of(occurrence=request.occurrence, person=request.person, kind=request.kind)
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
            _tally(response, rows)
            # The request forgets when it was answered (no timestamp), and its links go: the
            # link is single-use, and a used one must not be able to open anything again.
            SurveyRequest.objects.filter(pk=request.pk).update(
                status=SurveyRequest.Status.ANSWERED, next_action_at=None
            )
            SurveyLink.objects.filter(request=request).delete()
    except IntegrityError as error:
        if "submission_key" in str(error) or "UNIQUE" in str(error).upper():
            raise AlreadyAnswered(
                "You have already answered this survey; your first answers were kept."
            ) from None
        raise
    return response


def survey_request_for_viewer(*, request_id: int, viewer: Person) -> SurveyRequest:
    request = (
        SurveyRequest.objects.select_related("template", "occurrence__session", "person")
        .filter(pk=request_id)
        .first()
    )
    if request is None or not permissions.can_answer_request(actor=viewer, request=request):
        raise NotFound("There is no such survey among yours.")
    return request


# Retrospectives ----------------------------------------------------------------------------


class RetrospectiveChanged(Conflict):
    """Someone saved the retrospective after the editor opened it."""


def _retro_for(occurrence: Occurrence, actor: Person) -> Retrospective:
    if not permissions.can_edit_retrospective(actor=actor, session=occurrence.session):
        raise Forbidden("Only the session's speakers and enablers keep its retrospective.")
    if occurrence.start > timezone.now():
        # Looking back on a date that has not happened yet would be guessing.
        raise DomainError(
            "A retrospective (and its actions) can be written once the date has started.",
            field="retrospective",
        )
    retro, _ = Retrospective.objects.get_or_create(
        occurrence=occurrence, defaults={"updated_at": timezone.now(), "updated_by": actor}
    )
    return retro


@transaction.atomic
def retrospective_save(
    *,
    occurrence: Occurrence,
    actor: Person,
    went_well: str,
    to_change: str,
    hybrid_notes: str = "",
    based_on: int | None = None,
) -> Retrospective:
    """Save the retrospective's text as its next version; the earlier versions are kept.

    ``based_on`` is the version the editor started from (the edit page sends it): if someone
    saved a newer one since, nothing is written and `RetrospectiveChanged` says who, so the
    editor can merge instead of overwriting; leaving it out once a version exists is treated
    the same way, so no caller overwrites blindly. Saving the same text again writes nothing.
    Speakers of the session and enablers only.
    """
    retro = _retro_for(occurrence, actor)
    # The row lock makes "read the version, write the next one" one step: two saves at once
    # cannot both become version n + 1 (the unique constraint would refuse the second anyway).
    retro = Retrospective.objects.select_for_update().get(pk=retro.pk)
    # Naming no version is only safe for the very first save.
    started_from = 0 if based_on is None else based_on
    if started_from != retro.version:
        who = retro.updated_by.display_name if retro.updated_by else "someone"
        raise RetrospectiveChanged(
            f"{who} saved a newer version (version {retro.version}) while you were editing. "
            "Nothing was saved: compare your text with theirs below and save again.",
            field="retrospective",
        )
    text = (went_well.strip(), to_change.strip(), hybrid_notes.strip())
    if len(max(text, key=len)) > MAX_TEXT:
        raise DomainError(
            f"Each part of the retrospective has at most {MAX_TEXT} characters.",
            field="retrospective",
        )
    if retro.version and text == (retro.went_well, retro.to_change, retro.hybrid_notes):
        return retro
    now = timezone.now()
    retro.went_well, retro.to_change, retro.hybrid_notes = text
    retro.updated_by, retro.updated_at, retro.version = actor, now, retro.version + 1
    retro.save()
    RetrospectiveVersion.objects.create(
        retrospective=retro,
        number=retro.version,
        went_well=retro.went_well,
        to_change=retro.to_change,
        hybrid_notes=retro.hybrid_notes,
        saved_by=actor,
        saved_at=now,
    )
    # Writing it on the session's retrospective page does what the "Write your retrospective"
    # request asked: it leaves the writer's to-do, and no reminder follows.
    open_requests = SurveyRequest.objects.filter(
        occurrence=occurrence, person=actor, kind=Kind.RETROSPECTIVE
    ).exclude(status__in=[SurveyRequest.Status.ANSWERED, SurveyRequest.Status.EXPIRED])
    SurveyLink.objects.filter(request__in=open_requests).delete()
    open_requests.update(status=SurveyRequest.Status.ANSWERED, next_action_at=None)
    return retro


@transaction.atomic
def retrospective_action_add(
    *,
    occurrence: Occurrence,
    actor: Person,
    text: str,
    owner: Person | None,
    due_on: date | None = None,
) -> RetrospectiveAction:
    """Add an action to an occurrence's retrospective. Anyone may own it (not only the
    speakers: the room's AV team, a manager); a due date is optional. Speakers of the session
    and enablers only."""
    text = text.strip()
    if not text or len(text) > 300:
        raise DomainError("An action needs a text of at most 300 characters.", field="text")
    retro = _retro_for(occurrence, actor)
    if due_on is not None and due_on < timezone.localdate(occurrence.start):
        raise DomainError(
            "The due date cannot be before the session date "
            f"({timezone.localdate(occurrence.start):%-d %b %Y}).",
            field="due_on",
        )
    return RetrospectiveAction.objects.create(
        retrospective=retro, text=text, owner=owner, due_on=due_on, created_at=timezone.now()
    )


@transaction.atomic
def retrospective_action_set_done(
    *, action: RetrospectiveAction, actor: Person, done: bool
) -> RetrospectiveAction:
    """Mark an action done (or open again): its owner, the session's speakers and enablers."""
    session = action.retrospective.occurrence.session
    if not permissions.can_set_action_done(actor=actor, action=action, session=session):
        raise Forbidden(
            "Only the action's owner, the session's speakers and enablers mark it done."
        )
    action.done = done
    action.save(update_fields=["done"])
    return action
