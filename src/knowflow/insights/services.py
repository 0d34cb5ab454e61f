"""Everything that changes insights state: duplicate detection and decisions, rollups, hourly
costs, ROI studies. Keyword-only, typed, one use case each, transactional."""

from __future__ import annotations

import io
import time as clock
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import numpy as np
from django.db import transaction
from django.utils import timezone

from knowflow.accounts.models import Office, OrgUnit, Person
from knowflow.circles.models import Circle
from knowflow.discovery import duplicates as D
from knowflow.errors import Conflict, DomainError, Forbidden
from knowflow.events.models import Session
from knowflow.insights import figures, permissions, selectors
from knowflow.insights.models import (
    DashboardRollup,
    DetectorSnapshot,
    DuplicateCluster,
    HourlyCost,
    RoiCost,
    RoiIntangible,
    RoiStudy,
    RoiTrainingAvoided,
)

# Explanations are stored for at most this many pairs per cluster (a big cluster of a talk
# given twenty times would otherwise store 190 explanations nobody reads).
EXPLAINED_PAIRS = 20


@dataclass(frozen=True)
class DetectionReport:
    sessions: int
    pairs: int
    clusters: int
    kept_decided: int
    seconds: float


def _snapshot_blob(scorer: D.Scorer) -> bytes:
    """The statistics plus an index for the incremental check: every informative shingle
    and title word with the session holding it, sorted by hash for ``searchsorted``."""
    keys = np.array(scorer.keys, np.int64)

    def index(bags: D.Bags) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(bags.hashes, kind="stable")
        return bags.hashes[order], keys[bags.owners[order]]

    shingles, shingle_owners = index(scorer.shingles)
    titles, title_owners = index(scorer.titles)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        **scorer.stats.to_arrays(),
        index_shingles=shingles,
        index_shingle_owners=shingle_owners,
        index_titles=titles,
        index_title_owners=title_owners,
    )
    return buffer.getvalue()


def duplicates_detect(*, now: datetime | None = None) -> DetectionReport:
    """Run the detector over every session and replace the undecided clusters.

    Decided clusters stay as they are, and a pair whose two sessions are in one decided
    cluster is never proposed again (an enabler said "not a duplicate" once; that holds).
    New evidence still counts: a new session matching a decided cluster's member makes a new
    proposal. Writes a snapshot for the incremental check of new proposals.
    """
    started = clock.perf_counter()
    now = now or timezone.now()
    docs = selectors.session_docs(selectors.detectable_sessions())
    scorer = D.Scorer(docs)
    matches = D.detect(scorer)
    decided: dict[int, set[int]] = {}
    for cluster_id, session_id in DuplicateCluster.sessions.through.objects.exclude(
        duplicatecluster__status=DuplicateCluster.Status.PROPOSED
    ).values_list("duplicatecluster_id", "session_id"):
        decided.setdefault(cluster_id, set()).add(session_id)
    settled = {(a, b) for members in decided.values() for a in members for b in members if a < b}
    fresh = [m for m in matches if (min(m.a, m.b), max(m.a, m.b)) not in settled]
    groups = D.clusters(scorer.keys, fresh)
    by_member: dict[object, list[D.Match]] = {}
    for m in fresh:
        by_member.setdefault(m.a, []).append(m)
    elapsed = clock.perf_counter() - started
    with transaction.atomic():
        DuplicateCluster.objects.filter(status=DuplicateCluster.Status.PROPOSED).delete()
        through = DuplicateCluster.sessions.through
        links = []
        for members in groups:
            inside = set(members)
            pairs = sorted(
                (m for key in members for m in by_member.get(key, []) if m.b in inside),
                key=lambda m: -m.score,
            )
            stored = [
                {
                    "a": m.a,
                    "b": m.b,
                    "score": round(m.score, 3),
                    "why": scorer.explain(m.a, m.b).to_dict() if i < EXPLAINED_PAIRS else None,
                }
                for i, m in enumerate(pairs)
            ]
            cluster = DuplicateCluster.objects.create(score=round(pairs[0].score, 3), pairs=stored)
            links += [through(duplicatecluster_id=cluster.pk, session_id=key) for key in members]
        through.objects.bulk_create(links, batch_size=2000)
        DetectorSnapshot.objects.all().delete()
        DetectorSnapshot.objects.create(
            stats=_snapshot_blob(scorer),
            sessions=len(docs),
            pairs=len(matches),
            seconds=elapsed,
            built_at=now,
        )
    return DetectionReport(
        sessions=len(docs),
        pairs=len(matches),
        clusters=len(groups),
        kept_decided=len(decided),
        seconds=clock.perf_counter() - started,
    )


def duplicate_cluster_decide(
    *,
    cluster: DuplicateCluster,
    actor: Person,
    status: str,
    merged_into: Session | None = None,
    note: str = "",
) -> DuplicateCluster:
    """Record an enabler's decision on a cluster; it is kept through every re-detection."""
    if not permissions.can_decide_duplicates(actor=actor):
        raise Forbidden("Only enablers decide on duplicates.")
    if status not in DuplicateCluster.Status.values or status == DuplicateCluster.Status.PROPOSED:
        raise DomainError("Decide 'duplicate', 'not_duplicate' or 'merged'.", field="status")
    if status == DuplicateCluster.Status.MERGED:
        if merged_into is None:
            raise DomainError("Say which session the copies were merged into.", field="merged_into")
        if not cluster.sessions.filter(pk=merged_into.pk).exists():
            raise DomainError(
                "The session merged into must be one of the cluster's.", field="merged_into"
            )
    elif merged_into is not None:
        raise DomainError("Only a merged cluster names a session.", field="merged_into")
    with transaction.atomic():
        locked = DuplicateCluster.objects.select_for_update().get(pk=cluster.pk)
        locked.status = status
        locked.merged_into = merged_into
        locked.note = note
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save()
    return locked


def rollups_refresh(*, now: datetime | None = None) -> list[DashboardRollup]:
    """Recompute the dashboard of every preset period (run by the worker every hour)."""
    now = now or timezone.now()
    out = []
    for name in figures.PRESETS:
        period = figures.preset_period(name, now=now)
        started = clock.perf_counter()
        data = selectors.compute_all(period=period, now=now)
        rollup, _ = DashboardRollup.objects.update_or_create(
            period=name,
            defaults={
                "start": period.start,
                "end": period.end,
                "figures": data,
                "computed_at": now,
                "seconds": clock.perf_counter() - started,
            },
        )
        out.append(rollup)
    return out


def hourly_cost_set(
    *,
    actor: Person,
    amount: Decimal,
    org_unit: OrgUnit | None = None,
    office: Office | None = None,
    source: str = "",
) -> HourlyCost:
    """Set the loaded hourly cost of an org unit or of an office (exactly one)."""
    if not permissions.can_manage_roi(actor=actor):
        raise Forbidden("Only enablers set hourly costs.")
    if (org_unit is None) == (office is None):
        raise DomainError("Give an org unit or an office, not both.", field="org_unit")
    if amount < 0:
        raise DomainError("An hourly cost cannot be negative.", field="amount")
    lookup = {"org_unit": org_unit} if org_unit else {"office": office}
    cost, _ = HourlyCost.objects.update_or_create(
        **lookup, defaults={"amount": amount, "source": source}
    )
    return cost


def roi_study_create(
    *,
    actor: Person,
    title: str,
    period_start: date,
    period_end: date,
    isolation_method: str,
    isolation_note: str,
    default_hourly_cost: Decimal,
    scope: str = RoiStudy.Scope.PROGRAMME,
    circle: Circle | None = None,
    attribution_share: Decimal = Decimal("1"),
    hours_saved_cap: Decimal = Decimal("40"),
    unit_value: Decimal | None = None,
    preparation_ratio: Decimal = Decimal("3"),
    organiser_hours: Decimal = Decimal("0"),
    assumptions: str = "",
) -> RoiStudy:
    """Create an ROI study. The isolation method is required (Phillips: always isolate)."""
    if not permissions.can_manage_roi(actor=actor):
        raise Forbidden("Only enablers create ROI studies.")
    if not title.strip():
        raise DomainError("Give the study a title.", field="title")
    if period_end < period_start:
        raise DomainError("The period ends before it starts.", field="period_end")
    if isolation_method not in RoiStudy.Isolation.values:
        raise DomainError(
            "Choose how the effect of the sessions is isolated.", field="isolation_method"
        )
    if not isolation_note.strip():
        raise DomainError("Describe how the isolation was done.", field="isolation_note")
    if scope not in RoiStudy.Scope.values:
        raise DomainError(f"Unknown scope '{scope}'.", field="scope")
    if scope == RoiStudy.Scope.CIRCLE and circle is None:
        raise DomainError("A circle study names its circle.", field="circle")
    if not Decimal("0") <= attribution_share <= Decimal("1"):
        raise DomainError("The attributed share is between 0 and 1.", field="attribution_share")
    for name, value in (
        ("default_hourly_cost", default_hourly_cost),
        ("hours_saved_cap", hours_saved_cap),
        ("preparation_ratio", preparation_ratio),
        ("organiser_hours", organiser_hours),
    ):
        if value < 0:
            raise DomainError("This cannot be negative.", field=name)
    return RoiStudy.objects.create(
        title=title.strip(),
        scope=scope,
        circle=circle if scope == RoiStudy.Scope.CIRCLE else None,
        period_start=period_start,
        period_end=period_end,
        isolation_method=isolation_method,
        isolation_note=isolation_note.strip(),
        attribution_share=attribution_share,
        hours_saved_cap=hours_saved_cap,
        unit_value=unit_value,
        default_hourly_cost=default_hourly_cost,
        preparation_ratio=preparation_ratio,
        organiser_hours=organiser_hours,
        assumptions=assumptions,
        created_by=actor,
    )


def roi_cost_add(
    *,
    study: RoiStudy,
    actor: Person,
    label: str,
    amount: Decimal,
    kind: str = RoiCost.Kind.TOOLING,
    source: str = "",
) -> RoiCost:
    if not permissions.can_manage_roi(actor=actor):
        raise Forbidden("Only enablers edit ROI studies.")
    if amount < 0:
        raise DomainError("A cost cannot be negative.", field="amount")
    if kind not in RoiCost.Kind.values:
        raise DomainError(f"Unknown cost kind '{kind}'.", field="kind")
    if not label.strip():
        raise DomainError("Say what the cost is for.", field="label")
    return RoiCost.objects.create(
        study=study, label=label.strip(), amount=amount, kind=kind, source=source
    )


def roi_training_avoided_add(
    *, study: RoiStudy, actor: Person, course: str, price: Decimal, people: int, source: str = ""
) -> RoiTrainingAvoided:
    if not permissions.can_manage_roi(actor=actor):
        raise Forbidden("Only enablers edit ROI studies.")
    if price < 0 or people < 0:
        raise DomainError(
            "Price and people cannot be negative.", field="price" if price < 0 else "people"
        )
    if not course.strip():
        raise DomainError("Name the course that was avoided.", field="course")
    return RoiTrainingAvoided.objects.create(
        study=study, course=course.strip(), price=price, people=people, source=source
    )


def roi_intangible_add(*, study: RoiStudy, actor: Person, text: str) -> RoiIntangible:
    if not permissions.can_manage_roi(actor=actor):
        raise Forbidden("Only enablers edit ROI studies.")
    if not text.strip():
        raise DomainError("Describe the intangible benefit.", field="text")
    if study.intangibles.filter(text=text.strip()).exists():
        raise Conflict("This intangible is already listed.", field="text")
    return RoiIntangible.objects.create(study=study, text=text.strip())
