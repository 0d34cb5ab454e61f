"""The call for proposals' pages: the call (and a member's own proposals and co-speaker
requests), writing or editing a proposal, withdrawing it, answering as a co-speaker, the
organisers' settings of the call and their list of every proposal."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from knowflow.accounts.models import Person
from knowflow.conferences import proposals, selectors
from knowflow.conferences.forms import CallForm, ProposalForm
from knowflow.conferences.models import Conference, Proposal
from knowflow.conferences.permissions import can_manage_conferences, can_see_conferences
from knowflow.errors import DomainError, Forbidden
from knowflow.events.models import Session
from knowflow.web.errors import add_to_form, flash, refusal_as_page


class _ViewerRequest(HttpRequest):
    viewer: Person | None


def _member(request: _ViewerRequest) -> Person:
    viewer = request.viewer
    if viewer is None or not can_see_conferences(actor=viewer):
        raise Forbidden("Conferences are for the organisation's members.")
    return viewer


def _days(conference: Conference) -> list[tuple[str, str]]:
    found, day = [], conference.starts_on
    while day <= conference.ends_on:
        found.append((day.isoformat(), f"{day:%a} {day.day} {day:%b}"))
        day += timedelta(days=1)
    return found


def _proposal_form(
    conference: Conference, viewer: Person, data: object = None, initial: dict | None = None
) -> ProposalForm:
    labels = dict(Session.Format.choices)
    return ProposalForm(
        data,
        initial=initial,
        formats=[(f, labels.get(f, f)) for f in proposals.call_formats(conference)],
        tracks=[(str(t.pk), t.name) for t in conference.tracks.order_by("name")],
        days=_days(conference),
        questions=list(conference.cfp_questions),
        zone=viewer.timezone,
    )


@login_required
def call(request: _ViewerRequest, slug: str) -> HttpResponse:
    viewer = _member(request)
    conference = selectors.conference_get(slug=slug)
    manages = can_manage_conferences(actor=viewer)
    mine = list(proposals.proposals_of(person=viewer, conference=conference))
    state = proposals.call_state(conference)
    labels = dict(Session.Format.choices)
    counts = (
        {
            s: Proposal.objects.filter(conference=conference, state=s).count()
            for s in (Proposal.State.SUBMITTED, Proposal.State.ACCEPTED)
        }
        if manages
        else {}
    )
    return render(
        request,
        "conferences/call.html",
        {
            "conference": conference,
            "state": state,
            "open": state == proposals.CallState.OPEN,
            "formats": [labels.get(f, f) for f in proposals.call_formats(conference)],
            "tracks": list(conference.tracks.order_by("name")),
            "mine": [
                {
                    "proposal": p,
                    "editable": state == proposals.CallState.OPEN
                    and p.state in (Proposal.State.DRAFT, Proposal.State.SUBMITTED),
                    "withdrawable": p.state in (Proposal.State.DRAFT, Proposal.State.SUBMITTED),
                    "co_speakers": list(p.speakers.all()),
                }
                for p in mine
            ],
            "asked": list(proposals.asked_to_cospeak(person=viewer, conference=conference)),
            "manages": manages,
            "counts": counts,
            "has_wanted": Proposal.objects.filter(
                conference=conference, state__in=proposals.WANTABLE
            ).exists(),
        },
    )


def _fields(form: ProposalForm, conference: Conference, submit: bool) -> proposals.ProposalFields:
    data = form.cleaned_data
    track = conference.tracks.filter(pk=data["track"]).first() if data.get("track") else None
    return proposals.ProposalFields(
        title=data["title"],
        abstract=data["abstract"],
        format=data["format"],
        level=data["level"],
        track=track,
        answers=form.answers(),
        co_speakers=list(data.get("co_speakers") or []),
        available_days=[date.fromisoformat(d) for d in data.get("available_days", [])],
        available_from=data.get("available_from"),
        available_until=data.get("available_until"),
        submit=submit,
    )


def _edit(
    request: _ViewerRequest, conference: Conference, proposal: Proposal | None
) -> HttpResponse:
    viewer = _member(request)
    if proposal is not None and proposal.submitter_id != viewer.pk:
        raise Forbidden("Only the person who proposed it edits a proposal.")
    initial = None
    if proposal is not None:
        initial = {
            "title": proposal.title,
            "abstract": proposal.abstract,
            "format": proposal.format,
            "level": proposal.level,
            "track": str(proposal.track_id or ""),
            "co_speakers": [row.person for row in proposal.speakers.select_related("person")],
            "available_days": proposal.available_days,
            "available_from": proposal.available_from,
            "available_until": proposal.available_until,
            **{
                f"answer_{n}": proposal.answers.get(q, "")
                for n, q in enumerate(conference.cfp_questions)
            },
        }
    form = _proposal_form(conference, viewer, initial=initial)
    status = 200
    if request.method == "POST":
        form = _proposal_form(conference, viewer, data=request.POST)
        submit = request.POST.get("submit") == "1"
        if form.is_valid():
            try:
                saved = proposals.proposal_save(
                    actor=viewer,
                    conference=conference,
                    fields=_fields(form, conference, submit),
                    proposal=proposal,
                )
            except DomainError as error:
                refusal_as_page(error)
                if error.field in form.fields:
                    add_to_form(form, error)
                elif error.field == "answers" and conference.cfp_questions:
                    add_to_form(form, DomainError(error.message, field="answer_0"))
                else:
                    form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    f"“{saved.title}” is submitted: you can still change it until the call closes."
                    if saved.state == Proposal.State.SUBMITTED
                    else f"“{saved.title}” is saved as a draft: submit it before the call closes.",
                )
                return redirect("conferences:call", slug=conference.slug)
        status = 400
    return render(
        request,
        "conferences/proposal_form.html",
        {
            "conference": conference,
            "form": form,
            "proposal": proposal,
            "closes": conference.cfp_closes_at,
        },
        status=status,
    )


@login_required
def proposal_new(request: _ViewerRequest, slug: str) -> HttpResponse:
    conference = selectors.conference_get(slug=slug)
    if proposals.call_state(conference) != proposals.CallState.OPEN and request.method == "GET":
        messages.error(request, "The call for proposals is not open.")
        return redirect("conferences:call", slug=slug)
    return _edit(request, conference, None)


@login_required
def proposal_edit(request: _ViewerRequest, slug: str, pk: int) -> HttpResponse:
    conference = selectors.conference_get(slug=slug)
    return _edit(request, conference, proposals.proposal_get(conference=conference, pk=pk))


@login_required
@require_POST
def proposal_withdraw(request: _ViewerRequest, slug: str, pk: int) -> HttpResponse:
    viewer = _member(request)
    conference = selectors.conference_get(slug=slug)
    proposal = proposals.proposal_get(conference=conference, pk=pk)
    try:
        proposals.proposal_withdraw(actor=viewer, proposal=proposal)
    except DomainError as error:
        refusal_as_page(error)
        flash(request, error)
    else:
        messages.success(request, f"“{proposal.title}” is withdrawn.")
    return redirect("conferences:call", slug=slug)


@login_required
@require_POST
def cospeak(request: _ViewerRequest, slug: str, pk: int) -> HttpResponse:
    viewer = _member(request)
    conference = selectors.conference_get(slug=slug)
    proposal = proposals.proposal_get(conference=conference, pk=pk)
    answer = request.POST.get("answer")
    if answer not in ("confirm", "decline"):
        messages.error(request, "Choose to confirm or to decline.")
        return redirect("conferences:call", slug=slug)
    try:
        proposals.cospeaker_answer(actor=viewer, proposal=proposal, confirm=answer == "confirm")
    except DomainError as error:
        refusal_as_page(error)
        flash(request, error)
    else:
        messages.success(
            request,
            f"You are a speaker of “{proposal.title}”."
            if answer == "confirm"
            else f"You declined “{proposal.title}”.",
        )
    return redirect("conferences:call", slug=slug)


@login_required
def call_settings(request: _ViewerRequest, slug: str) -> HttpResponse:
    viewer = _member(request)
    if not can_manage_conferences(actor=viewer):
        raise Forbidden("Only enablers run a conference's call for proposals.")
    conference = selectors.conference_get(slug=slug)
    form = CallForm(
        initial={
            "opens_at": conference.cfp_opens_at and timezone.localtime(conference.cfp_opens_at),
            "closes_at": conference.cfp_closes_at and timezone.localtime(conference.cfp_closes_at),
            "formats": proposals.call_formats(conference),
            "questions": "\n".join(conference.cfp_questions),
        }
    )
    status = 200
    if request.method == "POST":
        form = CallForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                proposals.call_update(
                    actor=viewer,
                    conference=conference,
                    opens_at=data["opens_at"],
                    closes_at=data["closes_at"],
                    formats=data["formats"],
                    questions=data["questions"].splitlines(),
                )
            except DomainError as error:
                refusal_as_page(error)
                add_to_form(form, error)
            else:
                messages.success(request, "The call for proposals is saved.")
                return redirect("conferences:call", slug=slug)
        status = 400
    return render(
        request,
        "conferences/call_settings.html",
        {"conference": conference, "form": form},
        status=status,
    )


@login_required
def proposal_list(request: _ViewerRequest, slug: str) -> HttpResponse:
    """Every proposal that is not a draft, for organisers: who, what, where it stands."""
    viewer = _member(request)
    if not can_manage_conferences(actor=viewer):
        raise Forbidden("Only enablers see every proposal.")
    conference = selectors.conference_get(slug=slug)
    rows = []
    for proposal in (
        Proposal.objects.filter(conference=conference)
        .exclude(state=Proposal.State.DRAFT)
        .select_related("submitter", "track")
        .prefetch_related("speakers__person")
        .order_by("state", "-submitted_at", "-id")
    ):
        rows.append(
            {
                "proposal": proposal,
                "speakers": ", ".join(
                    [proposal.submitter.display_name]
                    + [
                        row.person.display_name + ("" if row.confirmed_at else " (not confirmed)")
                        for row in proposal.speakers.all()
                        if not row.declined_at
                    ]
                ),
                "availability": proposals.availability_text(proposal),
            }
        )
    counted = Counter(str(row["proposal"].state) for row in rows)  # type: ignore[attr-defined]
    return render(
        request,
        "conferences/proposal_list.html",
        {
            "conference": conference,
            "rows": rows,
            "zone": ZoneInfo(conference.timezone),
            "states": [
                (label, counted[value])
                for value, label in Proposal.State.choices
                if counted.get(value)
            ],
        },
    )


@login_required
def wanted(request: _ViewerRequest, slug: str) -> HttpResponse:
    """The proposed talks, without their speakers' names, for members to say which they would
    like to see: the audience interest the organisers weigh before building the programme."""
    viewer = _member(request)
    conference = selectors.conference_get(slug=slug)
    return render(
        request,
        "conferences/wanted.html",
        {
            "conference": conference,
            "rows": proposals.wanted_proposals(conference=conference, person=viewer),
            "manages": can_manage_conferences(actor=viewer),
        },
    )


@login_required
@require_POST
def want(request: _ViewerRequest, slug: str, pk: int) -> HttpResponse:
    viewer = _member(request)
    conference = selectors.conference_get(slug=slug)
    proposal = proposals.proposal_get(conference=conference, pk=pk)
    answer = request.POST.get("wanted")
    if answer not in ("0", "1"):
        messages.error(request, "Choose whether you would like to see it or not.")
        return redirect("conferences:wanted", slug=slug)
    try:
        proposals.proposal_star_set(actor=viewer, proposal=proposal, starred=answer == "1")
    except DomainError as error:
        refusal_as_page(error)
        flash(request, error)
        return redirect("conferences:wanted", slug=slug)
    title = proposals.public_title(proposal)
    messages.success(
        request,
        f"You would like to see “{title}”." if answer == "1" else f"“{title}” is off your list.",
    )
    return redirect(f"{reverse('conferences:wanted', args=[slug])}#proposal-{proposal.pk}")
