"""``knowflow search_reindex``: rebuild the search index (after a bulk load or a restore).

The services keep the index current change by change; data written around them (the
demo's bulk load, a database restored from a backup) needs this once. It walks every kind
the apps registered (``knowflow.search.registry``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from tqdm import tqdm

from knowflow.search import registry
from knowflow.search.index import reindex_all
from knowflow.search.semantic import semantic_train


class Command(BaseCommand):
    help = "Rebuild the search documents of everything searchable."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--kind", action="append", choices=[k.kind for k in registry.kinds()], default=[]
        )
        parser.add_argument("--quiet", action="store_true")
        parser.add_argument(
            "--no-semantic", action="store_true", help="Do not retrain the semantic model."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kinds: list[str] = options["kind"] or [k.kind for k in registry.kinds()]
        total = sum(registry.get(k).model._default_manager.count() for k in kinds)
        with (
            tqdm(total=total, unit="doc", disable=bool(options["quiet"]), file=self.stderr) as bar,
            transaction.atomic(),
        ):
            counts = reindex_all(kinds=kinds, progress=bar)
        self.stdout.write(", ".join(f"{n} {kind}" for kind, n in counts.items()) + " indexed.")
        if not options["no_semantic"]:
            model = semantic_train()
            self.stdout.write(
                f"Semantic model trained on {len(model.doc_ids)} documents."
                if model is not None
                else "Too few documents for a semantic model: search is lexical."
            )
