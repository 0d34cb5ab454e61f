"""Keep the per-session tallies equal to the per-occurrence ones when a date goes away or moves
to another session. Both happen outside the feedback services (the admin, a session's
deletion), so they are caught here; `SessionTally` would otherwise still count the responses
of a deleted date, and the programme view minus a results page would show them."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from knowflow.events.models import Occurrence, Session


@receiver(pre_save, sender=Occurrence)
def _remember_session(sender: type[Occurrence], instance: Occurrence, **kwargs: Any) -> None:
    if instance.pk and not kwargs.get("raw"):
        instance._session_before = (  # type: ignore[attr-defined]
            Occurrence.objects.filter(pk=instance.pk).values_list("session_id", flat=True).first()
        )


@receiver(post_save, sender=Occurrence)
def _moved(sender: type[Occurrence], instance: Occurrence, **kwargs: Any) -> None:
    before = getattr(instance, "_session_before", None)
    if before is not None and before != instance.session_id:
        _rebuild([before, instance.session_id])


@receiver(post_delete, sender=Occurrence)
def _deleted(sender: type[Occurrence], instance: Occurrence, **kwargs: Any) -> None:
    # Deleting the whole session deletes its tallies with it: nothing to rebuild then (and a
    # rebuilt row would outlive the session it points at).
    origin = kwargs.get("origin")
    if isinstance(origin, Session) or getattr(origin, "model", None) is Session:
        return
    if Session.objects.filter(pk=instance.session_id).exists():
        _rebuild([instance.session_id])


def _rebuild(session_ids: list[int]) -> None:
    from knowflow.feedback.services import feedback_tallies_rebuild

    feedback_tallies_rebuild(session_ids=session_ids)
