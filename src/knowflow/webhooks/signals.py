"""The domain's signals, turned into webhook deliveries.

Each receiver runs inside the transaction of the change (the domain sends its signals there),
so its deliveries are queued if and only if the change commits. A receiver must never make the
change fail: the delivery is built in a savepoint, and a payload that cannot be built (a row in
a state nobody foresaw) is logged and skipped rather than raised into the person's request.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from knowflow.accounts import signals as accounts_signals
from knowflow.events import signals as events_signals
from knowflow.library import signals as library_signals
from knowflow.webhooks import payloads
from knowflow.webhooks.services import webhook_deliveries_enqueue

logger = logging.getLogger(__name__)


def _enqueue(event: str, subject: str, build: Callable[[], payloads.JSON]) -> None:
    try:
        with transaction.atomic():
            webhook_deliveries_enqueue(event=event, subject=subject, build=build)
    except Exception:  # noqa: BLE001 - the change itself must go through (see the docstring)
        logger.exception("Webhook deliveries of %s %s could not be queued", event, subject)


@receiver(events_signals.session_scheduled)
def _session_scheduled(sender: Any, session: Any, **kwargs: Any) -> None:
    _enqueue("session.scheduled", str(session.pk), lambda: payloads.session_scheduled(session))


@receiver(events_signals.occurrence_changed)
def _occurrence_changed(sender: Any, occurrence: Any, change: str = "", **kwargs: Any) -> None:
    # The date's iCalendar sequence grows with every change a calendar shows: one delivery per
    # version of the date.
    _enqueue(
        "occurrence.changed",
        f"{occurrence.pk}:{change}:{occurrence.sequence}:{payloads.utc_iso(occurrence.start)}",
        lambda: payloads.occurrence_changed(occurrence, change),
    )


@receiver(events_signals.occurrence_cancelled)
def _occurrence_cancelled(sender: Any, occurrence: Any, **kwargs: Any) -> None:
    _enqueue(
        "occurrence.cancelled",
        str(occurrence.pk),
        lambda: payloads.occurrence_cancelled(occurrence),
    )


@receiver(events_signals.session_cancelled)
def _session_cancelled(sender: Any, session: Any, **kwargs: Any) -> None:
    # A receiver follows dates: each upcoming date of the session is off, as if cancelled one
    # by one (a date already cancelled on its own was announced then).
    now = timezone.now()
    upcoming = session.occurrences.filter(cancelled_at__isnull=True, end__gt=now)
    for occurrence in upcoming.select_related("session", "room"):
        _enqueue(
            "occurrence.cancelled",
            str(occurrence.pk),
            functools.partial(payloads.occurrence_cancelled, occurrence),
        )


@receiver(events_signals.registration_created)
def _registration_created(sender: Any, registration: Any, **kwargs: Any) -> None:
    # A person who cancels and registers again reuses their row with a new request time.
    _enqueue(
        "registration.created",
        f"{registration.pk}:{payloads.utc_iso(registration.requested_at)}",
        lambda: payloads.registration_created(registration),
    )


@receiver(events_signals.attendance_recorded)
def _attendance_recorded(sender: Any, attendance: Any, **kwargs: Any) -> None:
    _enqueue(
        "attendance.recorded",
        f"{attendance.pk}:{attendance.mode}",
        lambda: payloads.attendance_recorded(attendance),
    )


@receiver(library_signals.recording_published)
def _recording_published(sender: Any, resource: Any, **kwargs: Any) -> None:
    _enqueue(
        "recording.published",
        f"{resource.pk}:{resource.session_id}",
        lambda: payloads.recording_published(resource),
    )


@receiver(library_signals.path_completed)
def _path_completed(sender: Any, collection: Any, person: Any, **kwargs: Any) -> None:
    _enqueue(
        "path.completed",
        f"{collection.pk}:{person.pk}",
        lambda: payloads.path_completed(collection, person),
    )


@receiver(accounts_signals.person_deactivated)
def _person_deactivated(sender: Any, person: Any, **kwargs: Any) -> None:
    deactivated_at = getattr(person, "deactivated_at", None)
    _enqueue(
        "person.deactivated",
        f"{person.pk}:{payloads.utc_iso(deactivated_at)}",
        lambda: payloads.person_deactivated(person),
    )
