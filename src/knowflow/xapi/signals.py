"""Receivers: the domains say what happened, inside the transaction of the change, and the
statement is queued in that same transaction (so a change that rolls back sends nothing).

A receiver must never break the change it hears about: a statement that cannot be built is
logged and skipped (in a savepoint, so the caller's transaction stays usable), and the
attendance or the progress is saved all the same.

Follow-up answers are not received here: an answer may be anonymous, and a statement naming
the person is sent only when they ask for it on the form (`services.xapi_follow_up_submit`),
queued a day later with the others of that day, on an outbound pass (`_applied_due`).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.dispatch import receiver

from knowflow.events.signals import attendance_recorded
from knowflow.library.signals import path_completed
from knowflow.outbound.signals import outbound_pass_starting

logger = logging.getLogger(__name__)


@receiver(attendance_recorded, dispatch_uid="xapi.attended")
def _attended(sender: Any, attendance: Any, **kwargs: Any) -> None:
    from knowflow.xapi.services import xapi_attended_enqueue

    try:
        # A savepoint: a failed write here must not leave the caller's transaction broken.
        with transaction.atomic():
            xapi_attended_enqueue(attendance=attendance)
    except Exception:
        logger.exception("xAPI: no 'attended' statement for attendance %s", attendance.pk)


@receiver(path_completed, dispatch_uid="xapi.completed")
def _path_completed(sender: Any, collection: Any, person: Any, **kwargs: Any) -> None:
    from knowflow.xapi.services import xapi_path_completed_enqueue

    try:
        with transaction.atomic():
            xapi_path_completed_enqueue(collection=collection, person=person)
    except Exception:
        logger.exception("xAPI: no 'completed' statement for path %s", collection.pk)


@receiver(outbound_pass_starting, dispatch_uid="xapi.applied")
def _applied_due(sender: Any, now: Any, **kwargs: Any) -> None:
    """The "applied" statements people asked for, queued a day later all together (see
    `services.xapi_applied_enqueue_due`)."""
    from knowflow.xapi.services import xapi_applied_enqueue_due

    xapi_applied_enqueue_due(now=now)
