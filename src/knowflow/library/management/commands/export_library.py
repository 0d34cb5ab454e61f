"""``knowflow export library [FILE]``: the library (resources, collections) as JSON Lines."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from knowflow.library.exporters import library_export_lines


class Command(BaseCommand):
    help = "Export the library as JSON Lines: one resource or collection per line (stdout without FILE)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, nargs="?")

    def handle(self, *args: object, **options: object) -> None:
        path: Path | None = options["file"]  # type: ignore[assignment]
        out = open(path, "w", encoding="utf-8") if path else sys.stdout  # noqa: SIM115
        try:
            count = 0
            for record in library_export_lines():
                out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
                count += 1
        finally:
            if path:
                out.close()
        if path:
            self.stdout.write(f"{count} records written to {path}.")
