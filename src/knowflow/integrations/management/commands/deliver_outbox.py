"""`knowflow deliver_outbox`: send due email from the outbox (and write due reminders).

`knowflow worker` already runs this loop in a thread; run it on its own to deliver email
from a separate process, or with --once from cron.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
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
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="seconds between polls (default: KNOWFLOW_OUTBOX_INTERVAL_SECONDS, 5)",
        )
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
        interval = options["interval"]
        if interval is None:
            interval = settings.KNOWFLOW_OUTBOX_INTERVAL_SECONDS
        self.stdout.write(f"Delivering the outbox every {interval} s (Ctrl-C stops).")
        stop = threading.Event()

        # Ctrl-C or SIGTERM: finish the message in hand, claim no other, exit; a second
        # signal exits at once (a message left "sending" is queued again after its lease).
        def stop_after_this_message(signum: int, frame: object) -> None:
            if stop.is_set():
                raise SystemExit(1)
            stop.set()

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, stop_after_this_message)
        outbox_delivery_loop(interval=interval, limit=options["limit"], stop=stop)
