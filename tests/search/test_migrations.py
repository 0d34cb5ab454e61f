"""Upgrading moves the search document from the library to the search app and keeps it all:
the table, every row, and the database's full-text index over them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from knowflow.discovery.text import terms_text
from knowflow.search.base import SearchFilters
from knowflow.search.engine import invalidate, run_search
from knowflow.search.models import SearchDocument

BEFORE = [("search", None)]  # the library owned the model then (library 0004)


def _migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_upgrade_keeps_the_documents_the_library_wrote_and_finds_them():
    old_state = _migrate(BEFORE).loader.project_state(("library", "0004_related_content"))
    OldDocument = old_state.apps.get_model("library", "SearchDocument")
    OldDocument.objects.create(
        kind="session", object_id=7, group_key="session:7", slug="kubernetes-operators",
        title="Kubernetes operators", title_terms=terms_text("Kubernetes operators"),
        summary="Writing operators in Go.", body_terms=terms_text("Writing operators in Go."),
    )  # fmt: skip

    executor = MigrationExecutor(connection)
    _migrate(executor.loader.graph.leaf_nodes())
    invalidate()
    results, _ = run_search(text="kubernetes", filters=SearchFilters())

    assert list(SearchDocument.objects.values_list("kind", "object_id", "title")) == [
        ("session", 7, "Kubernetes operators")
    ]
    assert [(hit.kind, hit.object_id, hit.title) for hit in results.hits] == [
        ("session", 7, "Kubernetes operators")
    ]
