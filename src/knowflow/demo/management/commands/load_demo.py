"""`knowflow demo [--size small|large] [--seed N] [--reset]`: load the demo organisation."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from knowflow.demo.generator import DemoAlreadyLoaded, demo_load
from knowflow.demo.specification import SIZES
from knowflow.search.index import reindex_all


class Command(BaseCommand):
    help = (
        "Load a deterministic demo organisation (people in many time zones, circles, topics, "
        "sessions with registrations and attendance) and print the sign-in accounts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=sorted(SIZES), default="small")
        parser.add_argument("--seed", type=int, default=42, help="Same seed, same organisation.")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo organisation already in the database, then load it again.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bars.")

    def handle(self, *args: Any, **options: Any) -> None:
        def say(line: str) -> None:
            # Progress goes to stderr, so stdout carries only the summary and the accounts.
            print(line, file=sys.stderr)

        say(f"Loading the {options['size']} demo organisation (seed {options['seed']})…")
        try:
            summary = demo_load(
                seed=options["seed"],
                size=options["size"],
                reset=options["reset"],
                progress=not options["no_progress"],
                out=say,
            )
        except DemoAlreadyLoaded as error:
            raise CommandError(str(error)) from error
        # The demo is bulk-written around the services, so search indexes it once here.
        say("Indexing the demo for search…")
        with transaction.atomic():
            reindex_all()
        self.stdout.write("\n".join(summary.lines()))
