"""``knowflow related_refresh``: compute "More on this" for every changed document now.

The worker does this after each change; this command does the same pass in the foreground,
e.g. right after a bulk load or a restore, so that pages show related content at once.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from knowflow.library.services import related_content_refresh


class Command(BaseCommand):
    help = 'Compute "More on this" for the documents changed since it was last computed.'

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--limit", type=int, default=0, help="at most this many changed documents (0: all)"
        )

    def handle(self, *args: object, **options: object) -> None:
        limit = int(options["limit"]) or None  # type: ignore[call-overload]
        total, remaining = 0, True
        while remaining and (limit is None or total < limit):
            refreshed, remaining = related_content_refresh(limit=min(500, limit or 500))
            total += refreshed
            if not refreshed:
                break
        left = " Changed documents remain." if remaining else ""
        self.stdout.write(f'"More on this" computed for {total} documents.{left}')
