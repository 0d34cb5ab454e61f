"""The organisation's whole data as one JSON document, and back.

Built on Django's serialisation framework: models are written in dependency order, rows in
primary-key order and many-to-many lists in a fixed order, so the same data always gives the
same bytes — an export loaded into an empty database and exported again is identical.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import IO

from django.apps import apps
from django.core import serializers
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Model

from knowflow.errors import DomainError
from knowflow.links import WebURLField, is_web_url

FORMAT_NAME = "knowflow-organisation"
FORMAT_VERSION = 1

# Dependency order: a row only refers to rows written before it.
EXPORTED_MODELS = [
    "accounts.User",
    "accounts.OrgUnit",
    "accounts.Office",
    "topics.Topic",
    "accounts.Person",
    "accounts.ApiToken",
    "circles.Circle",
    "circles.Membership",
    "events.Room",
    "events.Session",
    "events.Occurrence",
    "events.Registration",
    "events.Attendance",
]


class ImportRefused(DomainError):
    pass


def _models() -> list[type[Model]]:
    return [apps.get_model(label) for label in EXPORTED_MODELS]


def _rows(model: type[Model]) -> Iterator[Model]:
    return model._default_manager.order_by("pk").iterator(chunk_size=2000)


def organisation_export(*, out: IO[str], progress: bool = False) -> dict[str, int]:
    """Write the organisation to ``out``; returns the number of rows per model."""
    from tqdm import tqdm

    counts: dict[str, int] = {}
    out.write(json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION}, sort_keys=True)[:-1])
    out.write(', "models": [\n')
    for index, model in enumerate(_models()):
        label = model._meta.label
        total = model._default_manager.count()
        counts[label] = total
        rows = tqdm(_rows(model), total=total, desc=label, disable=not progress, unit="row")
        data = serializers.serialize("python", rows, use_natural_foreign_keys=True)
        for row in data:
            row["fields"] = {
                name: sorted(value, key=str) if isinstance(value, list) else value
                for name, value in row["fields"].items()
            }
        out.write(
            ("," if index else "")
            + json.dumps({"model": label, "rows": data}, sort_keys=True, default=str)
        )
        out.write("\n")
    out.write("]}\n")
    return counts


def _organisation_is_empty() -> bool:
    return not any(apps.get_model(label)._default_manager.exists() for label in EXPORTED_MODELS)


def organisation_import(*, path: Path, progress: bool = False) -> dict[str, int]:
    """Load an export into an empty database, all or nothing."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ImportRefused(f"Cannot read {path}: {error}") from error
    except json.JSONDecodeError as error:
        raise ImportRefused(f"{path} is not JSON: {error.msg} at line {error.lineno}.") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise ImportRefused(f"{path} is not a Knowflow organisation export.")
    if document.get("version") != FORMAT_VERSION:
        raise ImportRefused(
            f"Export version {document.get('version')} is not supported (expected {FORMAT_VERSION})."
        )
    if not _organisation_is_empty():
        raise ImportRefused(
            "The database already holds an organisation: import into an empty database."
        )
    counts: dict[str, int] = {}
    with transaction.atomic():
        for block in document.get("models", []):
            rows = block.get("rows", [])
            objects = serializers.deserialize("python", rows, handle_forward_references=True)
            for deserialized in objects:
                _check_links(deserialized.object)
                deserialized.save()
            counts[block.get("model", "?")] = len(rows)
    _reset_sequences()
    return counts


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


def _reset_sequences() -> None:
    """Move PostgreSQL's primary-key sequences past the imported ids (SQLite needs nothing)."""
    if connection.vendor != "postgresql":
        return
    labels = sorted({m._meta.app_label for m in _models()})
    sql = StringIO()
    call_command("sqlsequencereset", *labels, stdout=sql, no_color=True)
    with connection.cursor() as cursor:
        cursor.execute(sql.getvalue())
