"""``knowflow import talks FILE``: a JSON Lines talk archive (gzip or plain) into the library."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from knowflow.library.importers import talks_import
from knowflow.library.talk_archive import LineError, read_talks_jsonl


class Command(BaseCommand):
    help = "Import talks from JSON Lines (the schema of shared/data/talks.jsonl.gz); idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--limit", type=int, default=0, help="Import only the first N talks.")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")
        parser.add_argument(
            "--no-semantic",
            action="store_true",
            help="Do not retrain the semantic search model afterwards (search stays as it was).",
        )

    def handle(self, *args: object, **options: object) -> None:
        path: Path = options["file"]  # type: ignore[assignment]
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        started = time.perf_counter()
        errors: list[LineError] = []
        talks = list(read_talks_jsonl(path, errors))
        limit = int(options["limit"] or 0)  # type: ignore[call-overload]
        if limit:
            talks = talks[:limit]
        with tqdm(
            total=len(talks), unit="talk", disable=bool(options["quiet"]), file=self.stderr
        ) as bar:
            report = talks_import(talks=talks, errors=errors, progress=bar.update)
        for error in report.errors:
            self.stderr.write(f"{path}: {error}")
        self.stdout.write(
            f"{report.created} talks created, {report.updated} updated, "
            f"{len(report.errors)} lines skipped, in {time.perf_counter() - started:.1f} s."
        )
        if not options["no_semantic"] and (report.created or report.updated):
            # A bulk import changes what the library talks about: the semantic model learns
            # it now rather than at the worker's next pass (seconds to a minute).
            from knowflow.search.semantic import semantic_train

            trained = time.perf_counter()
            model = semantic_train()
            if model is not None:
                self.stdout.write(
                    f"Semantic search model trained on {len(model.doc_ids)} documents "
                    f"in {time.perf_counter() - trained:.1f} s."
                )
