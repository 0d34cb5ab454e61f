"""``knowflow export people [FILE.csv]``: the directory as a people file (to stdout without FILE)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from knowflow.accounts.people_file import people_file_write


class Command(BaseCommand):
    help = "Write every person with an email as a people file (the columns `import people` reads)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, nargs="?")

    def handle(self, *args: object, **options: object) -> None:
        path: Path | None = options["file"]  # type: ignore[assignment]
        if path is None:
            people_file_write(sys.stdout)
            return
        with open(path, "w", encoding="utf-8", newline="") as stream:
            count = people_file_write(stream)
        self.stderr.write(f"{count} people written to {path}.")
