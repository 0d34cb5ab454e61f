"""Topic request pages: the list, asking (similar open requests first), one request with its
votes, candidate experts and circles, voting, merging, proposing, and the enablers' demand
list."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from knowflow.demand import selectors, services
from knowflow.demand.forms import AskForm, MergeForm, VoteForm
from knowflow.demand.models import TopicRequest
from knowflow.demand.permissions import (
    can_merge,
    can_propose_from,
    can_see_demand,
    can_vote,
)
from knowflow.errors import DomainError, NotFound
from knowflow.web.errors import add_to_form, flash, refusal_as_page


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "demand/list.html",
        {
            "requests": selectors.request_list(),
            "answered": selectors.request_list(status=TopicRequest.Status.ANSWERED)[:20],
            "can_see_demand": can_see_demand(actor=request.viewer),
        },
    )


@login_required
def ask(request: HttpRequest) -> HttpResponse:
    similar: list[selectors.SimilarRequest] = []
    if request.method == "POST":
        form = AskForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if not data["confirmed"]:
                similar = selectors.similar_open_requests(
                    title=data["title"],
                    description=data["description"],
                    topic_names=[t.name for t in data["topics"]],
                )
            if not similar:
                try:
                    created = services.request_create(
                        actor=request.viewer,
                        title=data["title"],
                        description=data["description"],
                        topics=data["topics"],
                        format=data["format"] or "",
                        level=data["level"] or "",
                    )
                except DomainError as error:
                    refusal_as_page(error)
                    add_to_form(form, error)
                else:
                    messages.success(
                        request, "Your request is open: others can vote for it, and experts see it."
                    )
                    return redirect("demand:request", pk=created.pk)
            else:
                # Shown first; "ask anyway" posts the same answers with the confirmation.
                form = AskForm(request.POST.dict() | {"confirmed": "on"})
                form.is_valid()
    else:
        title = request.GET.get("title", "")[:200]
        form = AskForm(initial={"title": title})
        if title.strip():
            similar = selectors.similar_open_requests(title=title)
    return render(request, "demand/ask.html", {"form": form, "similar": similar})


@login_required
def request_page(request: HttpRequest, pk: int) -> HttpResponse:
    topic_request = selectors.request_get(pk=pk)
    if topic_request.status == TopicRequest.Status.MERGED and topic_request.merged_into_id:
        messages.info(request, f"“{topic_request.title}” was merged into this request.")
        return redirect("demand:request", pk=topic_request.merged_into_id)
    viewer = request.viewer
    is_open = topic_request.status == TopicRequest.Status.OPEN
    return render(
        request,
        "demand/request.html",
        {
            "topic_request": topic_request,
            "votes": list(topic_request.votes.all()),
            "my_vote": selectors.vote_of(request=topic_request, person=viewer),
            "experts": selectors.request_candidate_experts(request=topic_request, limit=5),
            "circles": selectors.request_candidate_circles(request=topic_request, limit=5),
            "is_open": is_open,
            "can_vote": is_open and can_vote(actor=viewer, request=topic_request),
            "can_merge": is_open and can_merge(actor=viewer, request=topic_request),
            "can_propose": is_open and can_propose_from(actor=viewer, request=topic_request),
            "vote_form": VoteForm(),
            "merge_form": MergeForm(),
            "similar": selectors.similar_open_requests(
                title=topic_request.title,
                description=topic_request.description,
                topic_names=[t.name for t in topic_request.topics.all()],
                exclude_pk=topic_request.pk,
            )
            if is_open and can_merge(actor=viewer, request=topic_request)
            else [],
        },
    )


@login_required
@require_POST
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    topic_request = selectors.request_get(pk=pk)
    form = VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["reason"]))
        return redirect("demand:request", pk=pk)
    try:
        services.request_vote(
            request=topic_request, actor=request.viewer, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        refusal_as_page(error)
        flash(request, error)
    else:
        messages.success(request, "Your vote is counted.")
    return redirect("demand:request", pk=pk)


@login_required
@require_POST
def unvote(request: HttpRequest, pk: int) -> HttpResponse:
    topic_request = selectors.request_get(pk=pk)
    try:
        services.request_unvote(request=topic_request, actor=request.viewer)
    except DomainError as error:
        refusal_as_page(error)
        flash(request, error)
    else:
        messages.success(request, "Your vote is withdrawn.")
    return redirect("demand:request", pk=pk)


@login_required
@require_POST
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    topic_request = selectors.request_get(pk=pk)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the number of the request to merge into.")
        return redirect("demand:request", pk=pk)
    try:
        into = selectors.request_get(pk=form.cleaned_data["into"])
    except NotFound:
        messages.error(request, f"There is no request number {form.cleaned_data['into']}.")
        return redirect("demand:request", pk=pk)
    try:
        services.request_merge(request=topic_request, into=into, actor=request.viewer)
    except DomainError as error:
        refusal_as_page(error)
        flash(request, error)
        return redirect("demand:request", pk=pk)
    messages.success(
        request, f"“{topic_request.title}” is merged into this request; its votes moved here."
    )
    return redirect("demand:request", pk=into.pk)


@login_required
@require_POST
def propose(request: HttpRequest, pk: int) -> HttpResponse:
    topic_request = selectors.request_get(pk=pk)
    try:
        session = services.request_propose(request=topic_request, actor=request.viewer)
    except DomainError as error:
        refusal_as_page(error)
        flash(request, error)
        return redirect("demand:request", pk=pk)
    messages.success(
        request,
        "Your proposal is saved. Find a time: the people who asked are the audience already.",
    )
    return redirect("events:session", slug=session.slug)


@login_required
def demand_list(request: HttpRequest) -> HttpResponse:
    overview = selectors.demand_overview(viewer=request.viewer)
    return render(request, "demand/demand.html", {"overview": overview})
