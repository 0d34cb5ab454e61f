"""Pages: find an expert, a person's expertise (with colleagues' confirmations), and my
expertise (hide, add, opt out). Thin: parse, call a selector or a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from knowflow.errors import DomainError
from knowflow.expertise import selectors, services
from knowflow.expertise.permissions import can_confirm_skill
from knowflow.web.errors import flash

LIMIT = 20


@login_required
def find(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()
    slug = request.GET.get("topic", "").strip()
    results, error = None, ""
    if text or slug:
        try:
            topic = selectors.topic_by_slug(slug=slug) if slug else None
            results = selectors.experts_find(text=text, topic=topic, limit=LIMIT)
        except DomainError as refused:
            error = refused.message
    return render(
        request,
        "expertise/find.html",
        {
            "q": text,
            "topic_slug": slug,
            "topics": selectors.topics_for_picker(),
            "results": results,
            "error": error,
        },
    )


@login_required
def profile(request: HttpRequest, slug: str) -> HttpResponse:
    person = selectors.person_by_slug(slug=slug)
    if person.pk == request.viewer.pk:
        return redirect("expertise:mine")
    return render(
        request,
        "expertise/profile.html",
        {
            "person": person,
            "profile": selectors.expertise_profile(person=person, viewer=request.viewer),
            "can_confirm": can_confirm_skill(actor=request.viewer, person=person),
            "topics": selectors.topics_for_picker(),
        },
    )


@login_required
@require_POST
def confirm(request: HttpRequest, slug: str) -> HttpResponse:
    person = selectors.person_by_slug(slug=slug)
    try:
        topic = selectors.topic_by_slug(slug=request.POST.get("topic", ""))
        if request.POST.get("withdraw"):
            services.skill_confirmation_withdraw(person=person, topic=topic, actor=request.viewer)
            messages.success(request, f"You withdrew your confirmation for {topic.name}.")
        else:
            services.skill_confirm(person=person, topic=topic, actor=request.viewer)
            messages.success(
                request, f"You confirmed that {person.display_name} knows {topic.name}."
            )
    except DomainError as error:
        flash(request, error)
    return redirect("expertise:profile", slug=slug)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer
    return render(
        request,
        "expertise/mine.html",
        {
            "person": viewer,
            "profile": selectors.expertise_profile(person=viewer, viewer=viewer),
            "topics": selectors.topics_for_picker(),
        },
    )


def _topic_change(request: HttpRequest, change: str) -> HttpResponse:
    viewer = request.viewer
    try:
        topic = selectors.topic_by_slug(slug=request.POST.get("topic", ""))
        if change == "hide":
            services.expertise_topic_hide(person=viewer, topic=topic, actor=viewer)
            messages.success(request, f"You are no longer listed for {topic.name}.")
        elif change == "show":
            services.expertise_topic_show(person=viewer, topic=topic, actor=viewer)
            messages.success(request, f"{topic.name} is shown again.")
        else:
            services.expertise_topic_add(person=viewer, topic=topic, actor=viewer)
            messages.success(request, f"You added {topic.name}.")
    except DomainError as error:
        flash(request, error)
    return redirect("expertise:mine")


@login_required
@require_POST
def topic_hide(request: HttpRequest) -> HttpResponse:
    return _topic_change(request, "hide")


@login_required
@require_POST
def topic_show(request: HttpRequest) -> HttpResponse:
    return _topic_change(request, "show")


@login_required
@require_POST
def topic_add(request: HttpRequest) -> HttpResponse:
    return _topic_change(request, "add")


@login_required
@require_POST
def listed(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer
    if request.POST.get("listed") == "no":
        services.expert_opt_out(person=viewer, actor=viewer)
        messages.success(request, "You are no longer listed as an expert anywhere.")
    else:
        services.expert_opt_in(person=viewer, actor=viewer)
        messages.success(request, "You are listed as an expert again.")
    return redirect("expertise:mine")
