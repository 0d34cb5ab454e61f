"""Keep the per-session tallies equal to the per-occurrence ones when dates are deleted or moved
to another session outside the services (the admin, an importer): the events app says so with
`occurrences_removed`, and those sessions' `SessionTally` is rebuilt in the same transaction.
Otherwise it would still count the responses of a deleted date, and the programme view minus a
results page would show them. Deleting a whole session deletes its tallies with it.

Sent by this app: `follow_up_answered(request=, response=, answers=)`, inside the transaction of
a follow-up survey's submission (7, 30 or 90 days after a session), with the raw ``answers``
as submitted. The request names the person, so a receiver holds, for that moment, the link
between a person and an answer that may be anonymous: it must not store or send anything that
joins them unless the person asked for it in those very answers (an explicit, unticked-by-default
consent field; see docs/feedback.md). Receivers must be quick and must not raise.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal, receiver

from knowflow.accounts.signals import person_deactivated
from knowflow.events.signals import occurrences_removed

follow_up_answered = Signal()


@receiver(occurrences_removed)
def _rebuild_session_tallies(sender: Any, session_ids: list[int], **kwargs: Any) -> None:
    from knowflow.feedback.services.tallies import feedback_tallies_rebuild

    feedback_tallies_rebuild(session_ids=session_ids)


@receiver(person_deactivated)
def _withdraw_surveys_of_someone_who_left(sender: Any, person: Any, **kwargs: Any) -> None:
    """Someone who left is asked nothing more: their waiting survey requests are cancelled and
    their links stop working. Answers they gave stay counted."""
    from knowflow.feedback.models import SurveyLink, SurveyRequest

    waiting = SurveyRequest.objects.filter(
        person=person, status__in=[SurveyRequest.Status.SCHEDULED, SurveyRequest.Status.SENT]
    )
    SurveyLink.objects.filter(request__in=waiting).delete()
    waiting.update(status=SurveyRequest.Status.CANCELLED, next_action_at=None)
