"""`knowflow dispatch_feedback [--once] [--interval 60]`: survey requests, reminders, follow-ups."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from knowflow.feedback.services.requests import feedback_tick


class Command(BaseCommand):
    help = (
        "Write survey requests for attendees of ended occurrences and send, remind and expire "
        "the due ones (idempotent; safe to run in several processes)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One pass, then exit (for cron).")
        parser.add_argument("--interval", type=float, default=60.0, help="Seconds between passes.")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            report = feedback_tick()
            self.stdout.write(
                f"feedback: {report.sent} sent, {report.reminded} reminded, {report.expired} expired, "
                f"{report.cancelled} withdrawn"
            )
            if options["once"]:
                return
            time.sleep(options["interval"])
