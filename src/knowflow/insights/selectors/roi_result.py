"""An ROI study's figures: costs, benefits, benefit-cost ratio and ROI %, each with the inputs
it comes from (the traceability page, the printable report and every frozen version)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from knowflow.accounts.models import OrgUnit, Person
from knowflow.anonymity.partition import visible_cells
from knowflow.events.models import Occurrence, Session
from knowflow.feedback.selectors.anonymity import min_group
from knowflow.feedback.selectors.roi_inputs import follow_up_claims
from knowflow.insights import roi
from knowflow.insights.models import DuplicateCluster, HourlyCost, RoiStudy
from knowflow.insights.permissions import check_view_insights
from knowflow.insights.selectors.clusters import duplicate_clusters


@dataclass
class TraceLine:
    """One input of an ROI figure, with where it comes from."""

    section: str  # "cost" | "benefit" | "excluded"
    item: str
    quantity: str
    value: Decimal
    source: str


@dataclass
class RoiResult:
    study: RoiStudy
    costs: Decimal
    benefits: Decimal
    bcr: Decimal | None
    roi_percent: Decimal | None
    lines: list[TraceLine]
    intangibles: list[str]
    assumptions: list[str]


class _CostBook:
    """Loaded hourly cost of a person: their unit's (or the nearest parent's), else their
    office's, else the study's default — with the source, for the traceability page."""

    def __init__(self, default: Decimal) -> None:
        self.default = default
        self.parent = dict(OrgUnit.objects.values_list("id", "parent_id"))
        self.by_unit = {}
        self.by_office = {}
        for unit, office, amount, unit_name, office_name in HourlyCost.objects.values_list(
            "org_unit_id", "office_id", "amount", "org_unit__name", "office__name"
        ):
            if unit:
                self.by_unit[unit] = (amount, f"hourly cost of org unit {unit_name}")
            else:
                self.by_office[office] = (amount, f"hourly cost of office {office_name}")

    def of(self, unit: int | None, office: int | None) -> tuple[Decimal, str]:
        seen = set()
        while unit is not None and unit not in seen:
            if unit in self.by_unit:
                return self.by_unit[unit]
            seen.add(unit)
            unit = self.parent.get(unit)
        if office in self.by_office:
            return self.by_office[office]
        return self.default, "the study's default hourly cost"


def _study_sessions(study: RoiStudy) -> QuerySet[Occurrence]:
    start = datetime.combine(study.period_start, time.min, tzinfo=UTC)
    end = datetime.combine(study.period_end + timedelta(days=1), time.min, tzinfo=UTC)
    occurrences = Occurrence.objects.filter(
        start__gte=start, start__lt=end, end__lte=timezone.now()
    ).exclude(session__status=Session.Status.CANCELLED)
    if study.scope == RoiStudy.Scope.CIRCLE:
        if study.circle_id is not None:
            occurrences = occurrences.filter(session__circle_id=study.circle_id)
        else:  # never (roi_circle_scope_names_circle); what filter(session__circle_id=None) did
            occurrences = occurrences.filter(session__circle_id__isnull=True)
    return occurrences


def roi_study_result(*, viewer: Person, study: RoiStudy) -> RoiResult:
    """Costs, benefits, BCR and ROI % of a study, each figure with the inputs it comes from."""
    check_view_insights(actor=viewer)
    book = _CostBook(study.default_hourly_cost)
    lines: list[TraceLine] = []
    occurrences = _study_sessions(study)
    # Attendee time, grouped by the cost that applies.
    attendee: dict[str, list] = defaultdict(lambda: [Decimal("0"), 0, Decimal("0")])
    for unit, office, start, end in occurrences.filter(attendances__isnull=False).values_list(
        "attendances__person__org_unit_id", "attendances__person__office_id", "start", "end"
    ):
        rate, source = book.of(unit, office)
        hours = Decimal((end - start).total_seconds()) / 3600
        entry = attendee[source]
        entry[0] += hours
        entry[1] += 1
        entry[2] = rate
    for source, (hours, n, rate) in sorted(attendee.items()):
        lines.append(
            TraceLine(
                "cost",
                "attendee time",
                f"{n} attendances, {hours:.1f} h × {rate}/h",
                roi.people_hours_cost(hours=hours, hourly_cost=rate),
                f"attendance records; {source}",
            )
        )
    # Speakers: delivery of every occurrence, preparation once per session.
    per_session: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for session_id, start, end in occurrences.values_list("session_id", "start", "end"):
        per_session[session_id].append((start, end))
    speaker_hours: dict[str, list] = defaultdict(lambda: [Decimal("0"), Decimal("0"), Decimal("0")])
    for session_id, unit, office in Session.speakers.through.objects.filter(
        session_id__in=list(per_session)
    ).values_list("session_id", "person__org_unit_id", "person__office_id"):
        rate, source = book.of(unit, office)
        rows = sorted(per_session[session_id])
        delivered = sum(Decimal((e - s).total_seconds()) / 3600 for s, e in rows)
        first = Decimal((rows[0][1] - rows[0][0]).total_seconds()) / 3600
        entry = speaker_hours[source]
        entry[0] += delivered
        entry[1] += first * study.preparation_ratio
        entry[2] = rate
    for source, (delivered, prepared, rate) in sorted(speaker_hours.items()):
        lines.append(
            TraceLine(
                "cost",
                "speaker delivery",
                f"{delivered:.1f} h × {rate}/h",
                roi.people_hours_cost(hours=delivered, hourly_cost=rate),
                f"session dates and speakers; {source}",
            )
        )
        lines.append(
            TraceLine(
                "cost",
                "speaker preparation (estimate)",
                f"{prepared:.1f} h = {study.preparation_ratio} × first delivery, × {rate}/h",
                roi.people_hours_cost(hours=prepared, hourly_cost=rate),
                f"preparation ratio of the study; {source}",
            )
        )
    if study.organiser_hours:
        lines.append(
            TraceLine(
                "cost",
                "organiser time",
                f"{study.organiser_hours} h × {study.default_hourly_cost}/h",
                roi.people_hours_cost(
                    hours=study.organiser_hours, hourly_cost=study.default_hourly_cost
                ),
                "entered with the study; the study's default hourly cost",
            )
        )
    for cost in study.costs.all():
        lines.append(
            TraceLine(
                "cost",
                f"{cost.get_kind_display().lower()}: {cost.label}",
                "entered by hand",
                roi.money(cost.amount),
                cost.source or "entered by hand",
            )
        )

    # Benefits.
    session_ids = set(per_session)
    start = datetime.combine(study.period_start, time.min, tzinfo=UTC)
    claims = follow_up_claims(session_ids=session_ids, since=start, until=timezone.now())
    lines += _follow_up_lines(study, claims)
    for item in study.training_avoided.all():
        lines.append(
            TraceLine(
                "benefit",
                f"training avoided: {item.course}",
                f"{item.people} people × {item.price}",
                roi.training_avoided_value(price=item.price, people=item.people),
                item.source or "entered by hand",
            )
        )
    merged = [
        v
        for v in duplicate_clusters(
            viewer=viewer, status=DuplicateCluster.Status.MERGED, limit=100_000
        )
        if session_ids & {c.session.pk for c in v.copies}
    ]
    for view in merged:
        hours = Decimal(str(view.hours_reuse_would_save))
        if hours:
            lines.append(
                TraceLine(
                    "benefit",
                    f"duplicated preparation avoided (cluster {view.cluster.pk})",
                    f"{hours} h × {study.default_hourly_cost}/h",
                    roi.people_hours_cost(hours=hours, hourly_cost=study.default_hourly_cost),
                    "duplicate cluster marked merged; preparation of the copies after the first",
                )
            )
    costs = roi.money(sum((line.value for line in lines if line.section == "cost"), Decimal("0")))
    benefits = roi.money(
        sum((line.value for line in lines if line.section == "benefit"), Decimal("0"))
    )
    assumptions = [
        f"Isolation: {study.get_isolation_method_display()} — {study.isolation_note}",
        (
            "Isolation by participants' estimates: each follow-up answer counts with the share "
            "its respondent attributed to the session; an answer without one (given before "
            "follow-ups asked) counts zero."
            if follow_up_attribution(study) is None
            else f"Share attributed to the sessions by the isolation method: "
            f"{study.attribution_share}, for every follow-up answer."
        ),
        f"Hours saved are valued at {follow_up_hour_value(study)[1]} for every answer, never "
        "at the respondent's unit cost: follow-ups are anonymous.",
        f"Extreme values: claims above {study.hours_saved_cap} hours saved a month are excluded.",
        "First-year benefits only: a monthly saving counts 12 months.",
        "No improvement data, no benefit: follow-ups without hours saved count zero.",
        f"Preparation: {study.preparation_ratio} hours per hour delivered, once per session and speaker.",
        "Loaded hourly cost of attendees' and speakers' time: per org unit or office where set, "
        f"else {study.default_hourly_cost}.",
        "Intangibles are listed, never converted to money.",
    ]
    if study.assumptions:
        assumptions.append(study.assumptions)
    return RoiResult(
        study=study,
        costs=costs,
        benefits=benefits,
        bcr=roi.benefit_cost_ratio(benefits=benefits, costs=costs),
        roi_percent=roi.roi_percent(benefits=benefits, costs=costs),
        lines=lines,
        intangibles=[i.text for i in study.intangibles.all()],
        assumptions=assumptions,
    )


def follow_up_hour_value(study: RoiStudy) -> tuple[Decimal, str]:
    """The one value of an hour saved for every follow-up claim of a study, and its name.

    Never a respondent's own unit or office cost: costs are set by enablers, and setting every
    unit to 0 and one to 1 would turn a round's figure into that unit's answers."""
    if study.unit_value is not None:
        return study.unit_value, f"{roi.money(study.unit_value)}/h (the study's value of an hour)"
    cost = study.default_hourly_cost
    return cost, f"{roi.money(cost)}/h (the study's hourly cost)"


def follow_up_attribution(study: RoiStudy) -> Decimal | None:
    """The share applied to every claim, or None when each respondent's own share is used."""
    if study.isolation_method == RoiStudy.Isolation.PARTICIPANT_ESTIMATE:
        return None
    return study.attribution_share


def _follow_up_lines(study: RoiStudy, claims: list[dict]) -> list[TraceLine]:
    """The hours-saved benefit, one line per session (its follow-up rounds together), never per
    answer: a follow-up is anonymous, and a line of one answer would show what one person said.
    Each line names its session, so a report of forty sessions reads as forty sessions rather
    than forty identical "hours saved" rows.

    Each claim is valued with the same hour value (``follow_up_hour_value``), its confidence,
    its attribution (``follow_up_attribution``) and the cap; the rounds come from the feedback
    app with at least k hours answers each, and the sessions are shown as the feedback pages
    show a partition: a session with at least k claims, the others together in one line of at
    least k, or with the smallest shown session when fewer."""
    hour_value, hour_label = follow_up_hour_value(study)
    attribution = follow_up_attribution(study)
    sessions: dict[str, dict] = {}
    for raw in claims:
        source = raw.get("source", "follow-up")
        # A claim names its session and round; one that only has a source ("Follow-up after
        # 30 days: Title") is read from it.
        round_label, _, title = source.partition(": ")
        session = raw.get("session") or title or source
        round_label = raw.get("round") or (round_label if title else "")
        claim = roi.Claim(
            source=source,
            hours_saved_per_month=_decimal(raw.get("hours_saved_per_month")),
            confidence=_decimal(raw.get("confidence")),
            attribution=_decimal(raw.get("attribution")),
        )
        result = roi.claim_value(
            claim=claim,
            hour_value=hour_value,
            study_attribution=attribution,
            cap=study.hours_saved_cap,
        )
        entry = sessions.setdefault(
            session,
            {"n": 0, "value": Decimal("0"), "excluded": defaultdict(int), "rounds": set()},
        )
        entry["n"] += 1
        if round_label:
            entry["rounds"].add(round_label)
        if result.counted:
            entry["value"] += result.value
        else:
            entry["excluded"][result.reason] += 1
    k = min_group()
    shown = visible_cells({name: entry["n"] for name, entry in sessions.items()}, k=k)
    groups = [(f"hours saved: {name}", [name]) for name in sorted(shown, key=str.casefold)]
    rest = sorted((name for name in sessions if name not in shown), key=str.casefold)
    if rest:
        groups.append((f"hours saved: {len(rest)} sessions together ({', '.join(rest)})", rest))
    share = (
        "its share attributed to the session"
        if attribution is None
        else f"{attribution} attributed"
    )
    lines = []
    for item, names in groups:
        n = sum(sessions[name]["n"] for name in names)
        value = roi.money(sum((sessions[name]["value"] for name in names), Decimal("0")))
        excluded: dict[str, int] = defaultdict(int)
        for name in names:
            for reason, count in sessions[name]["excluded"].items():
                excluded[reason] += count
        counted = n - sum(excluded.values())
        quantity = (
            f"{counted} of {n} answers: each one's hours saved a month × 12 × {hour_label} × "
            f"{share} × its confidence"
        )
        if excluded:
            quantity += "; not counted: " + ", ".join(
                f"{count} ({reason})" for reason, count in sorted(excluded.items())
            )
        rounds = sorted({r for name in names for r in sessions[name]["rounds"]})
        source = ", ".join(rounds) if rounds else "follow-up answers"
        lines.append(TraceLine("benefit", item, quantity, value, source))
    return lines


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def roi_result_figures(result: RoiResult) -> dict:
    """A study's figures as plain JSON strings, exactly as the pages show them."""

    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {
        "costs": str(result.costs),
        "benefits": str(result.benefits),
        "benefit_cost_ratio": text(result.bcr),
        "roi_percent": text(result.roi_percent),
        "lines": [
            {
                "section": line.section,
                "item": line.item,
                "quantity": line.quantity,
                "value": str(line.value),
                "source": line.source,
            }
            for line in result.lines
        ],
        "intangibles": list(result.intangibles),
        "assumptions": list(result.assumptions),
    }
