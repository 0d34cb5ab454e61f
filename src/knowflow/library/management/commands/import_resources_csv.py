"""``knowflow import resources FILE.csv``: resources from a spreadsheet (idempotent)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from knowflow.library.importers import CSV_COLUMNS, resources_import_csv


class Command(BaseCommand):
    help = f"Import resources from CSV with a header row: {', '.join(CSV_COLUMNS)} (title and kind required)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: object, **options: object) -> None:
        path: Path = options["file"]  # type: ignore[assignment]
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        report = resources_import_csv(path=path)
        for error in report.errors:
            self.stderr.write(f"{path}: {error}")
        self.stdout.write(
            f"{report.created} resources created, {report.updated} updated, {len(report.errors)} lines skipped."
        )
