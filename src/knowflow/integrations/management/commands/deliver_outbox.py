"""`knowflow deliver_outbox`: send due email from the outbox (and write due reminders).

`knowflow worker` already runs this loop in a thread; run it on its own to deliver email
from a separate process, or with --once from cron.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from knowflow.integrations.services import (
    outbox_deliver_due,
    outbox_delivery_loop,
    outbox_retry,
)


class Command(BaseCommand):
    help = "Deliver due outbox email (reminders included); loops unless --once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one batch, then exit")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between polls")
        parser.add_argument("--limit", type=int, default=50, help="messages per batch")
        parser.add_argument(
            "--retry",
            type=int,
            nargs="+",
            metavar="ID",
            help="put these failed messages back in the queue, then exit",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["retry"]:
            count = outbox_retry(message_ids=options["retry"])
            self.stdout.write(f"{count} message(s) queued again.")
            return
        if options["once"]:
            report = outbox_deliver_due(limit=options["limit"])
            self.stdout.write(
                f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}, "
                f"interrupted {report.interrupted}"
            )
            for error in report.errors:
                self.stderr.write(error)
            return
        self.stdout.write(f"Delivering the outbox every {options['interval']} s (Ctrl-C stops).")
        with contextlib.suppress(KeyboardInterrupt):
            outbox_delivery_loop(interval=options["interval"], limit=options["limit"])
