"""Background work for feedback, run by `knowflow worker` (django-tasks).

`feedback_tick_task` does one idempotent pass (write new requests, send / remind / expire the
due ones); `knowflow dispatch_feedback` runs the same pass in a loop, or once with `--once`
(for cron). Running both, or several of either, is safe: see `services`.
"""

from __future__ import annotations

from django_tasks import task

from knowflow.feedback.services.requests import feedback_tick


@task()
def feedback_tick_task() -> dict[str, int]:
    report = feedback_tick()
    return {"sent": report.sent, "reminded": report.reminded, "expired": report.expired}
