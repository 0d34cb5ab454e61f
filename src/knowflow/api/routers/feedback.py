"""Feedback API: survey templates, requests, answering through the personal link (no sign-in),
and a session's aggregated results under the same anonymity rules as the pages.

No endpoint returns a response row or an answer row: results come only as aggregates from
`feedback.selectors`, which hide every group below the minimum size.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field, StrictBool

from knowflow.accounts import selectors as accounts_selectors
from knowflow.api.auth import viewer
from knowflow.api.schemas import BodyIn, BoundedDate, DatabaseInt, NoBool, SmallCount, one_of, text
from knowflow.errors import DomainError
from knowflow.events import selectors as events_selectors
from knowflow.events.models import Attendance, Session
from knowflow.feedback.models import (
    Kind,
    Question,
    RetrospectiveAction,
    SurveyRequest,
    SurveyTemplate,
)
from knowflow.feedback.selectors import retrospectives as retrospective_selectors
from knowflow.feedback.selectors import templates as template_selectors
from knowflow.feedback.selectors.anonymity import TOO_FEW, SegmentFilters
from knowflow.feedback.selectors.programme import (
    GROUPS,
    TALLY_FIELDS,
    ProgrammeFilters,
    ProgrammeRow,
    programme_view,
)
from knowflow.feedback.selectors.requests import pending_requests_for, survey_request_for_token
from knowflow.feedback.selectors.results import feedback_summary_for_session, session_for_results
from knowflow.feedback.selectors.retrospectives import open_actions_owned_by
from knowflow.feedback.services.requests import survey_request_create
from knowflow.feedback.services.responses import survey_response_submit
from knowflow.feedback.services.retrospectives import retrospective_action_set_done
from knowflow.feedback.services.templates import survey_template_create, survey_template_revise
from knowflow.xapi.services import xapi_applied_offered, xapi_follow_up_submit

router = Router(tags=["feedback"])

QuestionKey = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[-a-zA-Z0-9_]+$")]
QuestionText = text(max_length=300)
QuestionType = one_of(*Question.Type.values)
LtemLevel = one_of(*Question.Ltem.values)
TemplateName = text(max_length=150)
SurveyKind = one_of(*Kind.values)
AttendeeSurveyKind = one_of(*(k for k in Kind.values if k != Kind.RETROSPECTIVE))
ProgrammeGroup = one_of(*GROUPS)
ModeFilter = one_of("", *Attendance.Mode.values)
FormatFilter = one_of("", *Session.Format.values)


class OptionOut(Schema):
    value: str
    label: str
    standard: str


class QuestionOut(Schema):
    key: str
    text: str
    help_text: str
    type: str
    required: bool
    kirkpatrick: SmallCount
    ltem: str
    options: list[OptionOut]


class TemplateOut(Schema):
    id: int
    family: str
    version: int
    is_current: bool
    name: str
    description: str
    kind: str
    anonymous: bool
    is_default: bool
    shipped: bool
    questions: list[QuestionOut]

    @staticmethod
    def resolve_questions(obj: SurveyTemplate) -> list[Any]:
        return list(obj.questions.all())


class QuestionIn(BodyIn):
    key: QuestionKey
    text: QuestionText
    help_text: str = Field("", max_length=300)
    type: QuestionType
    required: bool = True
    kirkpatrick: Annotated[int, Field(ge=1, le=4), NoBool]
    ltem: LtemLevel
    options: list[dict[str, Any]] = []


class TemplateIn(BodyIn):
    name: TemplateName
    kind: SurveyKind
    anonymous: bool = True
    description: str = ""
    questions: list[QuestionIn]


class TemplatePatch(BodyIn):
    name: TemplateName | None = None
    description: str | None = None
    anonymous: bool | None = None
    questions: list[QuestionIn] | None = None


class RequestOut(Schema):
    id: int
    occurrence_id: DatabaseInt
    session: str
    kind: str
    template_id: DatabaseInt
    status: str
    due_at: Any
    expires_at: Any = None

    @staticmethod
    def resolve_session(obj: SurveyRequest) -> str:
        return obj.occurrence.session.title


class RequestIn(BodyIn):
    occurrence_id: DatabaseInt
    person_id: DatabaseInt
    kind: SurveyKind


class SurveyOut(Schema):
    session: str
    occurrence_start: Any
    template: TemplateOut
    offers_learning_record: bool = Field(
        description="Whether `record_applied_in_lrs` may be sent with the answers: a 30- or "
        "90-day follow-up, with a learning record store configured."
    )


class AnswersIn(BodyIn):
    answers: dict[str, Any]
    record_applied_in_lrs: StrictBool = Field(
        default=False,
        description="The person asks to also record in their company's learning record store, "
        "by name, that they applied what they learned (sent only if their answer says so; "
        "nothing else of the answers is sent). Only where the survey offers it.",
    )


class SubmittedOut(Schema):
    detail: str


class OptionResultOut(Schema):
    value: str
    label: str
    standard: str
    count: int
    share: float


class ThemeOut(Schema):
    label: str
    count: int
    quotes: list[str]


class QuestionResultOut(Schema):
    key: str
    text: str
    type: str
    kirkpatrick: SmallCount
    ltem: str
    answered: int | None  # null when fewer than k answered the question
    distribution: list[OptionResultOut]
    comments: list[str]
    themes: list[ThemeOut]


class KindResultOut(Schema):
    kind: str
    anonymous: bool
    asked: int
    answered: int | None  # null below the minimum group
    responses: int | None
    visible: bool
    note: str
    applied_share: float | None
    questions: list[QuestionResultOut]


class ResultsOut(Schema):
    session_id: DatabaseInt
    min_group: int
    surveys: list[KindResultOut]


class ResultsQuery(Schema):
    occurrence_id: DatabaseInt | None = None
    mode: ModeFilter = ""
    org_unit_id: DatabaseInt | None = None
    office_id: DatabaseInt | None = None


class ProgrammeQuery(Schema):
    kind: AttendeeSurveyKind = Kind.AFTER_SESSION
    group_by: ProgrammeGroup = "session"
    since: BoundedDate | None = Field(None, description="First day (UTC); default: a year ago.")
    until: BoundedDate | None = Field(None, description="Last day (UTC), included; default: today.")
    circle_id: DatabaseInt | None = None
    format: FormatFilter = ""
    mode: ModeFilter = ""
    org_unit_id: DatabaseInt | None = None
    office_id: DatabaseInt | None = None


class ProgrammeRowOut(Schema):
    key: str | None
    label: str
    sessions: int
    responses: int
    unacceptable: int
    acceptable: int
    superior: int
    applied_asked: int
    applied_yes: int


class ProgrammeOut(Schema):
    min_group: int
    kind: str
    group_by: str
    groups: int = Field(description="Groups in all; `rows` holds the first 200.")
    left_out: int = Field(description="Sessions with responses that no row counts (below k).")
    rows: list[ProgrammeRowOut]
    total: ProgrammeRowOut


def _programme_row(row: ProgrammeRow) -> dict[str, Any]:
    return {
        "key": None if row.key is None else str(row.key),
        "label": row.label,
        "sessions": row.sessions,
        "responses": row.n,
        **{f: getattr(row, f) for f in TALLY_FIELDS},
    }


@router.get("/programme", response=ProgrammeOut)
def programme(request: HttpRequest, filters: Query[ProgrammeQuery]) -> dict[str, Any]:
    """The programme view (enablers and leaders): the same groups and anonymity rules as the
    page."""
    if filters.kind not in Kind.values or filters.kind == Kind.RETROSPECTIVE:
        raise DomainError(f"Unknown survey kind '{filters.kind}'.", field="kind")
    if filters.group_by not in GROUPS:
        raise DomainError(f"group_by must be one of {', '.join(GROUPS)}.", field="group_by")
    view = programme_view(
        viewer=viewer(request),
        filters=ProgrammeFilters(
            kind=filters.kind,
            group_by=filters.group_by,
            since=datetime.combine(filters.since, time.min, UTC) if filters.since else None,
            until=datetime.combine(filters.until, time.max, UTC) if filters.until else None,
            circle_id=filters.circle_id,
            format=filters.format,
            segment=SegmentFilters(
                mode=filters.mode, org_unit_id=filters.org_unit_id, office_id=filters.office_id
            ),
        ),
    )
    return {
        "min_group": view.k,
        "kind": filters.kind,
        "group_by": filters.group_by,
        "groups": view.groups,
        "left_out": view.left_out,
        "rows": [_programme_row(row) for row in view.rows],
        "total": _programme_row(view.total),
    }


@router.get("/templates", response=list[TemplateOut])
def template_list(request: HttpRequest, all_versions: bool = False) -> list[SurveyTemplate]:
    return template_selectors.template_list(include_old=all_versions)


@router.get("/templates/{template_id}", response=TemplateOut)
def template_get(request: HttpRequest, template_id: DatabaseInt) -> SurveyTemplate:
    return template_selectors.survey_template_get(id=template_id)


@router.post("/templates", response={201: TemplateOut})
def template_create(request: HttpRequest, payload: TemplateIn) -> tuple[int, SurveyTemplate]:
    template = survey_template_create(
        actor=viewer(request),
        name=payload.name,
        kind=payload.kind,
        anonymous=payload.anonymous,
        description=payload.description,
        questions=[q.dict() for q in payload.questions],
    )
    return 201, template


@router.patch("/templates/{template_id}", response={201: TemplateOut})
def template_revise(
    request: HttpRequest, template_id: DatabaseInt, payload: TemplatePatch
) -> tuple[int, SurveyTemplate]:
    """Write the next version (201: a new template id); the edited version stays as it was."""
    template = template_selectors.survey_template_get(id=template_id)
    revised = survey_template_revise(
        template=template,
        actor=viewer(request),
        name=payload.name,
        description=payload.description,
        anonymous=payload.anonymous,
        questions=[q.dict() for q in payload.questions] if payload.questions is not None else None,
    )
    return 201, revised


@router.get("/requests", response=list[RequestOut])
def request_list(request: HttpRequest) -> list[SurveyRequest]:
    """Your surveys waiting for an answer."""
    return pending_requests_for(person=viewer(request), limit=100)


@router.post("/requests", response={201: RequestOut})
def request_create(request: HttpRequest, payload: RequestIn) -> tuple[int, SurveyRequest]:
    occurrence = events_selectors.occurrence_get(id=payload.occurrence_id, field="occurrence_id")
    person = accounts_selectors.person_get(id=payload.person_id, field="person_id")
    return 201, survey_request_create(
        occurrence=occurrence, person=person, kind=payload.kind, actor=viewer(request)
    )


@router.get("/links/{token}", response=SurveyOut, auth=None)
def link_survey(request: HttpRequest, token: str) -> dict[str, Any]:
    """The survey a personal link opens (no sign-in: the link is the credential)."""
    survey = survey_request_for_token(token=token)
    return {
        "session": survey.occurrence.session.title,
        "occurrence_start": survey.occurrence.start,
        "template": survey.template,
        "offers_learning_record": xapi_applied_offered(request=survey),
    }


@router.post("/links/{token}/response", response={201: SubmittedOut}, auth=None)
def link_submit(request: HttpRequest, token: str, payload: AnswersIn) -> tuple[int, dict[str, str]]:
    """Answer through the personal link. Nothing about the response is returned: for an
    anonymous survey not even its id, which would let the caller point at it later."""
    survey = survey_request_for_token(token=token)
    if xapi_applied_offered(request=survey):
        _, recorded = xapi_follow_up_submit(
            request=survey, answers=payload.answers, record_applied=payload.record_applied_in_lrs
        )
        if recorded:
            return 201, {
                "detail": "Thank you: your answers were saved, and your company's learning "
                "record will say, with your name, that you applied it."
            }
    elif payload.record_applied_in_lrs:
        raise DomainError(
            "This survey does not offer recording in your company's learning record (only the "
            "30- and 90-day follow-ups do, when a learning record store is configured).",
            field="record_applied_in_lrs",
        )
    else:
        survey_response_submit(request=survey, answers=payload.answers)
    return 201, {"detail": "Thank you: your answers were saved."}


@router.get("/sessions/{session_id}/results", response=ResultsOut)
def session_results(
    request: HttpRequest, session_id: DatabaseInt, filters: Query[ResultsQuery]
) -> dict[str, Any]:
    session = events_selectors.session_get(id=session_id)
    session = session_for_results(viewer=viewer(request), slug=session.slug)
    summary = feedback_summary_for_session(
        session=session,
        viewer=viewer(request),
        filters=SegmentFilters(
            mode=filters.mode, org_unit_id=filters.org_unit_id, office_id=filters.office_id
        ),
        occurrence_id=filters.occurrence_id,
    )
    return {
        "session_id": session.pk,
        "min_group": summary.k,
        "surveys": [
            {
                "kind": kind.kind,
                "anonymous": kind.anonymous,
                "asked": kind.asked,
                "answered": kind.answered,
                "responses": kind.n if kind.visible else None,
                "visible": kind.visible,
                "note": "" if kind.visible else TOO_FEW,
                "applied_share": kind.applied_share,
                "questions": [
                    {
                        "key": q.key,
                        "text": q.text,
                        "type": q.type,
                        "kirkpatrick": q.kirkpatrick,
                        "ltem": q.ltem,
                        "answered": q.answered,
                        "distribution": [vars(row) for row in q.rows],
                        "comments": q.comments,
                        "themes": [
                            {"label": t.label, "count": t.count, "quotes": t.quotes}
                            for t in q.themes
                        ],
                    }
                    for q in kind.questions
                ],
            }
            for kind in summary.kinds
        ],
    }


# Retrospective actions ---------------------------------------------------------------------


class ActionOut(Schema):
    id: int
    text: str
    done: bool
    due_on: date | None
    owner_id: int | None
    owner_name: str | None
    session_id: int
    session_title: str
    occurrence_id: int
    occurrence_start: datetime


class OpenActionsOut(Schema):
    total: int = Field(description="Every open action, even beyond the first 500 listed.")
    actions: list[ActionOut]


class ActionDoneIn(BodyIn):
    done: bool = True


def _action_out(action: RetrospectiveAction) -> dict[str, Any]:
    occurrence = action.retrospective.occurrence
    return {
        "id": action.pk,
        "text": action.text,
        "done": action.done,
        "due_on": action.due_on,
        "owner_id": action.owner_id,
        "owner_name": action.owner.display_name if action.owner else None,
        "session_id": occurrence.session_id,
        "session_title": occurrence.session.title,
        "occurrence_id": occurrence.pk,
        "occurrence_start": occurrence.start,
    }


@router.get("/actions", response=OpenActionsOut)
def open_actions(request: HttpRequest) -> dict[str, Any]:
    """Every open action across the programme, soonest due first (enablers)."""
    view = retrospective_selectors.open_actions(viewer=viewer(request))
    return {"total": view.total, "actions": [_action_out(a) for a in view.rows]}


@router.get("/actions/mine", response=list[ActionOut])
def my_actions(request: HttpRequest) -> list[dict[str, Any]]:
    """The open actions you own."""
    return [_action_out(a) for a in open_actions_owned_by(person=viewer(request))]


@router.post("/actions/{action_id}/done", response=ActionOut)
def action_done(request: HttpRequest, action_id: int, payload: ActionDoneIn) -> dict[str, Any]:
    """Mark an action done (`{"done": false}` opens it again): its owner, the session's
    speakers and enablers."""
    action = retrospective_selectors.retrospective_action_get(id=action_id)
    retrospective_action_set_done(action=action, actor=viewer(request), done=payload.done)
    return _action_out(action)
