"""`knowflow deliver_outbound`: post due chat messages, webhook deliveries and xAPI statements.

`knowflow worker` already runs this loop in a thread; run it on its own to post from a
separate process, or with --once from cron.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from knowflow.outbound.services import (
    outbound_deliver_due,
    outbound_delivery_loop,
    outbound_retry,
)


class Command(BaseCommand):
    help = "Post due outbound posts (chat, webhooks, xAPI); loops unless --once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one batch, then exit")
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="seconds between polls (default: KNOWFLOW_OUTBOUND_INTERVAL_SECONDS, 5)",
        )
        parser.add_argument("--limit", type=int, default=50, help="posts per batch")
        parser.add_argument(
            "--retry",
            type=int,
            nargs="+",
            metavar="ID",
            help="put these failed or cancelled posts back in the queue, then exit",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["retry"]:
            count = outbound_retry(post_ids=options["retry"])
            self.stdout.write(f"{count} post(s) queued again.")
            return
        if options["once"]:
            report = outbound_deliver_due(limit=options["limit"])
            self.stdout.write(
                f"{report.sent} sent, {report.retrying} to retry, {report.failed} failed, "
                f"{report.cancelled} cancelled."
            )
            for error in report.errors:
                self.stderr.write(error)
            return
        stop = threading.Event()

        def _stop(signum: int, frame: object) -> None:
            stop.set()  # the post in hand is finished, no other is claimed

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, _stop)
        outbound_delivery_loop(interval=options["interval"], limit=options["limit"], stop=stop)
