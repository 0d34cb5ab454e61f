"""Signals the search index sends for the apps built on it.

`documents_written`: documents were inserted or replaced, inside the writer's transaction, with
``kinds`` (a frozenset of the kinds written). `documents_removed`: documents left the index,
with ``kind`` and ``object_ids``. The library follows both to keep its stored "More on this"
lists (``library.related``) in step; the index itself knows nothing of them.
"""

from __future__ import annotations

from django.dispatch import Signal

documents_written = Signal()
documents_removed = Signal()
