"""`knowflow export [FILE]`: the whole organisation as JSON (to stdout without FILE)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from knowflow.integrations.org_data import organisation_export


class Command(BaseCommand):
    help = "Export the organisation's whole data as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="Where to write (default: standard output).")

    def handle(self, *args: object, file: str | None = None, **options: object) -> None:
        if file:
            with Path(file).open("w", encoding="utf-8") as out:
                counts = organisation_export(out=out, progress=sys.stderr.isatty())
            total = sum(counts.values())
            self.stderr.write(f"Exported {total} rows to {file}.")
        else:
            organisation_export(out=self.stdout._out, progress=False)
