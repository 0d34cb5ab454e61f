"""`knowflow deliver_outbox`: send due email from the outbox (and write due reminders).

`knowflow worker` already runs this loop in a thread; run it on its own to deliver email
from a separate process, or with --once from cron.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from knowflow.mail.checks import outbox_settings_problems
from knowflow.mail.services import (
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
        problems = outbox_settings_problems()
        if problems:
            raise CommandError(" ".join(problems))
        if options["once"]:
            with stopping_on_signals() as stop:
                report = outbox_deliver_due(limit=options["limit"], stop=stop)
            self.stdout.write(
                f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}, "
                f"interrupted {report.interrupted}, lost to another worker {report.lost_lease}"
            )
            for error in report.errors:
                self.stderr.write(error)
            return
        interval = options["interval"]
        if interval is None:
            interval = settings.KNOWFLOW_OUTBOX_INTERVAL_SECONDS
        self.stdout.write(f"Delivering the outbox every {interval} s (Ctrl-C stops).")
        with stopping_on_signals() as stop:
            outbox_delivery_loop(interval=interval, limit=options["limit"], stop=stop)


@contextmanager
def stopping_on_signals() -> Iterator[threading.Event]:
    """An event set by Ctrl-C or SIGTERM, so delivery finishes the message in hand, claims no
    other and returns; a second signal exits at once (a message then left "sending" is queued
    again after its lease). The previous handlers come back afterwards."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # only the main thread may handle signals
        return

    def stop_after_this_message(signum: int, frame: object) -> None:
        if stop.is_set():
            raise SystemExit(1)
        stop.set()

    previous = {
        signum: signal.signal(signum, stop_after_this_message)
        for signum in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
