"""Pages for circles: the list, a circle's page, joining and leaving, adding members."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from knowflow.circles import selectors, services
from knowflow.circles.forms import MemberAddForm
from knowflow.circles.permissions import can_join_circle, can_manage_circle
from knowflow.errors import DomainError
from knowflow.events import selectors as event_selectors
from knowflow.web.errors import flash, refusal_as_page


@login_required
def circle_list(request: HttpRequest) -> HttpResponse:
    return render(request, "circles/list.html", {"circles": selectors.circle_list()})


@login_required
def circle_page(request: HttpRequest, slug: str) -> HttpResponse:
    circle = selectors.circle_detail(slug=slug)
    return render(
        request,
        "circles/circle.html",
        {
            "circle": circle,
            "membership": selectors.membership_of(circle=circle, person=request.viewer),
            "can_join": can_join_circle(actor=request.viewer, circle=circle),
            "can_manage": can_manage_circle(actor=request.viewer, circle=circle),
            "member_form": MemberAddForm(),
            # A circle's page shows its sessions' dates: the events app reads them.
            "upcoming": event_selectors.occurrences_of_circle(circle=circle, upcoming=True),
            "past": event_selectors.occurrences_of_circle(circle=circle, upcoming=False),
        },
    )


@login_required
@require_POST
def join(request: HttpRequest, slug: str) -> HttpResponse:
    circle = selectors.circle_get(slug=slug)
    try:
        services.circle_join(circle=circle, person=request.viewer, actor=request.viewer)
    except DomainError as error:
        flash(request, error)
    else:
        messages.success(request, f"You joined {circle.name}.")
    return redirect("circles:circle", slug=slug)


@login_required
@require_POST
def leave(request: HttpRequest, slug: str) -> HttpResponse:
    circle = selectors.circle_get(slug=slug)
    try:
        services.circle_leave(circle=circle, person=request.viewer, actor=request.viewer)
    except DomainError as error:
        flash(request, error)
    else:
        messages.success(request, f"You left {circle.name}.")
    return redirect("circles:circle", slug=slug)


@login_required
@require_POST
def member_add(request: HttpRequest, slug: str) -> HttpResponse:
    """A champion (or an enabler) adds someone, the only way into an invite-only circle."""
    circle = selectors.circle_get(slug=slug)
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        # The page shows one small form; its refusal (who the name could be) is a message.
        messages.error(request, " ".join(form.errors["person"]))
        return redirect("circles:circle", slug=slug)
    person = form.cleaned_data["person"]
    try:
        services.circle_join(circle=circle, person=person, actor=request.viewer)
    except DomainError as error:
        refusal_as_page(error)
        flash(request, error)
    else:
        messages.success(request, f"{person.display_name} is now a member of {circle.name}.")
    return redirect("circles:circle", slug=slug)
