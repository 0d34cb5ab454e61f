"""Pages of the people file: upload, preview the diff (a dry run), confirm to apply, and
download the directory as a people file. Admins only (``permissions.can_import_people``)."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from knowflow import csvsafe
from knowflow.accounts.forms import PeopleFileForm
from knowflow.accounts.people_file import COLUMN_TITLES, PeoplePlan, people_file_write
from knowflow.accounts.people_file.uploads import (
    people_file_max_bytes,
    people_file_upload_apply,
    people_file_upload_create,
    people_file_upload_get,
    people_file_upload_preview,
    people_file_uploads_recent,
    size_in_words,
)
from knowflow.accounts.permissions import can_import_people
from knowflow.errors import DomainError, Forbidden
from knowflow.library.uploads import UploadSizeLimit
from knowflow.web.errors import add_to_form, flash, refusal_as_page

# A preview lists this many people per section; the downloadable report has them all.
SHOWN = 200


def _admin_only(request: HttpRequest) -> None:
    if not can_import_people(actor=request.viewer):
        raise Forbidden("Only an admin can import people from a file.")


def _limits_people_file_size(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The page's own size limit holds while the file arrives: reading stops at the first
    byte past it, before memory or a temporary file holds more. Django's CSRF check reads the
    body, so it runs after the limit is in place."""
    protected = csrf_protect(view)

    @wraps(view)
    @csrf_exempt
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.method == "POST":
            request.upload_handlers.insert(
                0, UploadSizeLimit(request, limit=people_file_max_bytes())
            )
        return protected(request, *args, **kwargs)

    return wrapper


def _columns() -> list[tuple[str, str]]:
    return [(COLUMN_TITLES[c], text) for c, text in COLUMN_HELP]


COLUMN_HELP = [
    ("email", "Required. How a line finds its person (regardless of case)."),
    ("name", "Required. The name people see."),
    ("department", "An org unit's name; a new name becomes a team."),
    ("office", "An office's name; it must exist."),
    ("timezone", "Like Europe/Berlin; empty: the office's zone for someone new."),
    ("role", "member, enabler, leader or admin; empty: as it is (member if new)."),
    ("manager", "With no department: the manager's department."),
    ("languages", "Codes or names: en, de or English, German."),
    ("active", "yes or no; no deactivates the person."),
]


@login_required
@_limits_people_file_size
def people_import(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    limit = people_file_max_bytes()
    if request.method == "POST":
        form = PeopleFileForm(request.POST, request.FILES)
        if getattr(request, "upload_refused", None) is not None:
            form.is_valid()
            form.add_error(
                "file",
                f"This file is larger than {size_in_words(limit)}, the most the page takes."
                " Import it with the command `knowflow import people FILE.csv`.",
            )
        elif form.is_valid():
            upload_file = form.cleaned_data["file"]
            try:
                upload = people_file_upload_create(
                    actor=request.viewer,
                    file_name=upload_file.name,
                    data=upload_file.read(),
                    deactivate_missing=form.cleaned_data["deactivate_missing"],
                )
            except DomainError as error:
                refusal_as_page(error)
                add_to_form(form, error)
            else:
                return redirect("accounts:people_import_preview", upload_id=upload.pk)
    else:
        form = PeopleFileForm()
    return render(
        request,
        "accounts/people_import.html",
        {
            "form": form,
            "limit": limit,
            "limit_words": size_in_words(limit),
            "columns": _columns(),
            "recent": people_file_uploads_recent(viewer=request.viewer),
        },
    )


def _sections(plan: PeoplePlan) -> list[dict]:
    return [
        {"key": key, "title": title, "people": people[:SHOWN], "more": max(0, len(people) - SHOWN)}
        for key, title, people in (
            ("new", "New people", plan.new),
            ("changed", "Changed people", plan.changed),
            ("deactivated", "Deactivated people", plan.deactivated),
            ("reactivated", "Reactivated people", plan.reactivated),
        )
    ]


@login_required
def people_import_preview(request: HttpRequest, upload_id: int) -> HttpResponse:
    upload = people_file_upload_get(id=upload_id, viewer=request.viewer)
    plan = None
    if upload.applied_at is None:
        try:
            plan = people_file_upload_preview(upload=upload, viewer=request.viewer)
        except DomainError as error:
            refusal_as_page(error)
            flash(request, error)
            return redirect("accounts:people_import")
    return render(
        request,
        "accounts/people_import_preview.html",
        {
            "upload": upload,
            "plan": plan,
            "summary": plan.summary() if plan else upload.summary,
            "sections": _sections(plan) if plan else [],
            "errors_shown": plan.errors[:SHOWN] if plan else [],
            "errors_more": max(0, len(plan.errors) - SHOWN) if plan else 0,
        },
    )


@login_required
@require_POST
def people_import_apply(request: HttpRequest, upload_id: int) -> HttpResponse:
    upload = people_file_upload_get(id=upload_id, viewer=request.viewer)
    try:
        plan = people_file_upload_apply(
            upload=upload, actor=request.viewer, fingerprint=request.POST.get("fingerprint", "")
        )
    except DomainError as error:
        refusal_as_page(error)
        flash(request, error)
        return redirect("accounts:people_import_preview", upload_id=upload.pk)
    s = plan.summary()
    messages.success(
        request,
        f"People file applied: {s['new']} new, {s['changed']} changed, {s['deactivated']}"
        f" deactivated, {s['reactivated']} reactivated"
        + (
            f"; {s['broken']} broken line{'s were' if s['broken'] > 1 else ' was'} left out."
            if s["broken"]
            else "."
        ),
    )
    return redirect("accounts:people_import_preview", upload_id=upload.pk)


@login_required
def people_import_report(request: HttpRequest, upload_id: int) -> HttpResponse:
    """The whole preview as CSV (every person, every broken line), for fixing the file in a
    spreadsheet; every cell through ``csvsafe``."""
    upload = people_file_upload_get(id=upload_id, viewer=request.viewer)
    if upload.applied_at is not None:
        flash(request, DomainError("This file was applied: its report is the summary below."))
        return redirect("accounts:people_import_preview", upload_id=upload.pk)
    plan = people_file_upload_preview(upload=upload, viewer=request.viewer)
    stream = io.StringIO()
    writer = csvsafe.writer(stream)
    writer.writerow(["line", "email", "name", "outcome", "detail"])
    for outcome, people in (
        ("new", plan.new),
        ("changed", plan.changed),
        ("deactivated", plan.deactivated),
        ("reactivated", plan.reactivated),
    ):
        for p in people:
            writer.writerow([p.line or "", p.email, p.name, outcome, p.detail])
    for error in plan.errors:
        writer.writerow([error.line, "", "", "broken", error.message])
    for note in plan.notes:
        writer.writerow([note.line, "", "", "note", note.message])
    response = HttpResponse(stream.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="people-file-preview.csv"'
    return response


@login_required
def people_file_download(request: HttpRequest) -> HttpResponse:
    """The directory as a people file, to edit and import back."""
    _admin_only(request)
    stream = io.StringIO()
    people_file_write(stream)
    response = HttpResponse(stream.getvalue(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="people-{stamp}.csv"'
    return response
