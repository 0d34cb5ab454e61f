"""``knowflow import pyvideo DIR``: a checkout of the pyvideo data repository (CC0)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from knowflow.library.importers import talks_import
from knowflow.library.talk_archive import LineError, read_pyvideo


class Command(BaseCommand):
    help = (
        "Import talks from a pyvideo data checkout (<event>/category.json, <event>/videos/*.json)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args: object, **options: object) -> None:
        root: Path = options["directory"]  # type: ignore[assignment]
        if not root.is_dir():
            raise CommandError(f"{root}: no such directory.")
        errors: list[LineError] = []
        talks = list(read_pyvideo(root, errors))
        if not talks and not errors:
            raise CommandError(
                f"{root}: no <event>/category.json found; is this a pyvideo data checkout?"
            )
        with tqdm(
            total=len(talks), unit="talk", disable=bool(options["quiet"]), file=self.stderr
        ) as bar:
            report = talks_import(talks=talks, errors=errors, progress=bar.update)
        for error in report.errors:
            self.stderr.write(str(error))
        self.stdout.write(
            f"{report.created} talks created, {report.updated} updated, {len(report.errors)} files skipped."
        )
