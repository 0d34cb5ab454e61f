"""Insights API: dashboard figures, expertise, network, duplicate clusters, ROI studies.

Same selectors and services as the pages, so the permissions and figures are the same."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from knowflow.accounts import selectors as accounts_selectors
from knowflow.accounts.models import Person
from knowflow.api.auth import viewer
from knowflow.api.schemas import BodyIn, BoundedDate, DatabaseInt, amount, one_of, text
from knowflow.circles import selectors as circles_selectors
from knowflow.events import selectors as events_selectors
from knowflow.insights import services
from knowflow.insights.models import DuplicateCluster, FrozenVersion, RoiStudy, RoiVersion
from knowflow.insights.selectors import (
    clusters,
    periods,
    roi_result,
    roi_studies,
    rollups,
    snapshot,
)
from knowflow.library import selectors as library_selectors

router = Router(tags=["insights"])

PeriodName = one_of("", *periods.PRESETS)
Decision = one_of(*(s for s in DuplicateCluster.Status.values if s != "proposed"))
StudyTitle = text(max_length=200)
StudyScope = one_of(*RoiStudy.Scope.values)
IsolationMethod = one_of(*RoiStudy.Isolation.values)
IsolationNote = text(max_length=5000)
Money = amount(integer_digits=8, places=2)
Share = amount(
    integer_digits=1, places=3, maximum=Decimal(1), string=r"^(0(\.[0-9]{1,3})?|1(\.0{1,3})?)$"
)


class PeriodQuery(Schema):
    period: PeriodName = ""
    start: BoundedDate | None = None
    end: BoundedDate | None = None


def _board(request: HttpRequest, query: PeriodQuery) -> rollups.Dashboard:
    period = periods.period_from(preset=query.period, start=query.start, end=query.end)
    return rollups.dashboard_for(viewer=viewer(request), period=period)


def _freshness(board: rollups.Dashboard) -> dict:
    return {"computed_at": board.computed_at.isoformat(), "from_rollup": board.from_rollup}


@router.get("/dashboard", response=dict)
def dashboard(request: HttpRequest, query: Query[PeriodQuery]) -> dict:
    """Every dashboard figure for the period and the period before it."""
    board = _board(request, query)
    return {"figures": board.figures, "previous": board.previous, **_freshness(board)}


@router.get("/expertise", response=dict)
def expertise(request: HttpRequest, query: Query[PeriodQuery]) -> dict:
    board = _board(request, query)
    return {**board.expertise, **_freshness(board)}


@router.get("/network", response=dict)
def network(request: HttpRequest, query: Query[PeriodQuery]) -> dict:
    board = _board(request, query)
    return {**board.network, **_freshness(board)}


def _member_out(member: clusters.CopyHours | clusters.ResourceCopy) -> dict:
    """One member of a cluster, named by its kind (a session and a resource may share an id)."""
    if isinstance(member, clusters.ResourceCopy):
        r = member.resource
        return {
            "kind": "resource",
            "id": r.pk,
            "slug": r.slug,
            "title": r.title,
            "url": reverse("library:resource", args=[r.slug]),
            "resource_kind": r.kind,
            "added": member.added.isoformat(),
            # No hours are recorded for a resource (see docs/insights.md).
            "preparation_hours": None,
            "delivery_hours": None,
        }
    s = member.session
    return {
        "kind": "session",
        "id": s.pk,
        "slug": s.slug,
        "title": s.title,
        "url": reverse("events:session", args=[s.slug]),
        "preparation_hours": member.preparation,
        "delivery_hours": member.delivery,
        "first_given": member.first.isoformat() if member.first else None,
    }


def _cluster_out(view: clusters.ClusterView) -> dict:
    c = view.cluster
    return {
        "id": c.pk,
        "status": c.status,
        "score": c.score,
        "merged_into": c.merged_into_id,
        "merged_into_resource": c.merged_into_resource_id,
        "note": c.note,
        "decided_at": c.decided_at.isoformat() if c.decided_at else None,
        "hours_spent": view.hours_spent,
        "hours_reuse_would_save": view.hours_reuse_would_save,
        "circles": view.circles,
        "org_units": view.units,
        # Every member with its kind; "sessions" keeps the session copies as it always did.
        "members": [_member_out(m) for m in view.members],
        "sessions": [
            {
                "id": copy.session.pk,
                "slug": copy.session.slug,
                "title": copy.session.title,
                "preparation_hours": copy.preparation,
                "delivery_hours": copy.delivery,
                "first_given": copy.first.isoformat() if copy.first else None,
            }
            for copy in view.copies
        ],
        "pairs": view.pairs,
    }


@router.get("/duplicates", response=list[dict])
def duplicate_list(request: HttpRequest, status: str = "") -> list[dict]:
    return [
        _cluster_out(v) for v in clusters.duplicate_clusters(viewer=viewer(request), status=status)
    ]


class DecisionIn(BodyIn):
    status: Decision
    merged_into: DatabaseInt | None = None  # a session of the cluster
    merged_into_resource: DatabaseInt | None = None  # or a resource of the cluster
    note: str = ""


@router.post("/duplicates/{cluster_id}/decision", response=dict)
def duplicate_decide(request: HttpRequest, cluster_id: DatabaseInt, payload: DecisionIn) -> dict:
    cluster = clusters.duplicate_cluster_to_decide(id=cluster_id)
    merged_into = (
        events_selectors.session_get(id=payload.merged_into, field="merged_into")
        if payload.merged_into
        else None
    )
    merged_into_resource = (
        library_selectors.resource_get(
            id=payload.merged_into_resource, field="merged_into_resource"
        )
        if payload.merged_into_resource
        else None
    )
    services.duplicate_cluster_decide(
        cluster=cluster,
        actor=viewer(request),
        status=payload.status,
        merged_into=merged_into,
        merged_into_resource=merged_into_resource,
        note=payload.note,
    )
    return _cluster_out(
        clusters.duplicate_cluster_get(viewer=viewer(request), cluster_id=cluster_id)
    )


@router.get("/already-taught", response=list[dict])
def already_taught(request: HttpRequest, title: str, abstract: str = "") -> list[dict]:
    """What was already taught on the subject of a proposal, with recording and speakers."""
    return [
        {
            "session_id": f.session.pk,
            "slug": f.session.slug,
            "title": f.session.title,
            "score": round(f.score, 4),
            "speakers": f.speakers,
            "recording_url": f.recording_url or None,
            "why": f.why.to_dict(),
        }
        for f in snapshot.already_taught(title=title, abstract=abstract)
    ]


class RoiStudyIn(BodyIn):
    title: StudyTitle
    period_start: BoundedDate
    period_end: BoundedDate
    isolation_method: IsolationMethod
    isolation_note: IsolationNote
    default_hourly_cost: Money
    scope: StudyScope = RoiStudy.Scope.PROGRAMME
    circle_id: DatabaseInt | None = None
    attribution_share: Share = Decimal("1")
    hours_saved_cap: amount(integer_digits=5, places=1) = Decimal("40")  # type: ignore[valid-type]
    unit_value: Money | None = None
    preparation_ratio: amount(integer_digits=3, places=2) = Decimal("3")  # type: ignore[valid-type]
    organiser_hours: amount(integer_digits=9, places=1) = Decimal("0")  # type: ignore[valid-type]
    assumptions: str = ""


def _version_out(study: RoiStudy, version: RoiVersion) -> dict:
    return {
        "study_id": study.pk,
        "number": version.number,
        "frozen_at": version.frozen_at.isoformat(),
        "frozen_by": version.frozen_by.display_name if version.frozen_by else None,
        "note": version.note,
        "url": reverse("insights:roi_version", args=[study.pk, version.number]),
        "inputs": version.inputs,
        "figures": version.figures,
    }


def _study_out(result: roi_result.RoiResult, viewer_person: Person) -> dict:
    s = result.study
    return {
        "id": s.pk,
        "title": s.title,
        "scope": s.scope,
        "circle_id": s.circle_id,
        "period_start": s.period_start.isoformat(),
        "period_end": s.period_end.isoformat(),
        "isolation_method": s.isolation_method,
        "isolation_note": s.isolation_note,
        "costs": str(result.costs),
        "benefits": str(result.benefits),
        "benefit_cost_ratio": None if result.bcr is None else str(result.bcr),
        "roi_percent": None if result.roi_percent is None else str(result.roi_percent),
        "inputs": [
            {
                "section": line.section,
                "item": line.item,
                "quantity": line.quantity,
                "value": str(line.value),
                "source": line.source,
            }
            for line in result.lines
        ],
        "intangibles": result.intangibles,
        "assumptions": result.assumptions,
        "entered": roi_studies.roi_study_inputs(s)["entered"],
        "versions": [
            {
                "number": v.number,
                "frozen_at": v.frozen_at.isoformat(),
                "frozen_by": v.frozen_by.display_name if v.frozen_by else None,
                "note": v.note,
                "benefits": v.figures["benefits"],
                "costs": v.figures["costs"],
                "roi_percent": v.figures["roi_percent"],
            }
            for v in s.versions.all()
        ],
        "history": [
            {
                "at": None if h.at is None else h.at.isoformat(),
                "who": h.who,
                "what": h.what,
                "version": h.version,
            }
            for h in roi_studies.roi_study_history(viewer=viewer_person, study=s)
        ],
    }


@router.get("/roi", response=list[dict])
def roi_list(request: HttpRequest) -> list[dict]:
    return [
        {
            "id": s.pk,
            "title": s.title,
            "scope": s.scope,
            "period_start": s.period_start.isoformat(),
            "period_end": s.period_end.isoformat(),
        }
        for s in roi_studies.roi_study_list(viewer=viewer(request))
    ]


@router.post("/roi", response={201: dict})
def roi_create(request: HttpRequest, payload: RoiStudyIn) -> tuple[int, dict]:
    data = payload.dict()
    circle_id = data.pop("circle_id")
    circle = circles_selectors.circle_get(id=circle_id, field="circle_id") if circle_id else None
    study = services.roi_study_create(actor=viewer(request), circle=circle, **data)
    study = roi_studies.roi_study_get(viewer=viewer(request), study_id=study.pk)
    return 201, _study_out(
        roi_result.roi_study_result(viewer=viewer(request), study=study), viewer(request)
    )


@router.get("/roi/{study_id}", response=dict)
def roi_get(request: HttpRequest, study_id: DatabaseInt) -> dict:
    study = roi_studies.roi_study_get(viewer=viewer(request), study_id=study_id)
    return _study_out(
        roi_result.roi_study_result(viewer=viewer(request), study=study), viewer(request)
    )


class RoiVersionIn(BodyIn):
    note: str = Field("", max_length=300)


@router.post("/roi/{study_id}/versions", response={201: dict})
def roi_version_freeze(
    request: HttpRequest, study_id: int, payload: RoiVersionIn
) -> tuple[int, dict]:
    """Freeze the study as it reads now; the version never changes afterwards."""
    study = roi_studies.roi_study_get(viewer=viewer(request), study_id=study_id)
    version = services.roi_version_freeze(study=study, actor=viewer(request), note=payload.note)
    return 201, _version_out(study, version)


@router.get("/roi/{study_id}/versions/{number}", response=dict)
def roi_version_get(request: HttpRequest, study_id: int, number: int) -> dict:
    study = roi_studies.roi_study_get(viewer=viewer(request), study_id=study_id)
    return _version_out(
        study, roi_studies.roi_version_get(viewer=viewer(request), study=study, number=number)
    )


@router.api_operation(["PUT", "PATCH", "DELETE"], "/roi/{study_id}/versions/{number}")
def roi_version_change(request: HttpRequest, study_id: int, number: int) -> None:
    """Refused, always: a frozen version never changes (409 with the reason)."""
    study = roi_studies.roi_study_get(viewer=viewer(request), study_id=study_id)
    version = roi_studies.roi_version_get(viewer=viewer(request), study=study, number=number)
    raise FrozenVersion(
        f"Version {version.number} is frozen and never changes; freeze a new version to "
        "record new figures."
    )


class HourlyCostIn(BodyIn):
    amount: Money
    org_unit_id: DatabaseInt | None = None
    office_id: DatabaseInt | None = None
    source: str = Field("", max_length=200)


@router.post("/hourly-costs", response={201: dict})
def hourly_cost_set(request: HttpRequest, payload: HourlyCostIn) -> tuple[int, dict]:
    unit = (
        accounts_selectors.org_unit_get(id=payload.org_unit_id, field="org_unit_id")
        if payload.org_unit_id
        else None
    )
    office = (
        accounts_selectors.office_get(id=payload.office_id, field="office_id")
        if payload.office_id
        else None
    )
    cost = services.hourly_cost_set(
        actor=viewer(request),
        amount=payload.amount,
        org_unit=unit,
        office=office,
        source=payload.source,
    )
    return 201, {
        "id": cost.pk,
        "org_unit_id": cost.org_unit_id,
        "office_id": cost.office_id,
        "amount": str(cost.amount),
    }
