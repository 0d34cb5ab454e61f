"""Everything that changes insights state: duplicate detection and decisions, rollups, hourly
costs, ROI studies and their frozen versions. Keyword-only, typed, one use case each,
transactional. Every hand-entered ROI input records who entered it and when."""

from __future__ import annotations

import io
import time as clock
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from knowflow.accounts.models import Office, OrgUnit, Person
from knowflow.circles.models import Circle
from knowflow.discovery import duplicates as D
from knowflow.errors import Conflict, DomainError, Forbidden
from knowflow.events.models import Session
from knowflow.insights import permissions
from knowflow.insights.models import (
    DashboardRollup,
    DetectorSnapshot,
    DuplicateCluster,
    HourlyCost,
    HourlyCostChange,
    RoiCost,
    RoiIntangible,
    RoiStudy,
    RoiTrainingAvoided,
    RoiVersion,
)
from knowflow.insights.selectors.detection import SESSION, decided_members, detection_docs
from knowflow.insights.selectors.periods import PRESETS, preset_period
from knowflow.insights.selectors.roi_result import roi_result_figures, roi_study_result
from knowflow.insights.selectors.roi_studies import roi_study_get, roi_study_inputs
from knowflow.insights.selectors.rollups import compute_all
from knowflow.library.models import Resource

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
    resources: int = 0


def _snapshot_blob(scorer: D.Scorer) -> bytes:
    """The statistics plus an index for the incremental check: every informative shingle
    and title word with the session holding it, sorted by hash for ``searchsorted``.

    The statistics cover everything detection compared (sessions and stand-alone resources),
    so that a new proposal is scored as a full detection would score it; the index holds
    sessions only, because the check answers with sessions ("already taught")."""
    is_session = np.array([kind == SESSION for kind, _ in scorer.keys], bool)
    ids = np.array([pk for _, pk in scorer.keys], np.int64)

    def index(bags: D.Bags) -> tuple[np.ndarray, np.ndarray]:
        owners = bags.owners
        kept = is_session[owners]
        hashes, owners = bags.hashes[kept], owners[kept]
        order = np.argsort(hashes, kind="stable")
        return hashes[order], ids[owners[order]]

    shingles, shingle_owners = index(scorer.shingles)
    titles, title_owners = index(scorer.titles)
    buffer = io.BytesIO()
    # Numbers only: the snapshot is read back with np.load, which refuses pickles anyway.
    # Naming allow_pickle also keeps mypy from matching the arrays' ** to it.
    np.savez(
        buffer,
        allow_pickle=False,
        **scorer.stats.to_arrays(),
        index_shingles=shingles,
        index_shingle_owners=shingle_owners,
        index_titles=titles,
        index_title_owners=title_owners,
    )
    return buffer.getvalue()


def duplicates_detect(*, now: datetime | None = None) -> DetectionReport:
    """Run the detector over every session and stand-alone library resource, and replace the
    undecided clusters.

    Sessions and resources are one catalogue: the same features, weights, threshold,
    candidate joins and corpus statistics, so a resource is compared with every session and
    every other resource that shares a rare passage or a similar title — never with all.
    Decided clusters stay as they are, and a pair whose two members are in one decided
    cluster is never proposed again (an enabler said "not a duplicate" once; that holds).
    New evidence still counts: a new session or resource matching a decided cluster's member
    makes a new proposal. Writes a snapshot for the incremental check of new proposals.
    """
    started = clock.perf_counter()
    now = now or timezone.now()
    docs, n_sessions, n_resources = detection_docs()
    scorer = D.Scorer(docs)
    matches = D.detect(scorer)
    decided = decided_members()
    settled = {(a, b) for members in decided.values() for a in members for b in members if a < b}
    fresh = [m for m in matches if (min(m.a, m.b), max(m.a, m.b)) not in settled]
    groups = D.clusters(scorer.keys, fresh)
    by_member: dict[object, list[D.Match]] = {}
    for m in fresh:
        by_member.setdefault(m.a, []).append(m)
    elapsed = clock.perf_counter() - started
    with transaction.atomic():
        DuplicateCluster.objects.filter(status=DuplicateCluster.Status.PROPOSED).delete()
        session_link = DuplicateCluster.sessions.through
        resource_link = DuplicateCluster.resources.through
        session_links, resource_links = [], []
        for members in groups:
            inside = set(members)
            pairs = sorted(
                (m for key in members for m in by_member.get(key, []) if m.b in inside),
                key=lambda m: -m.score,
            )
            stored = [
                {
                    "a": m.a[1],
                    "a_kind": m.a[0],
                    "b": m.b[1],
                    "b_kind": m.b[0],
                    "score": round(m.score, 3),
                    "why": scorer.explain(m.a, m.b).to_dict() if i < EXPLAINED_PAIRS else None,
                }
                for i, m in enumerate(pairs)
            ]
            cluster = DuplicateCluster.objects.create(score=round(pairs[0].score, 3), pairs=stored)
            for kind, pk in members:
                if kind == SESSION:
                    session_links.append(
                        session_link(duplicatecluster_id=cluster.pk, session_id=pk)
                    )
                else:
                    resource_links.append(
                        resource_link(duplicatecluster_id=cluster.pk, resource_id=pk)
                    )
        session_link.objects.bulk_create(session_links, batch_size=2000)
        resource_link.objects.bulk_create(resource_links, batch_size=2000)
        DetectorSnapshot.objects.all().delete()
        DetectorSnapshot.objects.create(
            stats=_snapshot_blob(scorer),
            sessions=n_sessions,
            resources=n_resources,
            pairs=len(matches),
            seconds=elapsed,
            built_at=now,
        )
    return DetectionReport(
        sessions=n_sessions,
        resources=n_resources,
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
    merged_into_resource: Resource | None = None,
    note: str = "",
) -> DuplicateCluster:
    """Record an enabler's decision on a cluster; it is kept through every re-detection.

    A merge names the one copy the others were merged into: a session (``merged_into``) or a
    resource (``merged_into_resource``) of the cluster.
    """
    if not permissions.can_decide_duplicates(actor=actor):
        raise Forbidden("Only enablers decide on duplicates.")
    if status not in DuplicateCluster.Status.values or status == DuplicateCluster.Status.PROPOSED:
        raise DomainError("Decide 'duplicate', 'not_duplicate' or 'merged'.", field="status")
    if status == DuplicateCluster.Status.MERGED:
        if merged_into is None and merged_into_resource is None:
            raise DomainError("Say which copy the others were merged into.", field="merged_into")
        if merged_into is not None and merged_into_resource is not None:
            raise DomainError("Name one copy to merge into, not two.", field="merged_into")
        if merged_into is not None and not cluster.sessions.filter(pk=merged_into.pk).exists():
            raise DomainError(
                "The session merged into must be one of the cluster's.", field="merged_into"
            )
        if (
            merged_into_resource is not None
            and not cluster.resources.filter(pk=merged_into_resource.pk).exists()
        ):
            raise DomainError(
                "The resource merged into must be one of the cluster's.",
                field="merged_into_resource",
            )
    elif merged_into is not None or merged_into_resource is not None:
        raise DomainError("Only a merged cluster names a copy.", field="merged_into")
    with transaction.atomic():
        locked = DuplicateCluster.objects.select_for_update().get(pk=cluster.pk)
        locked.status = status
        locked.merged_into = merged_into
        locked.merged_into_resource = merged_into_resource
        locked.note = note
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save()
    return locked


def rollups_refresh(*, now: datetime | None = None) -> list[DashboardRollup]:
    """Recompute the dashboard of every preset period (run by the worker every hour)."""
    now = now or timezone.now()
    out = []
    for name in PRESETS:
        period = preset_period(name, now=now)
        started = clock.perf_counter()
        data = compute_all(period=period, now=now)
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
    lookup: dict[str, Any]  # field lookups, as filter() and update_or_create() take them
    if org_unit is not None and office is None:
        lookup, subject = {"org_unit": org_unit}, f"org unit {org_unit.name}"
    elif office is not None and org_unit is None:
        lookup, subject = {"office": office}, f"office {office.name}"
    else:
        raise DomainError("Give an org unit or an office, not both.", field="org_unit")
    if amount < 0:
        raise DomainError("An hourly cost cannot be negative.", field="amount")
    now = timezone.now()
    with transaction.atomic():
        previous = (
            HourlyCost.objects.select_for_update()
            .filter(**lookup)
            .values_list("amount", flat=True)
            .first()
        )
        cost, _ = HourlyCost.objects.update_or_create(
            **lookup,
            defaults={"amount": amount, "source": source, "set_by": actor, "set_at": now},
        )
        HourlyCostChange.objects.create(
            subject=subject,
            amount=amount,
            previous=previous,
            source=source,
            changed_by=actor,
            changed_at=now,
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
        study=study,
        label=label.strip(),
        amount=amount,
        kind=kind,
        source=source,
        added_by=actor,
        added_at=timezone.now(),
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
        study=study,
        course=course.strip(),
        price=price,
        people=people,
        source=source,
        added_by=actor,
        added_at=timezone.now(),
    )


def roi_intangible_add(*, study: RoiStudy, actor: Person, text: str) -> RoiIntangible:
    if not permissions.can_manage_roi(actor=actor):
        raise Forbidden("Only enablers edit ROI studies.")
    if not text.strip():
        raise DomainError("Describe the intangible benefit.", field="text")
    if study.intangibles.filter(text=text.strip()).exists():
        raise Conflict("This intangible is already listed.", field="text")
    return RoiIntangible.objects.create(
        study=study, text=text.strip(), added_by=actor, added_at=timezone.now()
    )


def roi_version_freeze(*, study: RoiStudy, actor: Person, note: str = "") -> RoiVersion:
    """Freeze the study as it reads now: the next version number, the study's settings and
    hand-entered inputs (with who entered each and when) and every figure with its trace.

    The version never changes afterwards (``RoiVersion`` refuses); later inputs, answers and
    costs change the live study and the next version only. The study row is locked so two
    enablers freezing at once get two numbers, not one error.
    """
    if not permissions.can_manage_roi(actor=actor):
        raise Forbidden("Only enablers freeze ROI studies.")
    note = note.strip()
    if len(note) > 300:
        raise DomainError("Keep the note under 300 characters.", field="note")
    with transaction.atomic():
        locked = RoiStudy.objects.select_for_update().get(pk=study.pk)
        study = roi_study_get(viewer=actor, study_id=locked.pk)
        result = roi_study_result(viewer=actor, study=study)
        last = study.versions.order_by("-number").values_list("number", flat=True).first()
        return RoiVersion.objects.create(
            study=study,
            number=(last or 0) + 1,
            frozen_at=timezone.now(),
            frozen_by=actor,
            note=note,
            inputs=roi_study_inputs(study),
            figures=roi_result_figures(result),
        )
