"""`knowflow feedback_tallies_rebuild`: recompute the per-session tallies from the per-occurrence
ones (after a bulk load, or a deleted occurrence that had responses)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from knowflow.feedback.services.tallies import feedback_tallies_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the per-session feedback tallies that the programme and evidence views read "
        "from the per-occurrence tallies. Safe to run at any time; shows progress."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        written = feedback_tallies_rebuild(progress=lambda line: self.stderr.write(line))
        self.stdout.write(f"feedback: {written:,} session tally rows written")
