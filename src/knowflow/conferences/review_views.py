"""The review pages. Organisers: the review (phase, reviewers and categories, each track's team,
assignment and each reviewer's load), the ranked list, a proposal's anonymised abstract, and the decision on a
proposal (a confirmation page saying who is emailed). Reviewers: their proposals (to do and
done) and the review form of one, anonymised. Every refusal writes nothing and says why."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from knowflow.accounts.models import Person
from knowflow.conferences import review, selectors
from knowflow.conferences.models import Proposal, Track
from knowflow.conferences.permissions import can_manage_conferences, can_see_conferences
from knowflow.errors import DomainError, Forbidden
from knowflow.web.errors import add_to_form, flash, refusal_as_page


class _ViewerRequest(HttpRequest):
    viewer: Person | None


def _organiser(request: _ViewerRequest) -> Person:
    viewer = request.viewer
    if viewer is None or not can_manage_conferences(actor=viewer):
        raise Forbidden(review.ORGANISERS_ONLY)
    return viewer


def _member(request: _ViewerRequest) -> Person:
    viewer = request.viewer
    if viewer is None or not can_see_conferences(actor=viewer):
        raise Forbidden("Conferences are for the organisation's members.")
    return viewer


# Forms -------------------------------------------------------------------------------------------


class ReviewSettingsForm(forms.Form):
    reviewers = forms.CharField(required=False)  # a people picker, made in __init__
    categories = forms.CharField(
        label="Score categories",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One a line, with its weight: “Relevance: 2”. Left empty: Relevance ×2, "
        "Clarity ×1, Speaker's experience ×1. Reviewers score each from 1 to 5.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from knowflow.accounts.forms import PeopleField

        super().__init__(*args, **kwargs)
        self.fields["reviewers"] = PeopleField(
            label="Reviewers",
            help_text="Any colleagues. Nobody reviews their own proposal or one from a speaker "
            "of their org unit.",
        )


class TeamsForm(forms.Form):
    """A people picker per track, ``team_<track id>``: that track's team."""

    def __init__(self, *args: Any, teams: list[review.TrackTeam], **kwargs: Any) -> None:
        from knowflow.accounts.forms import PeopleField

        kwargs.setdefault("initial", {f"team_{team.track.pk}": team.members for team in teams})
        super().__init__(*args, **kwargs)
        self.tracks = [team.track for team in teams]
        for track in self.tracks:
            self.fields[f"team_{track.pk}"] = PeopleField(
                label=f"Reviewers of {track.name}",
                help_text=f"Some of the reviewers above: the proposals of {track.name} go to them "
                "only. Empty: to any reviewer.",
            )

    def teams(self) -> dict[Track, list[Person]]:
        return {track: list(self.cleaned_data[f"team_{track.pk}"]) for track in self.tracks}


class AssignForm(forms.Form):
    per_proposal = forms.IntegerField(
        label="Reviewers per proposal",
        min_value=review.PER_PROPOSAL_RANGE[0],
        max_value=review.PER_PROPOSAL_RANGE[-1],
        initial=review.PER_PROPOSAL,
        error_messages={
            "required": "Say how many reviewers each proposal gets.",
            "invalid": "Give a whole number, like 3.",
            "min_value": "At least %(limit_value)s.",
            "max_value": "At most %(limit_value)s.",
        },
    )


SCORE_CHOICES = [
    ("1", "1 (poor)"),
    ("2", "2"),
    ("3", "3"),
    ("4", "4"),
    ("5", "5 (excellent)"),
]


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label="Comment (optional)",
        required=False,
        max_length=review.COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="For the organisers: what decided your scores.",
        error_messages={"max_length": "A comment has at most %(limit_value)d characters."},
    )

    def __init__(self, *args: Any, categories: list[review.Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.categories = categories
        scores: dict[str, forms.Field] = {}
        for n, category in enumerate(categories):
            message = f"Give “{category.name}” a score from 1 to 5."
            scores[f"score_{n}"] = forms.ChoiceField(
                label=f"{category.name} (counts ×{category.weight})",
                choices=SCORE_CHOICES,
                widget=forms.RadioSelect,
                error_messages={"required": message, "invalid_choice": message},
            )
        comment = self.fields.pop("comment")
        self.fields.update(scores)
        self.fields["comment"] = comment

    def scores(self) -> dict[str, object]:
        return {c.name: int(self.cleaned_data[f"score_{n}"]) for n, c in enumerate(self.categories)}


class AbstractForm(forms.Form):
    anonymised_abstract = forms.CharField(
        label="What reviewers read",
        required=False,
        max_length=review.ABSTRACT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Markdown. Take out whatever gives the speakers away: names, teams, "
        "projects only they work on. Empty: the abstract with the speakers' names replaced "
        "by [speaker].",
        error_messages={"max_length": "An abstract has at most %(limit_value)d characters."},
    )


# Organisers --------------------------------------------------------------------------------------


@login_required
def review_home(request: _ViewerRequest, slug: str) -> HttpResponse:
    """The review of a conference: open or close it, reviewers and categories, assignment."""
    viewer = _organiser(request)
    conference = selectors.conference_get(slug=slug)
    settings_form = ReviewSettingsForm(
        initial={
            "reviewers": list(conference.reviewers.order_by("display_name", "id")),
            "categories": review.categories_text(review.categories_of(conference)),
        }
    )
    teams = review.review_teams(actor=viewer, conference=conference)
    teams_form = TeamsForm(teams=teams)
    assign_form = AssignForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "settings":
                settings_form = ReviewSettingsForm(request.POST)
                if settings_form.is_valid():
                    review.review_settings_update(
                        actor=viewer,
                        conference=conference,
                        reviewers=list(settings_form.cleaned_data["reviewers"]),
                        categories=review.categories_parse(
                            settings_form.cleaned_data["categories"]
                        ),
                    )
                    messages.success(request, "The reviewers and categories are saved.")
                    return redirect("conferences:review", slug=slug)
                status = 400
            elif action == "teams":
                teams_form = TeamsForm(request.POST, teams=teams)
                if teams_form.is_valid():
                    taken_back = review.review_teams_update(
                        actor=viewer, conference=conference, teams=teams_form.teams()
                    )
                    messages.success(request, "The track teams are saved.")
                    if taken_back:
                        messages.warning(
                            request,
                            f"{taken_back} assignment{'s' if taken_back != 1 else ''} outside "
                            "a track's team taken back: assign again to fill them from the team.",
                        )
                    return redirect(f"{reverse('conferences:review', args=[slug])}#teams")
                status = 400
            elif action == "assign":
                assign_form = AssignForm(request.POST)
                if assign_form.is_valid():
                    result = review.review_assign(
                        actor=viewer,
                        conference=conference,
                        per_proposal=assign_form.cleaned_data["per_proposal"],
                    )
                    messages.success(
                        request,
                        f"{result.added} assignment{'s' if result.added != 1 else ''} made.",
                    )
                    for shortage in result.short:
                        messages.warning(request, shortage.message)
                    return redirect(f"{reverse('conferences:review', args=[slug])}#assignment")
                status = 400
            elif action in ("open", "close"):
                review.review_phase_set(actor=viewer, conference=conference, open=action == "open")
                messages.success(
                    request,
                    "The review is open: reviewers can score their proposals."
                    if action == "open"
                    else "The review is closed: you can decide on the proposals.",
                )
                return redirect("conferences:review", slug=slug)
            else:
                raise DomainError("Choose what to do.")
        except DomainError as error:
            refusal_as_page(error)
            if action == "settings" and error.field in settings_form.fields:
                add_to_form(settings_form, error)
                status = 400
            elif action == "teams" and error.field in teams_form.fields:
                add_to_form(teams_form, error)
                status = 400
            elif action == "assign" and error.field in assign_form.fields:
                add_to_form(assign_form, error)
                status = 400
            else:
                flash(request, error)
                return redirect("conferences:review", slug=slug)
    overview = review.review_overview(actor=viewer, conference=conference)
    return render(
        request,
        "conferences/review_home.html",
        {
            "conference": conference,
            "overview": overview,
            "settings_form": settings_form,
            "teams": teams,
            "teams_form": teams_form,
            "assign_form": assign_form,
            "submitted": sum(
                1 for row in overview.ranked if row.proposal.state == Proposal.State.SUBMITTED
            ),
        },
        status=status,
    )


@login_required
def ranking(request: _ViewerRequest, slug: str) -> HttpResponse:
    """Every submitted or decided proposal, best first, with its speakers and score spread."""
    viewer = _organiser(request)
    conference = selectors.conference_get(slug=slug)
    overview = review.review_overview(actor=viewer, conference=conference)
    return render(
        request,
        "conferences/review_ranking.html",
        {"conference": conference, "overview": overview},
    )


@login_required
def abstract(request: _ViewerRequest, slug: str, pk: int) -> HttpResponse:
    """The organisers write what reviewers read instead of a proposal's abstract."""
    viewer = _organiser(request)
    conference = selectors.conference_get(slug=slug)
    proposal = review.proposal_for_organiser(actor=viewer, conference=conference, pk=pk)
    form = AbstractForm(initial={"anonymised_abstract": review.anonymised(proposal).abstract})
    status = 200
    if request.method == "POST":
        form = AbstractForm(request.POST)
        if form.is_valid():
            try:
                review.anonymised_abstract_update(
                    actor=viewer, proposal=proposal, text=form.cleaned_data["anonymised_abstract"]
                )
                messages.success(request, f"Reviewers of “{proposal.title}” read the new text.")
                return redirect("conferences:review_ranking", slug=slug)
            except DomainError as error:
                refusal_as_page(error)
                add_to_form(form, error)
        status = 400
    return render(
        request,
        "conferences/review_abstract.html",
        {
            "conference": conference,
            "proposal": proposal,
            "speakers": review.speakers_of(proposal),
            "form": form,
        },
        status=status,
    )


@login_required
def decide(request: _ViewerRequest, slug: str, pk: int) -> HttpResponse:
    """Check who will be told, then accept or reject a proposal (once)."""
    viewer = _organiser(request)
    conference = selectors.conference_get(slug=slug)
    proposal = review.proposal_for_organiser(actor=viewer, conference=conference, pk=pk)
    if request.method == "POST":
        decision = request.POST.get("decision")
        try:
            if decision not in ("accept", "reject"):
                raise DomainError("Choose to accept or to reject the proposal.")
            decided = review.proposal_decide(
                actor=viewer, proposal=proposal, accept=decision == "accept"
            )
            told = len(review.decision_recipients(proposal))
            messages.success(
                request,
                f"“{decided.title}” is {decided.get_state_display().lower()}; "
                f"{told} speaker{'s' if told != 1 else ''} emailed.",
            )
            return redirect("conferences:review_ranking", slug=slug)
        except DomainError as error:
            refusal_as_page(error)
            flash(request, error)
            return redirect("conferences:review_decide", slug=slug, pk=pk)
    row = next(
        (
            r
            for r in review.review_overview(actor=viewer, conference=conference).ranked
            if r.proposal.pk == proposal.pk
        ),
        None,
    )
    return render(
        request,
        "conferences/review_decide.html",
        {
            "conference": conference,
            "proposal": proposal,
            "row": row,
            "recipients": review.decision_recipients(proposal),
            "speakers": review.speakers_of(proposal),
        },
    )


# Reviewers ---------------------------------------------------------------------------------------


@login_required
def mine(request: _ViewerRequest, slug: str) -> HttpResponse:
    """The proposals given to the viewer to review: to do first, then done."""
    viewer = _member(request)
    conference = selectors.conference_get(slug=slug)
    rows = review.reviewer_assignments(reviewer=viewer, conference=conference)
    return render(
        request,
        "conferences/review_mine.html",
        {
            "conference": conference,
            "rows": rows,
            "done": sum(1 for row in rows if row.done),
            "manages": can_manage_conferences(actor=viewer),
        },
    )


@login_required
def review_proposal(request: _ViewerRequest, slug: str, pk: int) -> HttpResponse:
    """One proposal assigned to the viewer, anonymised, and their scores and comment."""
    viewer = _member(request)
    conference = selectors.conference_get(slug=slug)
    found = review.proposal_for_review(reviewer=viewer, conference=conference, pk=pk)
    categories = review.categories_of(conference)
    initial: dict[str, object] = {}
    if found.review is not None:
        initial = {
            f"score_{n}": str(found.review.scores.get(c.name, "")) for n, c in enumerate(categories)
        }
        initial["comment"] = found.review.comment
    form = ReviewForm(initial=initial, categories=categories)
    status = 200
    if request.method == "POST":
        form = ReviewForm(request.POST, categories=categories)
        if form.is_valid():
            try:
                review.review_submit(
                    actor=viewer,
                    proposal=Proposal(pk=pk),
                    scores=form.scores(),
                    comment=form.cleaned_data["comment"],
                )
                messages.success(request, f"Your review of “{found.proposal.title}” is saved.")
                return redirect("conferences:review_mine", slug=slug)
            except DomainError as error:
                refusal_as_page(error)
                add_to_form(form, error)
                status = error.status_code
        else:
            status = 400
    return render(
        request,
        "conferences/review_proposal.html",
        {
            "conference": conference,
            "item": found.proposal,
            "review": found.review,
            "open": conference.review_open and found.state == Proposal.State.SUBMITTED,
            "state": found.state,
            "form": form,
        },
        status=status,
    )
