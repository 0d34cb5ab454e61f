"""`knowflow export [FILE] [--include-credentials]`: the whole organisation as a zip archive."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from knowflow.integrations.org_data import organisation_export


class Command(BaseCommand):
    help = "Export the organisation's whole data and uploaded files as one .zip archive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="Where to write (default: standard output).")
        parser.add_argument(
            "--include-credentials",
            action="store_true",
            help="Also export password hashes, API token hashes, calendar feed secrets, survey "
            "link hashes, the email outbox and browser sessions: the file then lets its "
            "holder sign in as anyone. Without it, imported users have unusable passwords.",
        )

    def handle(
        self, *args: object, file: str | None = None, include_credentials: bool = False, **_: object
    ) -> None:
        target = Path(file) if file else None
        # The archive is written next to its destination and renamed into place when complete,
        # so an interrupted export never leaves a file that looks whole. Standard output gets a
        # copy of the finished file (a zip is written with seeks, which a pipe cannot take).
        directory = target.resolve().parent if target else None
        try:
            handle, temporary = tempfile.mkstemp(suffix=".part", dir=directory)
        except OSError as error:
            raise CommandError(f"Cannot write to {directory}: {error.strerror}.") from error
        try:
            with os.fdopen(handle, "w+b") as out:
                summary = organisation_export(
                    out=out,
                    include_credentials=include_credentials,
                    progress=sys.stderr.isatty(),
                )
                if target is None:
                    stream = getattr(self.stdout._out, "buffer", None)
                    if stream is None:
                        raise CommandError("Standard output takes no bytes here: give a FILE.")
                    out.seek(0)
                    shutil.copyfileobj(out, stream)
                    stream.flush()
            if target is not None:
                os.chmod(temporary, 0o600)  # it holds everyone's data
                os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        for name in summary.missing_files:
            self.stderr.write(f"Not in the file storage, left out: {name}")
        what = "with credentials" if include_credentials else "without credentials"
        self.stderr.write(
            f"Exported {sum(summary.rows.values())} rows and {summary.files} files "
            f"({what}) to {file or 'standard output'}."
        )
