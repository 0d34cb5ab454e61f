"""Feedback pages: answering (by personal link or in the app), a session's results and its
CSV, the retrospective, a speaker's sessions over time, the programme and evidence views, and
the survey templates. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from knowflow import csvsafe, l10n
from knowflow.accounts.models import Person
from knowflow.accounts.selectors import person_for_picker
from knowflow.circles.models import Circle
from knowflow.errors import DomainError, Forbidden
from knowflow.events.models import Occurrence, Session
from knowflow.events.selectors import occurrence_get
from knowflow.feedback import charts, permissions
from knowflow.feedback.forms import (
    ActionForm,
    RetrospectiveForm,
    SurveyForm,
    SurveyTemplateForm,
)
from knowflow.feedback.models import Kind, SurveyRequest, SurveyTemplate
from knowflow.feedback.selectors import retrospectives as retrospective_selectors
from knowflow.feedback.selectors.anonymity import (
    MODES,
    TOO_FEW,
    SegmentFilters,
    min_group,
    segment_choices,
)
from knowflow.feedback.selectors.evidence import EVIDENCE_LEVELS, evidence_view
from knowflow.feedback.selectors.programme import (
    GROUP_LABELS,
    GROUPS,
    ProgrammeFilters,
    programme_view,
)
from knowflow.feedback.selectors.requests import (
    pending_requests_for,
    survey_request_for_token,
    survey_request_for_viewer,
)
from knowflow.feedback.selectors.results import (
    SessionResults,
    feedback_summary_for_session,
    session_for_results,
)
from knowflow.feedback.selectors.retrospectives import (
    RetrospectiveEditing,
    retrospective_for_editing,
)
from knowflow.feedback.selectors.speakers import speaker_sessions_over_time
from knowflow.feedback.selectors.templates import survey_template_get, template_list
from knowflow.feedback.services import retrospectives as retrospective_services
from knowflow.feedback.services.responses import survey_response_submit
from knowflow.feedback.services.retrospectives import (
    RetrospectiveChanged,
    retrospective_action_set_done,
)
from knowflow.feedback.services.templates import (
    survey_template_copy,
    survey_template_create,
    survey_template_make_default,
    survey_template_revise,
)
from knowflow.web.errors import add_to_form, flash, refusal_as_page
from knowflow.xapi.services import xapi_applied_offered, xapi_follow_up_submit


def _survey_unavailable(request: HttpRequest, error: DomainError) -> HttpResponse:
    """A survey that cannot be answered (closed, expired, used) has a page of its own; a
    refusal (not yours, no such survey) gets the usual page."""
    refusal_as_page(error)
    return render(
        request, "feedback/closed.html", {"message": error.message}, status=error.status_code
    )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


# Answering ---------------------------------------------------------------------------------

# The follow-up form's box "also record in my learning record that I applied this"; not a
# question key (those are identifiers), so it never collides with an answer.
RECORD_APPLIED_FIELD = "record-applied-in-lrs"


def _answer(request: HttpRequest, survey: SurveyRequest, *, action: str) -> HttpResponse:
    questions = list(survey.template.questions.all())
    form = SurveyForm(request.POST or None, questions=questions)
    # A follow-up may also be recorded in the company's learning record store, by name, but
    # only if the person ticks the box (unticked by default): see knowflow.xapi.services.
    offer_xapi = xapi_applied_offered(request=survey)
    record_applied = offer_xapi and request.POST.get(RECORD_APPLIED_FIELD) == "1"
    recorded = False
    if request.method == "POST":
        try:
            if offer_xapi:
                _, recorded = xapi_follow_up_submit(
                    request=survey, answers=form.answers(), record_applied=record_applied
                )
            else:
                survey_response_submit(request=survey, answers=form.answers())
        except DomainError as error:
            if error.field in form.fields:
                form.is_valid()
                add_to_form(form, error)
            else:
                return _survey_unavailable(request, error)
        else:
            return render(
                request,
                "feedback/thanks.html",
                {"survey": survey, "record_applied": record_applied, "recorded": recorded},
            )
    return render(
        request,
        "feedback/answer.html",
        {
            "survey": survey,
            "form": form,
            "action": action,
            "offer_xapi": offer_xapi,
            "record_applied_field": RECORD_APPLIED_FIELD,
            "record_applied": record_applied,
        },
    )


def answer_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """The personal link from the email: works without signing in, once."""
    try:
        survey = survey_request_for_token(token=token)
    except DomainError as error:
        return _survey_unavailable(request, error)
    return _answer(request, survey, action=request.path)


@login_required
def answer_in_app(request: HttpRequest, request_id: int) -> HttpResponse:
    try:
        survey = survey_request_for_viewer(request_id=request_id, viewer=request.viewer)
    except DomainError as error:
        return _survey_unavailable(request, error)
    return _answer(request, survey, action=request.path)


@login_required
def my_requests(request: HttpRequest) -> HttpResponse:
    """Every survey waiting for the viewer (the home page shows the first few)."""
    return render(
        request,
        "feedback/my_requests.html",
        {"feedback_requests": pending_requests_for(person=request.viewer, limit=500)},
    )


# Results -----------------------------------------------------------------------------------


def _segment(request: HttpRequest) -> SegmentFilters:
    mode = request.GET.get("mode", "")
    return SegmentFilters(
        mode=mode if mode in dict(MODES) else "",
        org_unit_id=_int(request.GET.get("org_unit")),
        office_id=_int(request.GET.get("office")),
    )


def _results(request: HttpRequest, slug: str, *, with_comments: bool = True) -> SessionResults:
    session = session_for_results(viewer=request.viewer, slug=slug)
    return feedback_summary_for_session(
        session=session,
        viewer=request.viewer,
        filters=_segment(request),
        occurrence_id=_int(request.GET.get("occurrence")),
        with_comments=with_comments,
    )


@login_required
def results(request: HttpRequest, slug: str) -> HttpResponse:
    summary = _results(request, slug)
    locale = l10n.viewer_locale(request)
    for kind in summary.kinds:
        for question in kind.questions:
            question.svg = (
                charts.distribution_svg(question.rows, title=question.text, locale=locale)
                if question.rows
                else ""
            )
    return render(
        request,
        "feedback/results.html",
        {
            "summary": summary,
            "choices": segment_choices(),
            "action_form": ActionForm(),
            "speakers": list(summary.session.speakers.all()),
            "too_few": TOO_FEW,
            "any_asked": any(kind.asked for kind in summary.kinds),
            "filtered": summary.filters.active or summary.occurrence_id is not None,
        },
    )


@login_required
def results_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The same aggregates as the page, in CSV: one row per answer option, then the comments
    (only where the page shows them, sorted, never in the order written). Never a row per
    response: for an anonymous survey that would be a table of people's answers."""
    summary = _results(request, slug)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="feedback-{summary.session.slug}.csv"'
    writer = csvsafe.writer(response)
    writer.writerow(
        [
            "survey",
            "question",
            "kirkpatrick",
            "ltem",
            "answer",
            "standard",
            "count",
            "share",
            "note",
        ]
    )
    for kind in summary.kinds:
        if not kind.visible:
            writer.writerow([kind.label, "", "", "", "", "", "", "", TOO_FEW])
            continue
        for q in kind.questions:
            if q.answered is None:
                # As on the page: an optional question answered by fewer than k, no count.
                writer.writerow(
                    [kind.label, q.text, q.kirkpatrick, q.ltem, "", "", "", "", TOO_FEW]
                )
                continue
            for row in q.rows:
                writer.writerow(
                    [
                        kind.label,
                        q.text,
                        q.kirkpatrick,
                        q.ltem,
                        row.label,
                        row.standard,
                        row.count,
                        f"{row.share:.3f}",
                        "",
                    ]
                )
            for comment in q.comments:
                writer.writerow(
                    [kind.label, q.text, q.kirkpatrick, q.ltem, comment, "", "", "", "comment"]
                )
    return response


def _retro_page(
    request: HttpRequest,
    editing: RetrospectiveEditing,
    form: RetrospectiveForm,
    *,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "feedback/retrospective_form.html",
        {"editing": editing, "form": form},
        status=status,
    )


@login_required
def retrospective_save(request: HttpRequest, occurrence_id: int) -> HttpResponse:
    """The retrospective's edit page: the current text in the form, every earlier version
    below it; saving writes the next version."""
    editing = retrospective_for_editing(viewer=request.viewer, occurrence_id=occurrence_id)
    retro = editing.retrospective
    if request.method != "POST":
        initial = {"based_on": retro.version if retro else 0}
        if retro:
            initial |= {f: getattr(retro, f) for f in ("went_well", "to_change", "hybrid_notes")}
        return _retro_page(request, editing, RetrospectiveForm(initial=initial))
    form = RetrospectiveForm(request.POST)
    if not form.is_valid():
        return _retro_page(request, editing, form, status=400)
    try:
        saved = retrospective_services.retrospective_save(
            occurrence=editing.occurrence, actor=request.viewer, **form.cleaned_data
        )
    except RetrospectiveChanged as error:
        # Keep what this person typed, show the newer version above it, and let the next save
        # knowingly replace it.
        editing = retrospective_for_editing(viewer=request.viewer, occurrence_id=occurrence_id)
        data = request.POST.copy()
        data["based_on"] = str(editing.retrospective.version if editing.retrospective else 0)
        form = RetrospectiveForm(data)
        form.is_valid()
        add_to_form(form, error)
        return _retro_page(request, editing, form, status=error.status_code)
    except DomainError as error:
        refusal_as_page(error)
        add_to_form(form, error)
        return _retro_page(request, editing, form, status=error.status_code)
    messages.success(request, f"Retrospective saved (version {saved.version}).")
    return redirect(
        reverse("feedback:results", args=[editing.occurrence.session.slug]) + "#retrospective"
    )


def _action_page(
    request: HttpRequest, occurrence: Occurrence, form: ActionForm, *, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "feedback/action_form.html",
        {
            "occurrence": occurrence,
            "form": form,
            "suggestions": _owner_suggestions(request, occurrence),
        },
        status=status,
    )


def _owner_suggestions(request: HttpRequest, occurrence: Occurrence) -> list[Person]:
    """Names the browser offers while typing (no script needed): the speakers and the viewer.
    Anyone else's name typed in full, or a unique part of it, works too."""
    people = {p.pk: p for p in occurrence.session.speakers.all()}
    people.setdefault(request.viewer.pk, request.viewer)
    return sorted(people.values(), key=lambda p: p.display_name)


@login_required
def retrospective_action_add(request: HttpRequest, occurrence_id: int) -> HttpResponse:
    """Add an action (a page of its own, so a name that matches nobody or several people is
    answered next to the field with the input kept; the results page posts here too)."""
    occurrence = occurrence_get(id=occurrence_id)
    if not permissions.can_edit_retrospective(actor=request.viewer, session=occurrence.session):
        raise Forbidden("Only the session's speakers and enablers keep its retrospective.")
    if request.method != "POST":
        return _action_page(request, occurrence, ActionForm())
    form = ActionForm(request.POST)
    if not form.is_valid():
        return _action_page(request, occurrence, form, status=400)
    try:
        owner_text = form.cleaned_data["owner"].strip()
        owner = person_for_picker(text=owner_text, field="owner") if owner_text else None
        action = retrospective_services.retrospective_action_add(
            occurrence=occurrence,
            actor=request.viewer,
            text=form.cleaned_data["text"],
            owner=owner,
            due_on=form.cleaned_data["due_on"],
        )
    except DomainError as error:
        refusal_as_page(error)
        add_to_form(form, error)
        return _action_page(request, occurrence, form, status=400)
    owned = f" for {action.owner.display_name}" if action.owner else ""
    messages.success(request, f"Action added{owned}.")
    return redirect(reverse("feedback:results", args=[occurrence.session.slug]) + "#retrospective")


@login_required
@require_POST
def retrospective_action_done(request: HttpRequest, action_id: int) -> HttpResponse:
    action = retrospective_selectors.retrospective_action_get(id=action_id)
    done = request.POST.get("done") == "1"
    retrospective_action_set_done(action=action, actor=request.viewer, done=done)
    messages.success(request, f"“{action.text}” is {'done' if done else 'open again'}.")
    # Back to where the button was (the open actions list, the home page), never off-site.
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect(
        reverse("feedback:results", args=[action.retrospective.occurrence.session.slug])
        + "#retrospective"
    )


@login_required
def open_actions(request: HttpRequest) -> HttpResponse:
    view = retrospective_selectors.open_actions(viewer=request.viewer)
    return render(request, "feedback/actions.html", {"view": view, "today": timezone.localdate()})


@login_required
def my_sessions(request: HttpRequest) -> HttpResponse:
    person = request.viewer
    if request.GET.get("person") and request.viewer.is_enabler:
        person = Person.objects.filter(slug=request.GET["person"]).first() or person
    sessions = speaker_sessions_over_time(viewer=request.viewer, person=person)
    for entry in sessions:
        for row in entry["rows"]:
            row.svg = charts.standards_svg(
                row.unacceptable,
                row.acceptable,
                row.superior,
                # What a screen reader says for the chart: the date as the page shows it,
                # in the viewer's zone (not the stored UTC timestamp).
                title=date_format(timezone.localtime(row.occurrence.start), "D j M Y, H:i T"),
                locale=l10n.viewer_locale(request),
            )
    return render(
        request,
        "feedback/my_sessions.html",
        {"person": person, "sessions": sessions, "too_few": TOO_FEW},
    )


def _date(value: str | None, *, end: bool = False) -> datetime | None:
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    return datetime.combine(
        day, time.max if end else time.min, tzinfo=timezone.get_current_timezone()
    )


@login_required
def programme(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", Kind.AFTER_SESSION)
    filters = ProgrammeFilters(
        kind=kind,
        group_by=request.GET.get("group_by", "session"),
        since=_date(request.GET.get("since")),
        until=_date(request.GET.get("until"), end=True),
        circle_id=_int(request.GET.get("circle")),
        format=request.GET.get("format", "")
        if request.GET.get("format") in Session.Format.values
        else "",
        segment=_segment(request),
    )
    view = programme_view(viewer=request.viewer, filters=filters)
    for row in [*view.rows, view.total]:
        row.svg = (
            charts.standards_svg(
                row.unacceptable,
                row.acceptable,
                row.superior,
                title=row.label,
                locale=l10n.viewer_locale(request),
            )
            if row.visible
            else ""
        )
    return render(
        request,
        "feedback/programme.html",
        {
            "view": view,
            "choices": segment_choices(),
            "circles": Circle.objects.only("id", "name"),
            "formats": Session.Format.choices,
            "kinds": [(k, label) for k, label in Kind.choices if k != Kind.RETROSPECTIVE],
            "groups": [(g, GROUP_LABELS[g]) for g in GROUPS],
            "group_label": GROUP_LABELS.get(view.filters.group_by, "Session"),
            "too_few": TOO_FEW,
            # Leaders read the programme, not a session's own results (its speakers do).
            "link_results": request.viewer.is_enabler,
        },
    )


@login_required
def evidence(request: HttpRequest) -> HttpResponse:
    rows = evidence_view(viewer=request.viewer, since=_date(request.GET.get("since")))
    return render(
        request,
        "feedback/evidence.html",
        {
            "rows": rows,
            "levels": list(EVIDENCE_LEVELS.items()),
            "k": min_group(),
            "link_results": request.viewer.is_enabler,
        },
    )


@login_required
def templates(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "feedback/templates.html",
        {
            "templates": template_list(include_old=request.GET.get("all") == "1"),
            "can_manage": permissions.can_manage_templates(actor=request.viewer),
        },
    )


@login_required
@require_POST
def template_copy(request: HttpRequest, template_id: int) -> HttpResponse:
    template = survey_template_get(id=template_id)
    try:
        copy = survey_template_copy(
            template=template,
            actor=request.viewer,
            name=request.POST.get("name") or f"{template.name} (copy)",
        )
    except DomainError as error:
        refusal_as_page(error)
        flash(request, error)
        return redirect("feedback:templates")
    messages.success(request, f"Created “{copy.name}”. Edit it, or make it the default.")
    return redirect("feedback:templates")


def _template_to_manage(*, viewer: Person, template_id: int) -> SurveyTemplate:
    """The template an enabler works on, with its questions; refused to anyone else."""
    if not permissions.can_manage_templates(actor=viewer):
        raise Forbidden("Only enablers edit survey templates.")
    return survey_template_get(id=template_id)


def _template_form_submit(
    request: HttpRequest,
    form: SurveyTemplateForm,
    *,
    save: Callable[[], SurveyTemplate],
    saved: Callable[[SurveyTemplate], str],
) -> HttpResponse | None:
    """Save a posted, valid template form with ``save`` and go back to the templates with the
    ``saved`` message. A refusal to the person is an error page; any other refusal shows on the
    form. None when the form is to be shown (again)."""
    if not form.is_bound or not form.is_valid():
        return None
    try:
        template = save()
    except DomainError as error:
        refusal_as_page(error)
        form.add_domain_error(error)
        return None
    messages.success(request, saved(template))
    return redirect("feedback:templates")


@login_required
def template_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    """Edit a survey on a page: saving writes its next version (`survey_template_revise`)."""
    template = _template_to_manage(viewer=request.viewer, template_id=template_id)
    data = request.POST if request.method == "POST" else None
    form = SurveyTemplateForm(data, template=template)
    response = _template_form_submit(
        request,
        form,
        save=lambda: survey_template_revise(
            template=template,
            actor=request.viewer,
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            anonymous=form.cleaned_data["anonymous"],
            questions=form.question_specs(),
        ),
        saved=lambda revised: (
            f"Saved “{revised.name}” as version {revised.version}. New survey requests use "
            "it; answers already given keep the version they answered."
        ),
    )
    if response is not None:
        return response
    current = (
        template
        if template.is_current
        else SurveyTemplate.objects.filter(family=template.family, is_current=True).first()
    )
    return render(
        request,
        "feedback/template_form.html",
        {
            "form": form,
            "template": template,
            "current": current,
            "editable": template.is_current and not template.shipped,
            "title": f"Edit “{template.name}” (version {template.version})",
            "submit": f"Save as version {template.version + 1}",
        },
    )


@login_required
def template_new(request: HttpRequest) -> HttpResponse:
    """A new survey from a blank form (`survey_template_create`)."""
    if not permissions.can_manage_templates(actor=request.viewer):
        raise Forbidden("Only enablers create survey templates.")
    data = request.POST if request.method == "POST" else None
    form = SurveyTemplateForm(data, with_kind=True, blank_questions=3)
    response = _template_form_submit(
        request,
        form,
        save=lambda: survey_template_create(
            actor=request.viewer,
            name=form.cleaned_data["name"],
            kind=form.cleaned_data["kind"],
            description=form.cleaned_data["description"],
            anonymous=form.cleaned_data["anonymous"],
            questions=form.question_specs(),
        ),
        saved=lambda created: (
            f"Created “{created.name}” (version 1). Make it the default to use it for new "
            "survey requests."
        ),
    )
    if response is not None:
        return response
    return render(
        request,
        "feedback/template_form.html",
        {"form": form, "editable": True, "title": "New survey", "submit": "Create survey"},
    )


@login_required
@require_POST
def template_make_default(request: HttpRequest, template_id: int) -> HttpResponse:
    try:
        template = _template_to_manage(viewer=request.viewer, template_id=template_id)
        survey_template_make_default(template=template, actor=request.viewer)
    except DomainError as error:
        refusal_as_page(error)
        flash(request, error)
    else:
        messages.success(
            request,
            f"New “{template.get_kind_display()}” requests now use “{template.name}” "
            f"(version {template.version}).",
        )
    return redirect("feedback:templates")
