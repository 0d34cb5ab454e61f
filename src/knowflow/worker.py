"""What `knowflow worker` runs next to the django-tasks worker: the periodic jobs.

Email delivery from the outbox, the feedback timetable (survey requests, reminders,
follow-ups), the weekly "still accurate?" emails to owners of resources due for a review, and
the insights rollups each run in a thread of the worker process. Every job is
idempotent and coordinates through the database, so any number of workers may run them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)


def repeat(
    job: Callable[[], object], *, interval: float, stop: threading.Event | None = None
) -> None:
    """Run ``job`` every ``interval`` seconds until ``stop`` is set.

    An error (the database restarting, say) is logged and the next pass tries again; the
    connection is closed after each pass so a dead one is never reused.
    """
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            job()
        except Exception:
            logger.exception(
                "%s failed; trying again in %s s", getattr(job, "__name__", job), interval
            )
        finally:
            close_old_connections()
        stop.wait(interval)


def start_periodic_jobs(argv: list[str]) -> None:
    """Start the periodic jobs' threads (in the process that does the work, not in the
    autoreloader's parent, which only watches files)."""
    from django.utils.autoreload import DJANGO_AUTORELOAD_ENV

    from knowflow.feedback.services import feedback_tick
    from knowflow.insights.tasks import refresh_insights
    from knowflow.integrations.services import outbox_delivery_loop
    from knowflow.library.services import library_review_reminders_enqueue

    reloads = "--batch" not in argv and (
        "--reload" in argv or (settings.DEBUG and "--no-reload" not in argv)
    )
    if reloads and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
        return
    jobs: list[tuple[str, Callable[[], None]]] = [
        ("outbox", outbox_delivery_loop),
        (
            "feedback",
            lambda: repeat(feedback_tick, interval=settings.KNOWFLOW_FEEDBACK_TICK_SECONDS),
        ),
        (
            "library reviews",
            lambda: repeat(
                library_review_reminders_enqueue,
                interval=settings.KNOWFLOW_INSIGHTS_REFRESH_SECONDS,
            ),
        ),
        (
            "insights",
            lambda: repeat(refresh_insights, interval=settings.KNOWFLOW_INSIGHTS_REFRESH_SECONDS),
        ),
    ]
    for name, target in jobs:
        threading.Thread(target=target, name=name, daemon=True).start()
