"""ROI studies as they were entered: the list, one study with its inputs, its history (who
entered what, when) and its frozen versions, and the loaded hourly costs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Prefetch

from knowflow.accounts.models import Person
from knowflow.errors import NotFound
from knowflow.insights.models import (
    HourlyCost,
    HourlyCostChange,
    RoiCost,
    RoiIntangible,
    RoiStudy,
    RoiTrainingAvoided,
    RoiVersion,
)
from knowflow.insights.permissions import check_view_insights


def hourly_cost_list(*, viewer: Person) -> list[HourlyCost]:
    check_view_insights(actor=viewer)
    return list(
        HourlyCost.objects.select_related("org_unit", "office", "set_by").order_by(
            "org_unit__name", "office__name"
        )
    )


def roi_study_list(*, viewer: Person) -> list[RoiStudy]:
    check_view_insights(actor=viewer)
    return list(RoiStudy.objects.select_related("circle", "created_by"))


def roi_study_get(*, viewer: Person, study_id: int) -> RoiStudy:
    check_view_insights(actor=viewer)
    study = (
        RoiStudy.objects.select_related("circle", "created_by")
        .prefetch_related(
            Prefetch("costs", queryset=RoiCost.objects.select_related("added_by")),
            Prefetch(
                "training_avoided", queryset=RoiTrainingAvoided.objects.select_related("added_by")
            ),
            Prefetch("intangibles", queryset=RoiIntangible.objects.select_related("added_by")),
            Prefetch("versions", queryset=RoiVersion.objects.select_related("frozen_by")),
        )
        .filter(pk=study_id)
        .first()
    )
    if study is None:
        raise NotFound(f"There is no ROI study with id {study_id}.")
    return study


def _who(person: Person | None) -> str:
    return person.display_name if person is not None else "unknown"


def _when(moment: datetime | None) -> str | None:
    """To the minute, in UTC, with the zone: what a printed report shows."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment is not None else None


def roi_study_inputs(study: RoiStudy) -> dict:
    """The study's settings and hand-entered inputs, each with who entered it and when, as
    plain JSON (the inputs a frozen version keeps). ``study`` comes from ``roi_study_get``."""
    return {
        "title": study.title,
        "scope": study.get_scope_display(),
        "circle": study.circle.name if study.circle else None,
        "period_start": study.period_start.isoformat(),
        "period_end": study.period_end.isoformat(),
        "isolation_method": study.get_isolation_method_display(),
        "isolation_note": study.isolation_note,
        "attribution_share": str(study.attribution_share),
        "hours_saved_cap": str(study.hours_saved_cap),
        "unit_value": None if study.unit_value is None else str(study.unit_value),
        "default_hourly_cost": str(study.default_hourly_cost),
        "preparation_ratio": str(study.preparation_ratio),
        "organiser_hours": str(study.organiser_hours),
        "assumptions": study.assumptions,
        "created_by": _who(study.created_by),
        "created_at": _when(study.created_at),
        "entered": [
            {"what": what, "added_by": _who(row.added_by), "added_at": _when(row.added_at)}
            for what, row in _entered(study)
        ],
    }


def _entered(study: RoiStudy) -> list[tuple[str, Any]]:
    """Every hand-entered input of a study with the words that describe it."""
    rows: list[tuple[str, Any]] = []
    rows += [
        (
            f"Cost ({c.get_kind_display().lower()}): {c.label}, {c.amount}"
            + (f" — source: {c.source}" if c.source else ""),
            c,
        )
        for c in study.costs.all()
    ]
    rows += [
        (
            f"Training avoided: {t.course}, {t.people} people × {t.price}"
            + (f" — source: {t.source}" if t.source else ""),
            t,
        )
        for t in study.training_avoided.all()
    ]
    rows += [(f"Intangible: {i.text}", i) for i in study.intangibles.all()]
    return rows


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime | None
    who: str
    what: str
    version: int | None = None  # the version frozen, for a link


def roi_study_history(*, viewer: Person, study: RoiStudy) -> list[HistoryEntry]:
    """What happened to a study, newest first: created, each input entered, each hourly cost
    set since (they price attendees' and speakers' time in every study), each version frozen.
    Inputs entered before their time was recorded come last, undated. ``study`` comes from
    ``roi_study_get``; the hourly cost changes are one more query."""
    check_view_insights(actor=viewer)
    entries = [HistoryEntry(study.created_at, _who(study.created_by), "Created the study")]
    entries += [
        HistoryEntry(row.added_at, _who(row.added_by), f"Added {what[0].lower()}{what[1:]}")
        for what, row in _entered(study)
    ]
    entries += [
        HistoryEntry(
            change.changed_at,
            _who(change.changed_by),
            f"Set the hourly cost of {change.subject} to {change.amount}"
            + (f" (was {change.previous})" if change.previous is not None else "")
            + " — for attendees' and speakers' time in every study",
        )
        for change in HourlyCostChange.objects.filter(changed_at__gte=study.created_at)
        .select_related("changed_by")
        .order_by()
    ]
    entries += [
        HistoryEntry(
            v.frozen_at,
            _who(v.frozen_by),
            f"Froze version {v.number}" + (f": {v.note}" if v.note else ""),
            v.number,
        )
        for v in study.versions.all()
    ]
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(entries, key=lambda e: e.at or oldest, reverse=True)


def roi_version_get(*, viewer: Person, study: RoiStudy, number: int) -> RoiVersion:
    check_view_insights(actor=viewer)
    version = next((v for v in study.versions.all() if v.number == number), None)
    if version is None:
        raise NotFound(f"This study has no version {number}.")
    return version
