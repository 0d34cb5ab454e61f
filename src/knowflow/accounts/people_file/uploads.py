"""People files uploaded on the page: kept between the preview and the confirmation.

A web process keeps nothing of its own (any process may serve the confirmation), so the
uploaded text is a row (``PeopleFileUpload``) until it is applied; then only its summary is
kept, as the record of who imported what and when. Uploads never applied are dropped after a
day. Only admins upload, preview and apply.
"""

from __future__ import annotations

import io
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from knowflow.accounts.models import PeopleFileUpload, Person
from knowflow.accounts.people_file.applying import people_file_apply
from knowflow.accounts.people_file.planning import PeoplePlan, people_file_plan
from knowflow.accounts.people_file.reading import PeopleFileUnreadable, people_file_read
from knowflow.accounts.permissions import can_import_people
from knowflow.errors import Conflict, DomainError, Forbidden, NotFound

KEPT_UNAPPLIED = timedelta(days=1)
DEFAULT_MAX_BYTES = 5 * 1024 * 1024


def people_file_max_bytes() -> int:
    """The largest file the page takes (``KNOWFLOW_PEOPLE_FILE_MAX_BYTES``); larger ones go
    through ``knowflow import people``, which reads a line at a time."""
    return int(getattr(settings, "KNOWFLOW_PEOPLE_FILE_MAX_BYTES", DEFAULT_MAX_BYTES))


def size_in_words(size: int) -> str:
    return str(filesizeformat(size)).replace("\xa0", " ")


def _check_admin(actor: Person) -> None:
    if not can_import_people(actor=actor):
        raise Forbidden("Only an admin can import people from a file.")


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PeopleFileUnreadable(
            "The file is not UTF-8 text: save it from your spreadsheet as “CSV UTF-8”.",
            field="file",
        ) from None


@transaction.atomic
def people_file_upload_create(
    *, actor: Person, file_name: str, data: bytes, deactivate_missing: bool
) -> PeopleFileUpload:
    """Keep an uploaded people file for its preview; refuse (``DomainError`` on ``file``) a
    file that is too large or cannot be read at all. Writes no person."""
    _check_admin(actor)
    limit = people_file_max_bytes()
    if len(data) > limit:
        raise DomainError(
            f"This file is {size_in_words(len(data))}; the page takes files up to"
            f" {size_in_words(limit)}. Import a larger file with the command"
            " `knowflow import people FILE.csv`.",
            field="file",
        )
    if not data.strip():
        raise DomainError(
            "The file is empty: it needs a header row and a line per person.", field="file"
        )
    text = _decoded(data)
    people_file_read(io.StringIO(text, newline=""))  # refuses a file that cannot be used
    PeopleFileUpload.objects.filter(
        applied_at__isnull=True, created_at__lt=timezone.now() - KEPT_UNAPPLIED
    ).delete()
    return PeopleFileUpload.objects.create(
        uploaded_by=actor,
        file_name=(file_name or "people.csv")[:200],
        content=text,
        deactivate_missing=deactivate_missing,
    )


def people_file_upload_get(*, id: int, viewer: Person) -> PeopleFileUpload:
    _check_admin(viewer)
    upload = (
        PeopleFileUpload.objects.select_related("uploaded_by", "applied_by").filter(pk=id).first()
    )
    if upload is None:
        raise NotFound("There is no such people file: upload it again.")
    return upload


def people_file_uploads_recent(*, viewer: Person, limit: int = 10) -> list[PeopleFileUpload]:
    """The latest files applied, newest first: who imported what, and when."""
    _check_admin(viewer)
    return list(
        PeopleFileUpload.objects.filter(applied_at__isnull=False)
        .select_related("applied_by")
        .order_by("-applied_at")[:limit]
    )


def people_file_upload_preview(*, upload: PeopleFileUpload, viewer: Person) -> PeoplePlan:
    """The diff the upload would make now (a dry run: writes nothing)."""
    _check_admin(viewer)
    content = people_file_read(io.StringIO(upload.content, newline=""))
    return people_file_plan(
        content=content, deactivate_missing=upload.deactivate_missing, actor=viewer
    )


@transaction.atomic
def people_file_upload_apply(
    *, upload: PeopleFileUpload, actor: Person, fingerprint: str
) -> PeoplePlan:
    """Apply the previewed upload, if the directory still gives the diff that was shown
    (``fingerprint``); keep its summary and drop its text."""
    _check_admin(actor)
    upload = PeopleFileUpload.objects.select_for_update().get(pk=upload.pk)
    if upload.applied_at is not None:
        raise Conflict("This file was applied already.", field="file")
    content = people_file_read(io.StringIO(upload.content, newline=""))
    plan = people_file_apply(
        content=content,
        deactivate_missing=upload.deactivate_missing,
        actor=actor,
        expected_fingerprint=fingerprint,
    )
    upload.applied_at = timezone.now()
    upload.applied_by = actor
    upload.summary = plan.summary()
    upload.content = ""
    upload.save(update_fields=["applied_at", "applied_by", "summary", "content"])
    return plan
