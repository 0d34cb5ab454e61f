"""Pages for circles: the list, starting one, a circle's home page (charter, people, sessions,
resources, health), its charter and people pages, joining and leaving, an enabler's review,
sunset and revival.

A circle's page composes three apps: circles (charter, people), events (its sessions' dates),
library (its resources) and circlehealth (its health figures), which circles itself may not
read."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from knowflow.accounts import selectors as accounts_selectors
from knowflow.circlehealth.health import ACTIVE_DAYS, NEWCOMER_DAYS, circle_health, circles_health
from knowflow.circles import selectors, services
from knowflow.circles.forms import CharterForm, HandOverForm, MemberAddForm, ReviewForm, RoleForm
from knowflow.circles.lifecycle import FORMED_MIN_MEMBERS, quiet_after
from knowflow.circles.models import Circle, Membership
from knowflow.circles.permissions import (
    can_join_circle,
    can_manage_circle,
    can_review_circle,
    is_champion,
)
from knowflow.errors import DomainError, Forbidden
from knowflow.events import selectors as event_selectors
from knowflow.library import selectors as library_selectors
from knowflow.pickers import initials
from knowflow.topics.selectors import topic_list
from knowflow.web.errors import add_to_form, flash, refusal_as_page


@login_required
def circle_list(request: HttpRequest) -> HttpResponse:
    circles = list(selectors.circle_list())
    # Sunset circles stay listed (their history is worth finding) but after the living ones.
    circles.sort(key=lambda c: (c.state == Circle.State.SUNSET, c.name.lower()))
    health = circles_health(circles=circles, now=timezone.now())
    rows = [(circle, health[circle.pk]) for circle in circles]
    return render(
        request,
        "circles/list.html",
        {
            "rows": rows,
            "awaiting": selectors.circles_awaiting(viewer=request.viewer),
            "reviews": can_review_circle(actor=request.viewer),
        },
    )


@login_required
def circle_new(request: HttpRequest) -> HttpResponse:
    """Any member starts a circle and becomes its champion. ``?topic=<slug>`` starts the
    charter with that topic (the knowledge gaps page links here)."""
    initial = {}
    if request.method != "POST" and request.GET.get("topic"):
        initial["topics"] = list(topic_list().filter(slug=request.GET["topic"][:140]))
    form = CharterForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            circle = services.circle_create(actor=request.viewer, **data)
        except DomainError as error:
            refusal_as_page(error)
            add_to_form(form, error)
        else:
            if circle.state == Circle.State.PROPOSED:
                messages.success(
                    request,
                    f"{circle.name} is proposed. An enabler will approve it; you will get an "
                    "email either way.",
                )
            else:
                messages.success(request, f"{circle.name} is open, and you are its champion.")
            return redirect("circles:circle", slug=circle.slug)
    approval = settings.KNOWFLOW_CIRCLE_APPROVAL and not request.viewer.is_enabler
    return render(
        request,
        "circles/charter_form.html",
        {"form": form, "circle": None, "approval": approval},
    )


@login_required
def circle_page(request: HttpRequest, slug: str) -> HttpResponse:
    circle = selectors.circle_detail(slug=slug, viewer=request.viewer)
    now = timezone.now()
    memberships = list(circle.memberships.all())
    health = circle_health(circle=circle, now=now)
    return render(
        request,
        "circles/circle.html",
        {
            "circle": circle,
            "memberships": memberships,
            "champions": [m for m in memberships if m.role == Membership.Role.CHAMPION],
            "facilitators": [m for m in memberships if m.role == Membership.Role.FACILITATOR],
            "membership": next((m for m in memberships if m.person_id == request.viewer.pk), None),
            "can_join": can_join_circle(actor=request.viewer, circle=circle),
            "can_manage": can_manage_circle(actor=request.viewer, circle=circle),
            "can_review": can_review_circle(actor=request.viewer),
            "member_form": MemberAddForm(),
            # A circle's page shows its sessions' dates: the events app reads them.
            "upcoming": event_selectors.occurrences_of_circle(circle=circle, upcoming=True),
            "past": event_selectors.occurrences_of_circle(circle=circle, upcoming=False),
            "resources": library_selectors.resources_of_circle(circle_id=circle.pk),
            "health": health,
            "days_since": health.days_since_activity(now),
            # Champions and facilitators sort first; a circle of thousands shows its first faces.
            "faces": [(m, initials(m.person.display_name)) for m in memberships[:FACES]],
            "more_members": max(0, len(memberships) - FACES),
            "active_days": ACTIVE_DAYS,
            "newcomer_days": NEWCOMER_DAYS,
            "formed_min_members": FORMED_MIN_MEMBERS,
            "quiet_days": quiet_after(circle.cadence).days,
        },
    )


FACES = 60


def _managed(request: HttpRequest, slug: str, message: str) -> Circle:
    circle = selectors.circle_detail(slug=slug, viewer=request.viewer)
    if not can_manage_circle(actor=request.viewer, circle=circle):
        raise Forbidden(message)
    return circle


@login_required
def circle_edit(request: HttpRequest, slug: str) -> HttpResponse:
    circle = _managed(request, slug, services.MANAGERS_ONLY)
    if request.method == "POST":
        form = CharterForm(request.POST)
        if form.is_valid():
            try:
                services.circle_update(circle=circle, actor=request.viewer, **form.cleaned_data)
            except DomainError as error:
                refusal_as_page(error)
                add_to_form(form, error)
            else:
                messages.success(request, "Charter saved.")
                return redirect("circles:circle", slug=circle.slug)
    else:
        form = CharterForm(
            initial={
                "name": circle.name,
                "mission": circle.mission,
                "scope": circle.scope,
                "cadence": circle.cadence,
                "visibility": circle.visibility,
                "topics": circle.topics.all(),
            }
        )
    return render(request, "circles/charter_form.html", {"form": form, "circle": circle})


@login_required
def circle_people(request: HttpRequest, slug: str) -> HttpResponse:
    """Champions name facilitators and champions, remove members and hand the circle over."""
    circle = _managed(request, slug, "Only the circle's champions and enablers can name champions.")
    role_form = RoleForm(request.POST or None) if request.method == "POST" else RoleForm()
    if request.method == "POST" and role_form.is_valid():
        person = role_form.cleaned_data["person"]
        role = role_form.cleaned_data["role"]
        try:
            services.membership_set_role(
                circle=circle, person=person, role=role, actor=request.viewer
            )
        except DomainError as error:
            refusal_as_page(error)
            add_to_form(role_form, error)
        else:
            label = Membership.Role(role).label.lower()
            messages.success(request, f"{person.display_name} is now a {label} of {circle.name}.")
            return redirect("circles:people", slug=circle.slug)
    return render(
        request,
        "circles/people.html",
        {
            "circle": circle,
            "memberships": list(circle.memberships.all()),
            "role_form": role_form,
            "hand_over_form": HandOverForm(),
            "hands_over": is_champion(person=request.viewer, circle=circle),
        },
    )


@login_required
@require_POST
def member_remove(request: HttpRequest, slug: str, person: str) -> HttpResponse:
    circle = selectors.circle_detail(slug=slug, viewer=request.viewer)
    removed = accounts_selectors.person_detail(slug=person)
    try:
        services.circle_leave(circle=circle, person=removed, actor=request.viewer)
    except DomainError as error:
        refusal_as_page(error)
        flash(request, error)
    else:
        messages.success(request, f"{removed.display_name} is no longer in {circle.name}.")
    return redirect("circles:people", slug=circle.slug)


@login_required
@require_POST
def hand_over(request: HttpRequest, slug: str) -> HttpResponse:
    circle = selectors.circle_detail(slug=slug, viewer=request.viewer)
    form = HandOverForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["person"]))
        return redirect("circles:people", slug=circle.slug)
    to = form.cleaned_data["person"]
    try:
        services.circle_hand_over(circle=circle, to=to, actor=request.viewer)
    except DomainError as error:
        refusal_as_page(error)
        flash(request, error)
        return redirect("circles:people", slug=circle.slug)
    messages.success(request, f"{to.display_name} now champions {circle.name}; you stay a member.")
    return redirect("circles:circle", slug=circle.slug)


@login_required
def circle_review(request: HttpRequest, slug: str) -> HttpResponse:
    if not can_review_circle(actor=request.viewer):
        raise Forbidden("Only enablers approve or decline circles.")
    circle = selectors.circle_detail(slug=slug, viewer=request.viewer)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.circle_review(
                circle=circle,
                actor=request.viewer,
                approve=approve,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            refusal_as_page(error)
            add_to_form(form, error)
        else:
            verdict = "approved: it is open" if approve else "declined"
            messages.success(request, f"{circle.name} is {verdict}. Its starter is emailed.")
            return redirect("circles:list")
    return render(request, "circles/review.html", {"circle": circle, "form": form})


@login_required
def circle_sunset(request: HttpRequest, slug: str) -> HttpResponse:
    """A confirmation page (who is affected, what stays), then the sunset itself."""
    circle = _managed(request, slug, "Only the circle's champions and enablers can sunset it.")
    if request.method == "POST":
        try:
            services.circle_sunset(circle=circle, actor=request.viewer)
        except DomainError as error:
            refusal_as_page(error)
            flash(request, error)
        else:
            messages.success(
                request, f"{circle.name} is sunset. Its history and resources stay findable."
            )
        return redirect("circles:circle", slug=circle.slug)
    return render(
        request,
        "circles/sunset_confirm.html",
        {"circle": circle, "member_count": circle.memberships.count()},
    )


@login_required
@require_POST
def circle_revive(request: HttpRequest, slug: str) -> HttpResponse:
    circle = selectors.circle_detail(slug=slug, viewer=request.viewer)
    try:
        services.circle_revive(circle=circle, actor=request.viewer)
    except DomainError as error:
        refusal_as_page(error)
        flash(request, error)
    else:
        messages.success(request, f"{circle.name} is open again: it is forming.")
    return redirect("circles:circle", slug=circle.slug)


@login_required
@require_POST
def join(request: HttpRequest, slug: str) -> HttpResponse:
    circle = selectors.circle_detail(slug=slug, viewer=request.viewer)
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
    circle = selectors.circle_detail(slug=slug, viewer=request.viewer)
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
    circle = selectors.circle_detail(slug=slug, viewer=request.viewer)
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
