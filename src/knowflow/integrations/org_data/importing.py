"""`organisation_import`: an export into an empty database, all or nothing.

Everything is checked before anything is written (the archive, its format and version, that
the database is empty and that the storage has none of the files). Rows are then loaded in one
transaction; the search index is rebuilt from them inside it; files are written last, still
inside it, and deleted again if anything fails, the commit included, so a failed import leaves
neither rows nor files behind.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Model

from knowflow.errors import DomainError
from knowflow.integrations.org_data import archive
from knowflow.integrations.org_data.scope import (
    DERIVED,
    SEEDED_BY_MIGRATIONS,
    exported_models,
    file_storage,
)
from knowflow.links import WebURLField, is_web_url
from knowflow.mail.kinds import KINDS_BEFORE_DOTTED


class ImportRefused(DomainError):
    pass


@dataclass(frozen=True)
class ImportSummary:
    rows: dict[str, int]
    files: int
    include_credentials: bool


@dataclass(frozen=True)
class _File:
    label: str
    field_name: str
    name: str


def _open(path: Path) -> zipfile.ZipFile:
    try:
        with path.open("rb") as handle:
            start = handle.read(1)
    except OSError as error:
        raise ImportRefused(f"Cannot read {path}: {error.strerror or error}.") from error
    if start == b"{":
        raise ImportRefused(
            f"{path} is an export of an older Knowflow (a JSON file). Export again with this "
            "version: it writes a .zip archive."
        )
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise ImportRefused(
            f"{path} is not a Knowflow organisation export, or it is truncated (not a complete "
            "zip archive)."
        ) from error


def _read_document(zipped: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    try:
        raw = zipped.read(archive.DATA_NAME)
    except KeyError as error:
        raise ImportRefused(f"{path} is not a Knowflow organisation export.") from error
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ImportRefused(f"{path} is damaged: {archive.DATA_NAME} cannot be read.") from error
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ImportRefused(f"{path} is damaged: {archive.DATA_NAME} is not UTF-8.") from error
    except json.JSONDecodeError as error:
        raise ImportRefused(
            f"{path} is damaged: {archive.DATA_NAME} is not JSON ({error.msg} at line "
            f"{error.lineno})."
        ) from error
    if not isinstance(document, dict) or document.get("format") != archive.FORMAT_NAME:
        raise ImportRefused(f"{path} is not a Knowflow organisation export.")
    if document.get("version") != archive.FORMAT_VERSION:
        raise ImportRefused(
            f"Export version {document.get('version')} is not supported (expected "
            f"{archive.FORMAT_VERSION})."
        )
    return document


def _read_as_current(block: Any) -> None:
    """Read a block written before the outbox became the mail app's as today's model.

    Exports of the same format version written until then name the outbox's rows
    `integrations.OutboxMessage`, with the kinds of that time (`invitation`, `survey`…): an
    export made before an upgrade still imports after it, its emails under their dotted kinds.
    """
    if not isinstance(block, dict) or block.get("model") != "integrations.OutboxMessage":
        return
    block["model"] = "mail.OutboxMessage"
    for row in block.get("rows") if isinstance(block.get("rows"), list) else []:
        if not isinstance(row, dict):
            continue
        row["model"] = "mail.outboxmessage"
        fields = row.get("fields")
        if isinstance(fields, dict) and fields.get("kind") in KINDS_BEFORE_DOTTED:
            fields["kind"] = KINDS_BEFORE_DOTTED[fields["kind"]]


def _blocks(document: dict[str, Any], path: Path) -> list[tuple[type[Model], list[Any]]]:
    known = {m._meta.label: m for m in exported_models(include_credentials=True)}
    blocks = document.get("models")
    if not isinstance(blocks, list):
        raise ImportRefused(f"{path} is damaged: it has no list of models.")
    checked = []
    for block in blocks:
        _read_as_current(block)
        label = block.get("model") if isinstance(block, dict) else None
        rows = block.get("rows") if isinstance(block, dict) else None
        if label not in known or not isinstance(rows, list):
            raise ImportRefused(
                f"{path} holds rows of '{label}', which this version of Knowflow does not have "
                "(an export from a newer version?)."
            )
        checked.append((known[label], rows))
    return checked


def _files(document: dict[str, Any], zipped: zipfile.ZipFile, path: Path) -> list[_File]:
    listed = document.get("files", [])
    members = set(zipped.namelist())
    files = []
    for item in listed if isinstance(listed, list) else [None]:
        try:
            found = _File(label=item["model"], field_name=item["field"], name=item["name"])
            file_storage(found.label, found.field_name)
        except (TypeError, KeyError, LookupError, ValueError) as error:
            raise ImportRefused(f"{path} is damaged: its list of files is not valid.") from error
        if not archive.is_safe_storage_name(found.name):
            raise ImportRefused(f"{path} names a file outside the storage: '{found.name}'.")
        if archive.file_entry_name(found.name) not in members:
            raise ImportRefused(f"{path} is damaged: the file '{found.name}' is missing from it.")
        files.append(found)
    return files


def _seeded(model: type[Model]) -> dict[str, Any] | None:
    return SEEDED_BY_MIGRATIONS.get(model._meta.label)


def _check_empty() -> None:
    checked = [*exported_models(include_credentials=True), *map(apps.get_model, DERIVED)]
    for model in checked:
        rows = model._default_manager.all()
        seeded = _seeded(model)
        if seeded is not None:
            rows = rows.exclude(**seeded)
        count = rows.count()
        if count:
            name = model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural
            raise ImportRefused(
                f"The database already holds an organisation ({count} {name}): import into an "
                "empty database."
            )


def _check_storage_free(files: list[_File]) -> None:
    for file in files:
        if file_storage(file.label, file.field_name).exists(file.name):
            raise ImportRefused(
                f"The file storage already holds '{file.name}': import into an empty storage "
                "(a new KNOWFLOW_DATA_DIR, or an empty bucket)."
            )


def _write_files(zipped: zipfile.ZipFile, files: list[_File], written: list[_File]) -> None:
    for file in files:
        storage = file_storage(file.label, file.field_name)
        with zipped.open(archive.file_entry_name(file.name)) as source:
            saved = storage.save(file.name, File(source, name=file.name))
        written.append(_File(label=file.label, field_name=file.field_name, name=saved))
        if saved != file.name:
            # Someone wrote the same name since the check: the row would name another file.
            raise ImportRefused(f"The file storage already holds '{file.name}'.")


def _remove(written: list[_File]) -> None:
    for file in written:
        file_storage(file.label, file.field_name).delete(file.name)


def _reset_sequences(models: list[type[Model]]) -> None:
    """Move PostgreSQL's primary-key sequences past the imported ids (SQLite needs nothing)."""
    if connection.vendor != "postgresql":
        return
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _check_links(row: Model) -> None:
    """An export is edited by hand sometimes: its links obey the rule the pages do (http(s)
    only), or nothing is imported."""
    for field in row._meta.fields:
        value = getattr(row, field.attname)
        if isinstance(field, WebURLField) and value and not is_web_url(value):
            raise ImportRefused(
                f"{row._meta.label} {row.pk}: the {field.verbose_name} {value[:80]!r} is not a "
                "web address that starts with http:// or https://; nothing was imported."
            )


def _load(model: type[Model], rows: list[Any], *, path: Path, progress: bool) -> None:
    """Insert one model's rows as they are, many at a time.

    Raw inserts, as `loaddata` does row by row: the stored values are kept (an
    ``auto_now`` field keeps its exported time) and no ``save()`` or signal runs. Foreign keys
    are checked when the transaction commits, so the order of models does not matter to them.
    """
    from tqdm import tqdm

    label = model._meta.label
    objects: list[Model] = []
    relations: list[dict[str, list[Any]]] = []
    deserialized_rows = serializers.deserialize("python", rows, handle_forward_references=True)
    for deserialized in tqdm(deserialized_rows, total=len(rows), desc=label, disable=not progress):
        if type(deserialized.object) is not model or deserialized.deferred_fields:
            raise ImportRefused(f"{path} is damaged: a row of {label} is not valid.")
        _check_links(deserialized.object)
        objects.append(deserialized.object)
        relations.append(deserialized.m2m_data)
    fields = list(model._meta.local_concrete_fields)
    batch = max(1, connection.ops.bulk_batch_size(fields, objects) or 500)
    for start in range(0, len(objects), batch):
        model._base_manager._insert(objects[start : start + batch], fields=fields, raw=True)
    for field in model._meta.many_to_many:
        through = field.remote_field.through
        if not through._meta.auto_created:
            continue  # an explicit through model is a model of its own, exported as such
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        links = [
            through(**{f"{source}_id": obj.pk, f"{target}_id": target_id})
            for obj, data in zip(objects, relations, strict=True)
            for target_id in data.get(field.name, [])
        ]
        through._base_manager.bulk_create(links, batch_size=500)


def organisation_import(*, path: Path, progress: bool = False) -> ImportSummary:
    """Load the export at ``path`` into an empty database and storage, all or nothing.

    Refuses (``ImportRefused``, nothing changed) a file that is not a complete export of this
    version, a database that holds an organisation, and a storage that holds one of its files.
    Rebuilds the search index from the imported rows.
    """
    with _open(path) as zipped:
        document = _read_document(zipped, path)
        blocks = _blocks(document, path)
        files = _files(document, zipped, path)
        _check_empty()
        _check_storage_free(files)
        counts: dict[str, int] = {}
        written: list[_File] = []
        try:
            with transaction.atomic():
                for model in SEEDED_BY_MIGRATIONS:
                    apps.get_model(model)._default_manager.all().delete()
                for model, rows in blocks:
                    _load(model, rows, path=path, progress=progress)
                    counts[model._meta.label] = len(rows)
                _reset_sequences([model for model, _ in blocks])
                call_command("search_reindex", quiet=True, stdout=StringIO())
                _write_files(zipped, files, written)
        except ImportRefused:
            _remove(written)
            raise
        except (
            DatabaseError,
            DeserializationError,
            ValidationError,
            ValueError,
            TypeError,
            KeyError,
            zipfile.BadZipFile,
            EOFError,
        ) as error:
            _remove(written)
            raise ImportRefused(
                f"{path} could not be loaded, nothing was imported: {_reason(error)}"
            ) from error
        except BaseException:
            _remove(written)
            raise
    return ImportSummary(
        rows=counts, files=len(written), include_credentials=bool(document.get("credentials"))
    )


def _reason(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text if text.endswith(".") else text + "."
