"""Keep the per-session tallies equal to the per-occurrence ones when dates are deleted or moved
to another session outside the services (the admin, an importer): the events app says so with
`occurrences_removed`, and those sessions' `SessionTally` is rebuilt in the same transaction.
Otherwise it would still count the responses of a deleted date, and the programme view minus a
results page would show them. Deleting a whole session deletes its tallies with it."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from knowflow.events.signals import occurrences_removed


@receiver(occurrences_removed)
def _rebuild_session_tallies(sender: Any, session_ids: list[int], **kwargs: Any) -> None:
    from knowflow.feedback.services.tallies import feedback_tallies_rebuild

    feedback_tallies_rebuild(session_ids=session_ids)
