"""`knowflow import FILE`: load an organisation export into an empty database."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from knowflow.integrations.org_data import ImportRefused, organisation_import


class Command(BaseCommand):
    help = "Import an organisation export (from `knowflow export`) into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="A .zip archive written by `knowflow export`.")

    def handle(self, *args: object, file: str, **options: object) -> None:
        try:
            summary = organisation_import(path=Path(file), progress=sys.stderr.isatty())
        except ImportRefused as error:
            raise CommandError(error.message) from error
        self.stderr.write(
            f"Imported {sum(summary.rows.values())} rows and {summary.files} files from {file}."
        )
        if not summary.include_credentials:
            self.stderr.write(
                "The export held no credentials: nobody can sign in with a password yet. Set "
                "one with `knowflow changepassword USERNAME` (an admin first)."
            )
