"""What `knowflow worker` runs next to the django-tasks worker: the periodic jobs.

Email delivery from the outbox, posts to other systems (chat, webhooks, xAPI), the feedback
timetable (survey requests, reminders, follow-ups), the weekly "still accurate?" emails to
owners of resources due for a review, circles' lifecycle (forming, active, dormant, with one
quiet prompt to the champions) and the insights rollups each run in a thread of the worker
process. Every job is
idempotent and coordinates through the database, so any number of workers may run them.
"""

from __future__ import annotations

import faulthandler
import importlib
import logging
import pkgutil
import signal
import sys
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.mail import get_connection
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


def import_what_the_jobs_use() -> None:
    """Import, in the calling thread, every module the jobs' threads would otherwise import on
    first use: all of knowflow (but settings, migrations and commands), the email backend and
    numpy's lazily loaded `numpy.ma`, and scipy's sparse matrices (imported by the semantic
    search model's training).

    Threads that each import a module for the first time at the same moment can deadlock on
    CPython's per-module import locks. A worker was found stuck that way at start: its outbox
    thread importing the SMTP backend, its library thread `knowflow.languages` and its insights
    thread `numpy.ma` (which `numpy.unique` imports on its first call), each waiting on a lock
    another held, so the message in hand stayed "sending" until its lease ran out and a stop
    signal was not obeyed in time.
    """
    import knowflow

    skipped = (".migrations", ".management", ".config", ".cli", ".worker")
    for module in pkgutil.walk_packages(knowflow.__path__, prefix="knowflow."):
        if not any(part in module.name for part in skipped):
            importlib.import_module(module.name)
    get_connection()  # imports the configured backend (smtplib, ssl, email.*); opens nothing
    importlib.import_module("numpy.ma")
    importlib.import_module("scipy.sparse")  # the semantic model's training (search model job)


def start_periodic_jobs(*, stop: threading.Event) -> list[threading.Thread]:
    """Start the periodic jobs' threads; each ends soon after `stop` is set (the outbox after
    the message in hand)."""
    import_what_the_jobs_use()
    from knowflow.circlehealth.tasks import circle_lifecycle_tick
    from knowflow.digest.services import digest_enqueue_due
    from knowflow.feedback.services.requests import feedback_tick
    from knowflow.insights.tasks import refresh_insights
    from knowflow.library.notifications import library_review_reminders_enqueue
    from knowflow.mail.services import outbox_delivery_loop
    from knowflow.outbound.services import outbound_delivery_loop
    from knowflow.search.semantic import semantic_refresh

    jobs: list[tuple[str, Callable[[], None]]] = [
        ("outbox", lambda: outbox_delivery_loop(stop=stop)),
        ("outbound", lambda: outbound_delivery_loop(stop=stop)),
        (
            "feedback",
            lambda: repeat(
                feedback_tick, interval=settings.KNOWFLOW_FEEDBACK_TICK_SECONDS, stop=stop
            ),
        ),
        (
            "library reviews",
            lambda: repeat(
                library_review_reminders_enqueue,
                interval=settings.KNOWFLOW_INSIGHTS_REFRESH_SECONDS,
                stop=stop,
            ),
        ),
        (
            "digest",
            lambda: repeat(
                digest_enqueue_due, interval=settings.KNOWFLOW_DIGEST_INTERVAL_SECONDS, stop=stop
            ),
        ),
        (
            "circles",
            lambda: repeat(
                circle_lifecycle_tick,
                interval=settings.KNOWFLOW_CIRCLE_LIFECYCLE_SECONDS,
                stop=stop,
            ),
        ),
        (
            "insights",
            lambda: repeat(
                refresh_insights, interval=settings.KNOWFLOW_INSIGHTS_REFRESH_SECONDS, stop=stop
            ),
        ),
        (
            "search model",
            lambda: repeat(
                semantic_refresh, interval=settings.KNOWFLOW_SEARCH_MODEL_SECONDS, stop=stop
            ),
        ),
    ]
    threads = [threading.Thread(target=target, name=name, daemon=True) for name, target in jobs]
    for thread in threads:
        thread.start()
    return threads


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def run(argv: list[str]) -> int:
    """`knowflow worker [db_worker options]`: the django-tasks worker in the main thread, the
    periodic jobs in threads of the same process.

    Never under Django's autoreloader, not even with DEBUG: the reloader runs the work in a
    child process that outlives a killed parent and keeps sending email nobody can stop.

    On SIGTERM or SIGINT (a deploy, Ctrl-C), django-tasks' worker finishes its task and
    returns (or raises SystemExit when idle); then the periodic jobs are told to stop and
    given the time of one email delivery to finish: the outbox sends the message in hand and
    claims no other, so a restart loses nothing and repeats nothing. That wait is the delivery
    limit (`KNOWFLOW_OUTBOX_DELIVERY_SECONDS`, after which the delivery is cut off and the row
    queued again) plus 5 s, so a deploy's stop timeout must be longer than that. A second
    signal exits at once; a message then left "sending" goes back to the queue when its lease
    ends.

    Refuses to start (status 2) when the outbox lease is too short for a delivery.
    """
    from django.core.management import execute_from_command_line

    from knowflow.mail.checks import outbox_settings_problems

    if "--reload" in argv:
        print(
            "knowflow worker does not reload on code changes (a reloaded worker's child kept "
            "sending email after the worker was stopped): restart it instead.",
            file=sys.stderr,
        )
        return 2
    problems = outbox_settings_problems()
    if problems:
        print("knowflow worker: " + " ".join(problems), file=sys.stderr)
        return 2
    # Until django-tasks' worker installs its own handlers, a signal must still stop the
    # threads cleanly rather than kill the process with a message in hand.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    # `kill -USR1` prints every thread's stack to stderr: what a stuck worker is waiting on.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    for signum in stop_signals:
        signal.signal(signum, _exit_cleanly)
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        # A signal while the threads start would exit before the wait below, with the outbox
        # already holding a message: hold signals until every thread has started.
        signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
        try:
            threads = start_periodic_jobs(stop=stop)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)
        execute_from_command_line(["knowflow", "db_worker", "--no-reload", *argv])
    finally:
        stop.set()
        # The delivery limit bounds the message in hand (EMAIL_TIMEOUT alone does not: it
        # applies to each network step, and a slow server takes several).
        deadline = time.monotonic() + settings.KNOWFLOW_OUTBOX_DELIVERY_SECONDS + 5
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
    return 0
