"""Background work for insights: the dashboard rollups and the duplicate detection, one pass.

``knowflow worker`` runs ``refresh_insights`` in a thread every
``KNOWFLOW_INSIGHTS_REFRESH_SECONDS`` (``knowflow/worker.py``); ``knowflow refresh_insights``
runs the same pass from cron. It is a plain function, not a django-tasks task: the work is
periodic, so nothing has a reason to queue it.
"""

from __future__ import annotations

import time

from knowflow.insights import services


def refresh_insights(*, duplicates: bool = True) -> dict[str, object]:
    started = time.perf_counter()
    report: dict[str, object] = {}
    if duplicates:
        detection = services.duplicates_detect()
        report.update(
            sessions=detection.sessions,
            resources=detection.resources,
            duplicate_pairs=detection.pairs,
            clusters=detection.clusters,
            detection_seconds=round(detection.seconds, 1),
        )
    rollups = services.rollups_refresh()
    report.update(rollups=len(rollups), seconds=round(time.perf_counter() - started, 1))
    return report
