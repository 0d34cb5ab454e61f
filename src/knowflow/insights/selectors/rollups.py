"""Dashboard rollups: every figure of a period as the worker stores it (``compute_all``), and
the dashboard a reader sees, from a fresh rollup or computed on request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.insights.models import DashboardRollup
from knowflow.insights.permissions import check_view_insights
from knowflow.insights.selectors import figures
from knowflow.insights.selectors.periods import Period, period_label

# A rollup older than this is recomputed on read (the worker refreshes them every hour).
ROLLUP_MAX_AGE = timedelta(hours=6)


@dataclass
class Dashboard:
    figures: dict
    previous: dict
    expertise: dict
    network: dict
    computed_at: datetime
    from_rollup: bool

    @property
    def period_label(self) -> str:
        return period_label(self.figures["period"]["name"])

    @property
    def age_minutes(self) -> int:
        return int((timezone.now() - self.computed_at).total_seconds() // 60)


def compute_all(*, period: Period, now: datetime | None = None) -> dict:
    """Every figure of one period and of the one before it (what a rollup stores)."""
    now = now or timezone.now()
    evidence = figures.evidence_ladder(
        period=period, session_ids=figures.session_ids_run(period=period, now=now)
    )
    previous = period.previous()
    return {
        "figures": figures.dashboard_figures(period=period, now=now, evidence=evidence),
        "previous": figures.dashboard_figures(period=previous, now=now),
        "expertise": figures.expertise_figures(period=period, now=now),
        "network": figures.network_figures(period=period, now=now),
    }


def dashboard_for(*, viewer: Person, period: Period) -> Dashboard:
    """The dashboard of ``period``: from the worker's rollup when one is fresh (one query),
    computed now otherwise (custom periods, or before the worker first ran)."""
    check_view_insights(actor=viewer)
    rollup = DashboardRollup.objects.filter(
        period=period.name,
        start=period.start,
        end=period.end,
        computed_at__gte=timezone.now() - ROLLUP_MAX_AGE,
    ).first()
    if rollup is not None:
        data, computed_at, cached = rollup.figures, rollup.computed_at, True
    else:
        data, computed_at, cached = compute_all(period=period), timezone.now(), False
    return Dashboard(
        figures=data["figures"],
        previous=data["previous"],
        expertise=data["expertise"],
        network=data["network"],
        computed_at=computed_at,
        from_rollup=cached,
    )
