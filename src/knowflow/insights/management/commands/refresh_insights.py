"""``knowflow refresh_insights [--every SECONDS] [--skip-duplicates]``: recompute the dashboard
rollups and re-run duplicate detection (the pass ``knowflow worker`` runs, hourly by default).

Run it from cron, or with ``--every 3600`` as a long-running process next to ``knowflow
worker``; several copies are harmless (each pass replaces the same rows in one transaction).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from knowflow.insights.tasks import refresh_insights


class Command(BaseCommand):
    help = "Recompute the insights rollups and duplicate clusters."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=0, help="repeat every N seconds")
        parser.add_argument("--skip-duplicates", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            report = refresh_insights(duplicates=not options["skip_duplicates"])
            self.stdout.write(", ".join(f"{key}: {value}" for key, value in report.items()))
            if not options["every"]:
                return
            time.sleep(options["every"])
