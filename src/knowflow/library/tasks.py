"""Background work for the library, run by `knowflow worker` (django-tasks).

``related_content_refresh_task`` recomputes "More on this" for the documents that changed
since it was last computed. The index queues it after every committed change; it takes a
batch at a time and queues itself again while changed documents remain, so a bulk load's
tens of thousands of documents never hold the worker away from email for long.
"""

from __future__ import annotations

from django_tasks import task

from knowflow.library.services import related_content_refresh

BATCH = 200


@task()
def related_content_refresh_task() -> int:
    refreshed, remaining = related_content_refresh(limit=BATCH)
    if remaining:
        related_content_refresh_task.enqueue()
    return refreshed


def related_content_refresh_later() -> None:
    """Queue a refresh once the current transaction commits (nothing for a rollback)."""
    from django.db import transaction

    transaction.on_commit(related_content_refresh_task.enqueue)
