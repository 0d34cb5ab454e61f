"""`organisation_export`: the organisation into one deterministic zip archive.

Rows are written with Django's serialisation framework, model by model in dependency order,
rows in primary-key order, many-to-many lists sorted, JSON keys sorted; files are copied
through the storage of the file field that names them, in name order. The same data therefore
always gives the same bytes, and an export imported into an empty database exports again
identically.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core import serializers
from django.db import connection, transaction
from django.db.models import FileField, Model

from knowflow.integrations.org_data import archive
from knowflow.integrations.org_data.scope import CREDENTIAL_FIELDS, exported_models, file_storage


@dataclass(frozen=True)
class ExportSummary:
    rows: dict[str, int]
    files: int
    include_credentials: bool
    # Files a row names that the storage no longer has: the row is exported as it is.
    missing_files: list[str] = field(default_factory=list)


def _rows(model: type[Model]) -> Iterator[Model]:
    return model._default_manager.order_by("pk").iterator(chunk_size=2000)


def _sort_key(value: Any) -> tuple[int, Any]:
    # Ids sort as numbers; natural keys (a user's username, a group's name) as their JSON.
    return (0, value) if isinstance(value, int) else (1, json.dumps(value, sort_keys=True))


def _file_fields(model: type[Model]) -> list[FileField]:
    return [f for f in model._meta.fields if isinstance(f, FileField)]


@contextmanager
def _consistent_read() -> Iterator[None]:
    """One snapshot for the whole export, so a row never names a row written after it was read.

    SQLite: the project's transactions take the write lock, which holds writers off meanwhile.
    PostgreSQL: a read-only REPEATABLE READ transaction sees one snapshot and blocks nobody.
    """
    # Inside a caller's transaction (a test) the snapshot is the caller's to choose.
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def organisation_export(
    *, out: IO[bytes], include_credentials: bool = False, progress: bool = False
) -> ExportSummary:
    """Write the organisation to ``out`` (a seekable binary file) as a zip archive.

    Without ``include_credentials``, API tokens, calendar feed secrets, survey link hashes, the
    email outbox and browser sessions are left out, the columns ``CREDENTIAL_FIELDS`` names
    (a date's check-in secret) are written blank and every user's password is written as an
    unusable one. Reads only; returns what was written.
    """
    from tqdm import tqdm

    models = exported_models(include_credentials=include_credentials)
    user_label = settings.AUTH_USER_MODEL
    counts: dict[str, int] = {}
    files: set[tuple[str, str, str]] = set()
    with (
        _consistent_read(),
        archive.writer(out) as zipped,
    ):
        with zipped.open(archive.entry(archive.DATA_NAME), "w", force_zip64=True) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
            header = {
                "credentials": include_credentials,
                "format": archive.FORMAT_NAME,
                "version": archive.FORMAT_VERSION,
            }
            text.write(json.dumps(header, sort_keys=True)[:-1] + ', "models": [\n')
            for index, model in enumerate(models):
                label = model._meta.label
                total = model._default_manager.count()
                counts[label] = total
                rows = tqdm(_rows(model), total=total, desc=label, disable=not progress)
                data = serializers.serialize("python", rows, use_natural_foreign_keys=True)
                file_fields = _file_fields(model)
                for row in data:
                    row["fields"] = {
                        name: sorted(value, key=_sort_key) if isinstance(value, list) else value
                        for name, value in row["fields"].items()
                    }
                    if label == user_label and not include_credentials:
                        # Unusable: nobody signs in with a password until an admin sets one.
                        row["fields"]["password"] = UNUSABLE_PASSWORD_PREFIX
                    if not include_credentials:
                        for secret in CREDENTIAL_FIELDS.get(label, ()):
                            row["fields"][secret] = ""
                    for file_field in file_fields:
                        if row["fields"].get(file_field.name):
                            files.add((row["fields"][file_field.name], label, file_field.name))
                text.write(
                    ("," if index else "")
                    + json.dumps({"model": label, "rows": data}, sort_keys=True, default=str)
                    + "\n"
                )
            present, missing = [], []
            for name, label, field_name in sorted(files):
                storage = file_storage(label, field_name)
                (present if storage.exists(name) else missing).append((name, label, field_name))
            listed = [{"field": f, "model": m, "name": n} for n, m, f in present]
            text.write('], "files": ' + json.dumps(listed, sort_keys=True) + "}\n")
            text.flush()
            text.detach()
        for name, label, field_name in present:
            with (
                file_storage(label, field_name).open(name, "rb") as source,
                zipped.open(
                    archive.entry(archive.file_entry_name(name)), "w", force_zip64=True
                ) as target,
            ):
                shutil.copyfileobj(source, target, 1024 * 1024)
    return ExportSummary(
        rows=counts,
        files=len(present),
        include_credentials=include_credentials,
        missing_files=[name for name, _, _ in missing],
    )
