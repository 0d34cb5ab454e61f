"""Background work for insights, run by ``knowflow worker`` (django-tasks) or
``knowflow refresh_insights``: the dashboard rollups and the duplicate detection."""

from __future__ import annotations

import time

from django_tasks import task

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


@task()
def refresh_insights_task(duplicates: bool = True) -> dict[str, object]:
    return refresh_insights(duplicates=duplicates)
