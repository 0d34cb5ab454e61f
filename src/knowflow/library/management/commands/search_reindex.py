"""``knowflow search_reindex``: rebuild the search index (after a bulk load or a restore).

The services keep the index current change by change; data written around them (the
demo's bulk load, a database restored from a backup) needs this once.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from tqdm import tqdm

from knowflow.library.models import SearchDocument
from knowflow.library.search.documents import INDEXERS, reindex_all


class Command(BaseCommand):
    help = "Rebuild the search documents of everything searchable."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--kind", action="append", choices=list(SearchDocument.Kind.values), default=[]
        )
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: object, **options: object) -> None:
        kinds = options["kind"] or list(INDEXERS)
        total = sum(INDEXERS[k][0].objects.count() for k in kinds)
        with (
            tqdm(total=total, unit="doc", disable=bool(options["quiet"]), file=self.stderr) as bar,
            transaction.atomic(),
        ):
            counts = reindex_all(kinds=kinds, progress=bar)
        self.stdout.write(", ".join(f"{n} {kind}" for kind, n in counts.items()) + " indexed.")
