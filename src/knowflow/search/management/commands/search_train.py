"""``knowflow search_train``: train the semantic search model on the index as it is now.

    knowflow search_train            # train (or retrain) and store the model
    knowflow search_train --remove   # forget it: search is lexical only

``knowflow search_reindex`` and ``knowflow import talks`` train it too
(``knowflow.search.semantic``); ``needs_training`` says when the index has drifted from it.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from knowflow.search.semantic import semantic_remove, semantic_train


class Command(BaseCommand):
    help = "Train the semantic search model on the indexed documents (or --remove it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--remove", action="store_true", help="Search lexically only.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["remove"]:
            semantic_remove()
            self.stdout.write("Semantic model removed: search is lexical only.")
            return
        started = time.perf_counter()
        model = semantic_train()
        if model is None:
            self.stdout.write("Too few documents to train a semantic model: search is lexical.")
            return
        self.stdout.write(
            f"Semantic model trained on {len(model.doc_ids)} documents "
            f"({model.doc_vectors.shape[1]} dimensions, {len(model.term_index)} terms, "
            f"{len(model.abbreviations)} abbreviations learned) in "
            f"{time.perf_counter() - started:.1f} s."
        )
