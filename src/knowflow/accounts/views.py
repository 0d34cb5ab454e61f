"""Pages: sign in, the profile (with API tokens), the people directory, a person's page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from knowflow.accounts import selectors, services
from knowflow.accounts.forms import ProfileForm, TokenForm
from knowflow.accounts.models import Person
from knowflow.accounts.throttling import sign_in_cool_off
from knowflow.accounts.working_hours import WEEKDAYS
from knowflow.errors import DomainError
from knowflow.events.selectors import sessions_of_speaker
from knowflow.topics.selectors import topic_list
from knowflow.topics.services import person_skills_set
from knowflow.web.errors import add_to_form, flash


@transaction.atomic
def _profile_save(person: Person, data: dict) -> None:
    """The profile form's one save: skills belong to the topics app, the rest to accounts;
    a refusal from either leaves both unchanged."""
    services.person_update_profile(
        person=person,
        actor=person,
        display_name=data["display_name"],
        timezone_name=data["timezone"],
        working_hours=data["working_hours"],
        office=data["office"],
        clear_office=data["office"] is None,
        org_unit=data["org_unit"],
        clear_org_unit=data["org_unit"] is None,
        languages=data["language_list"],
        locale=data["locale"] or "",
        bio=data["bio"],
    )
    person_skills_set(person=person, actor=person, skills=data["skills"])


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    person = request.viewer
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                _profile_save(person, data)
            except DomainError as error:
                add_to_form(form, error)
            else:
                messages.success(request, "Profile saved.")
                return redirect("accounts:profile")
    else:
        initial = {
            "display_name": person.display_name,
            "timezone": person.timezone,
            "office": person.office,
            "org_unit": person.org_unit,
            "languages": ", ".join(person.languages),
            "locale": person.locale,
            "skills": person.skills.all(),
            "bio": person.bio,
        }
        initial.update({f"hours_{i}": text for i, text in enumerate(person.hours.to_text())})
        form = ProfileForm(initial=initial)
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "token_form": TokenForm(),
            "tokens": person.api_tokens.all(),
            "new_token": request.session.pop("new_token", None),
        },
    )


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            _, secret = services.api_token_create(
                person=request.viewer, name=form.cleaned_data["name"]
            )
        except DomainError as error:
            flash(request, error)
        else:
            # Shown once on the next page, never stored in clear.
            request.session["new_token"] = secret
    else:
        messages.error(request, "Give the token a name.")
    return redirect("accounts:profile")


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = selectors.api_token_get(id=token_id, viewer=request.viewer)
    services.api_token_revoke(token=token, actor=request.viewer)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("accounts:profile")


@login_required
def directory(request: HttpRequest) -> HttpResponse:
    filters = selectors.DirectoryFilters(
        q=request.GET.get("q", "").strip(),
        org_unit=request.GET.get("org_unit", ""),
        office=request.GET.get("office", ""),
        timezone=request.GET.get("timezone", ""),
        skill=request.GET.get("skill", ""),
    )
    people = selectors.person_directory(filters=filters)
    page = Paginator(people, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/directory.html",
        {"page": page, "filters": filters, "topics": topic_list(), **selectors.directory_choices()},
    )


@login_required
def person_page(request: HttpRequest, slug: str) -> HttpResponse:
    person = selectors.person_detail(slug=slug)
    return render(
        request,
        "accounts/person.html",
        {
            "person": person,
            "person_hours": list(zip(WEEKDAYS, person.hours.to_text(), strict=True)),
            "sessions": sessions_of_speaker(person=person),
            "can_deactivate": request.viewer.is_admin and request.viewer.pk != person.pk,
        },
    )


@login_required
@require_POST
def person_deactivate(request: HttpRequest, slug: str) -> HttpResponse:
    """An admin marks someone as having left (or back): see services.person_deactivate."""
    person = selectors.person_detail(slug=slug)
    if request.POST.get("active") == "yes":
        services.person_reactivate(person=person, actor=request.viewer)
        messages.success(request, f"{person.display_name} is active again and can sign in.")
    else:
        services.person_deactivate(person=person, actor=request.viewer)
        messages.success(
            request,
            f"{person.display_name} is deactivated: they can no longer sign in, and their places "
            "at dates to come went to the people waiting.",
        )
    return redirect("accounts:person", slug=person.slug)


def sign_in_locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """What django-axes shows instead of the sign-in form while a username is locked out."""
    cool_off = sign_in_cool_off()
    response = render(
        request,
        "accounts/locked_out.html",
        {
            "username": (credentials or {}).get("username") or request.POST.get("username", ""),
            "minutes": int(cool_off.total_seconds() // 60),
        },
        status=429,
    )
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
