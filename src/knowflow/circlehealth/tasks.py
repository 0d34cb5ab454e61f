"""The periodic pass that moves circles between forming, active and dormant.

``knowflow worker`` runs it every ``KNOWFLOW_CIRCLE_LIFECYCLE_SECONDS`` (an hour by default).
It is idempotent (the same data gives the same states, and an unchanged state writes nothing)
and safe with several workers: each change is a conditional UPDATE in
``circles.services.circle_state_apply``, so only one worker writes it and queues the quiet
prompt, and the prompt's dedupe key would stop a second one anyway.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from knowflow.circlehealth.health import circles_health
from knowflow.circles.lifecycle import COMPUTED_STATES, lifecycle_state
from knowflow.circles.models import Circle
from knowflow.circles.services import circle_state_apply

BATCH = 500


def circle_lifecycle_tick(*, now: datetime | None = None) -> dict[str, int]:
    """Apply the lifecycle rule to every forming, active and dormant circle; returns how many
    circles moved into each state."""
    now = now or timezone.now()
    moved: dict[str, int] = {}
    circles = list(Circle.objects.filter(state__in=COMPUTED_STATES).order_by("pk"))
    for start in range(0, len(circles), BATCH):
        batch = circles[start : start + BATCH]
        health = circles_health(circles=batch, now=now)
        for circle in batch:
            figures = health[circle.pk]
            state = lifecycle_state(
                cadence=circle.cadence,
                member_count=figures.member_count,
                sessions_held=figures.sessions_held,
                last_activity=figures.last_activity,
                now=now,
            )
            if circle_state_apply(circle=circle, state=state, now=now):
                moved[state] = moved.get(state, 0) + 1
    return moved
