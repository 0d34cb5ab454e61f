"""Read queries for insights, always for a viewer: dashboard, duplicates, expertise, network,
"already taught", and ROI study results with their traceability."""

from __future__ import annotations

import io
import threading
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import Min, Prefetch, Q, QuerySet
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.discovery import duplicates as D
from knowflow.errors import DomainError, Forbidden, NotFound
from knowflow.events.models import Attendance, Occurrence, Session
from knowflow.insights import figures, permissions, roi
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
from knowflow.library.models import Resource
from knowflow.links import is_web_url

# A rollup older than this is recomputed on read (the worker refreshes them every hour).
ROLLUP_MAX_AGE = timedelta(hours=6)


def _require_viewer(viewer: Person) -> None:
    if not permissions.can_view_insights(actor=viewer):
        raise Forbidden("Insights are for enablers and leaders.")


# --- periods ------------------------------------------------------------------------------------


def period_from(
    *, preset: str = "", start: date | None = None, end: date | None = None
) -> figures.Period:
    """A preset period, or a custom one from ``start`` to ``end`` (both days included)."""
    if start or end:
        if not (start and end):
            raise DomainError(
                "Give both a start and an end date.", field="start" if not start else "end"
            )
        if end < start:
            raise DomainError("The period ends before it starts.", field="end")
        return figures.Period(
            name=f"{start.isoformat()} to {end.isoformat()}",
            start=datetime.combine(start, time.min, tzinfo=UTC),
            end=datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC),
        )
    preset = preset or figures.DEFAULT_PRESET
    if preset not in figures.PRESETS:
        raise DomainError(
            f"Unknown period '{preset}'; use one of: {', '.join(figures.PRESETS)}.", field="period"
        )
    return figures.preset_period(preset)


# --- dashboard ------------------------------------------------------------------------------------


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
        return figures.period_label(self.figures["period"]["name"])

    @property
    def age_minutes(self) -> int:
        return int((timezone.now() - self.computed_at).total_seconds() // 60)


def compute_all(*, period: figures.Period, now: datetime | None = None) -> dict:
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


def dashboard_for(*, viewer: Person, period: figures.Period) -> Dashboard:
    """The dashboard of ``period``: from the worker's rollup when one is fresh (one query),
    computed now otherwise (custom periods, or before the worker first ran)."""
    _require_viewer(viewer)
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


# --- the detector's view of sessions ------------------------------------------------------------------


def session_docs(sessions: QuerySet[Session]) -> list[D.Doc]:
    """Sessions as the duplicate detector sees them (title, abstract, speakers, topics), in
    three queries whatever their number."""
    rows = list(sessions.order_by("id").values_list("id", "title", "abstract"))
    speakers: dict[int, list[str]] = defaultdict(list)
    topics: dict[int, list[str]] = defaultdict(list)
    through = Session.speakers.through.objects.filter(session__in=sessions.values("id"))
    for session_id, name in through.values_list("session_id", "person__display_name"):
        speakers[session_id].append(name)
    for session_id, name in Session.topics.through.objects.filter(
        session__in=sessions.values("id")
    ).values_list("session_id", "topic__name"):
        topics[session_id].append(name)
    return [
        D.Doc(
            key=pk,
            title=title,
            description=abstract,
            speakers=tuple(speakers[pk]),
            topics=tuple(topics[pk]),
        )
        for pk, title, abstract in rows
    ]


def detectable_sessions() -> QuerySet[Session]:
    """Every session but cancelled ones: proposals count, a proposal can duplicate a talk."""
    return Session.objects.exclude(status=Session.Status.CANCELLED)


# What a cluster member is. Sessions and resources are numbered independently (session 7 and
# resource 7 are different things), so the detector's keys, the decided pairs and the stored
# pairs always carry the kind with the id.
SESSION = "session"
RESOURCE = "resource"
MemberKey = tuple[str, int]

# A note's body can be a whole article; the detector's weights were fitted on talk abstracts
# (a few hundred words). The first RESOURCE_TEXT_CHARS characters of description + body say
# what a resource teaches, and bound the cost of one huge note.
RESOURCE_TEXT_CHARS = 20_000


def detectable_resources() -> QuerySet[Resource]:
    """Stand-alone library resources: those that belong to no session. A session's recording
    or slides teach what the session teaches; they are compared through the session."""
    return Resource.objects.filter(session__isnull=True)


def resource_docs(resources: QuerySet[Resource]) -> list[D.Doc]:
    """Resources as the duplicate detector sees them, keyed ``("resource", id)``, in three
    queries whatever their number.

    Mapping onto a session's fields: title → title; description, then body (a note's text)
    → abstract; authors → speakers (the people who made it, as speakers made a session);
    topics → topics. The owner is left out: an owner vouches for a resource (often whoever
    filed a link) without having written it, so two articles filed by one enabler would look
    like "the same speaker".
    """
    rows = list(resources.order_by("id").values_list("id", "title", "description", "body"))
    authors: dict[int, list[str]] = defaultdict(list)
    topics: dict[int, list[str]] = defaultdict(list)
    ids = resources.values("id")
    for resource_id, name in Resource.authors.through.objects.filter(resource__in=ids).values_list(
        "resource_id", "person__display_name"
    ):
        authors[resource_id].append(name)
    for resource_id, name in Resource.topics.through.objects.filter(resource__in=ids).values_list(
        "resource_id", "topic__name"
    ):
        topics[resource_id].append(name)
    return [
        D.Doc(
            key=(RESOURCE, pk),
            title=title,
            description="\n\n".join(t for t in (description, body) if t)[:RESOURCE_TEXT_CHARS],
            speakers=tuple(authors[pk]),
            topics=tuple(topics[pk]),
        )
        for pk, title, description, body in rows
    ]


def detection_docs() -> tuple[list[D.Doc], int, int]:
    """Everything full detection compares — non-cancelled sessions, then stand-alone
    resources — keyed by ``(kind, id)``; with the number of sessions and of resources."""
    sessions = [replace(d, key=(SESSION, d.key)) for d in session_docs(detectable_sessions())]
    resources = resource_docs(detectable_resources())
    return [*sessions, *resources], len(sessions), len(resources)


@dataclass
class LoadedSnapshot:
    pk: int
    built_at: datetime
    stats: D.CorpusStats
    shingle_hashes: np.ndarray
    shingle_owners: np.ndarray
    title_hashes: np.ndarray
    title_owners: np.ndarray


_snapshot_cache: dict[int, LoadedSnapshot] = {}
_snapshot_lock = threading.Lock()


def latest_snapshot() -> LoadedSnapshot | None:
    """The last full detection's statistics and index, kept in memory per process (the blob
    is read once per snapshot, not once per request)."""
    head = DetectorSnapshot.objects.order_by("-built_at").values_list("pk", "built_at").first()
    if head is None:
        return None
    pk, built_at = head
    with _snapshot_lock:
        found = _snapshot_cache.get(pk)
        if found is None:
            blob = bytes(DetectorSnapshot.objects.values_list("stats", flat=True).get(pk=pk))
            arrays = dict(np.load(io.BytesIO(blob)))
            found = LoadedSnapshot(
                pk=pk,
                built_at=built_at,
                stats=D.CorpusStats.from_arrays(arrays),
                shingle_hashes=arrays["index_shingles"],
                shingle_owners=arrays["index_shingle_owners"],
                title_hashes=arrays["index_titles"],
                title_owners=arrays["index_title_owners"],
            )
            _snapshot_cache.clear()
            _snapshot_cache[pk] = found
    return found


def _lookup(hashes: np.ndarray, owners: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    if not len(hashes) or not len(wanted):
        return np.empty(0, np.int64)
    left = np.searchsorted(hashes, wanted, side="left")
    right = np.searchsorted(hashes, wanted, side="right")
    return np.concatenate(
        [owners[a:b] for a, b in zip(left, right, strict=True)] or [np.empty(0, np.int64)]
    )


@dataclass
class AlreadyTaught:
    session: Session
    score: float
    why: D.Explanation
    speakers: list[str]
    recording_url: str
    last_given: datetime | None


def already_taught(
    *,
    title: str,
    abstract: str = "",
    speakers: tuple[str, ...] = (),
    topics: tuple[str, ...] = (),
    exclude_session_id: int | None = None,
    limit: int = 3,
    candidates: int = 50,
) -> list[AlreadyTaught]:
    """Sessions that already taught what a new proposal is about, best first.

    Incremental: candidates come from the last snapshot's index (sessions sharing a rare
    passage or title word) plus every session created since; only those are scored, with the
    snapshot's statistics, so the answer matches what a full detection would decide.
    """
    snapshot = latest_snapshot()
    stats = snapshot.stats if snapshot else None
    new = D.Doc(key="new", title=title, description=abstract, speakers=speakers, topics=topics)
    probe = D.Scorer([new], stats=stats)
    hits: dict[int, int] = defaultdict(int)
    since = None
    if snapshot is not None:
        since = snapshot.built_at
        for owner in _lookup(
            snapshot.shingle_hashes, snapshot.shingle_owners, probe.shingles.hashes
        ).tolist():
            hits[owner] += 2
        for owner in _lookup(
            snapshot.title_hashes, snapshot.title_owners, probe.titles.hashes
        ).tolist():
            hits[owner] += 1
    chosen = sorted(hits, key=lambda pk: (-hits[pk], pk))[:candidates]
    pool = detectable_sessions().filter(
        Q(pk__in=chosen) | Q(created_at__gte=since) if since else Q()
    )
    if since is None:
        pool = pool.filter(pk__in=detectable_sessions().order_by("-id").values("id")[:2000])
    if exclude_session_id:
        pool = pool.exclude(pk=exclude_session_id)
    docs = session_docs(pool)
    if not docs:
        return []
    scorer = D.Scorer([new, *docs], stats=stats)
    results = scorer.score_pairs([("new", d.key) for d in docs])
    found = sorted(
        ((d.key, r.score) for d, r in zip(docs, results, strict=True) if r.duplicate),
        key=lambda kv: -kv[1],
    )[:limit]
    if not found:
        return []
    ids = [pk for pk, _ in found]
    sessions = {
        s.pk: s
        for s in Session.objects.filter(pk__in=ids)
        .prefetch_related("speakers")
        .annotate(last_given=Min("occurrences__start"))
    }
    recordings = _recordings(ids)
    return [
        AlreadyTaught(
            session=sessions[pk],
            score=score,
            why=scorer.explain("new", pk),
            speakers=[p.display_name for p in sessions[pk].speakers.all()],
            recording_url=recordings.get(pk, ""),
            last_given=sessions[pk].last_given,
        )
        for pk, score in found
    ]


def _recordings(session_ids: list[int]) -> dict[int, str]:
    """The recording of each session, from the library."""
    out: dict[int, str] = {}
    for session_id, url, slug in Resource.objects.filter(
        session_id__in=session_ids, kind="recording"
    ).values_list("session_id", "url", "slug"):
        # A stored link that is not http(s) is never a link: the resource's own page is.
        out.setdefault(session_id, url if is_web_url(url) else f"/library/{slug}/")
    return out


def sessions_by_external_id(external_ids: list[str]) -> dict[str, int]:
    """Imported talks' original ids → session ids (the library keeps them on the recording)."""
    out: dict[str, int] = {}
    wanted = list(dict.fromkeys(external_ids))
    for start in range(0, len(wanted), 500):
        for external_id, session_id in Resource.objects.filter(
            source="talk", external_id__in=wanted[start : start + 500], session__isnull=False
        ).values_list("external_id", "session_id"):
            out[external_id] = session_id
    return out


# --- duplicate clusters --------------------------------------------------------------------------


@dataclass
class CopyHours:
    session: Session
    preparation: float
    delivery: float
    first: datetime | None
    kind: str = SESSION


@dataclass
class ResourceCopy:
    """A stand-alone resource in a cluster. It has no hours: Knowflow records no time for
    writing a document or making a recording (no duration, no effort), and the preparation
    estimate is a multiple of delivery time, which a resource does not have."""

    resource: Resource
    added: datetime
    kind: str = RESOURCE


@dataclass
class ClusterView:
    cluster: DuplicateCluster
    copies: list[CopyHours]
    circles: list[str]
    units: list[str]
    pairs: list[dict] = field(default_factory=list)
    resources: list[ResourceCopy] = field(default_factory=list)

    @property
    def members(self) -> list[CopyHours | ResourceCopy]:
        """Every member: the sessions (first given first), then the resources (first added
        first)."""
        return [*self.copies, *self.resources]

    @property
    def best_pair_titles(self) -> tuple[str, str] | None:
        """The titles of the two members of the best pair (the one the explanation is of)."""
        if not self.pairs:
            return None
        titles: dict[MemberKey, str] = {
            (SESSION, c.session.pk): c.session.title for c in self.copies
        }
        titles.update({(RESOURCE, r.resource.pk): r.resource.title for r in self.resources})
        best = self.pairs[0]
        a = titles.get((best.get("a_kind", SESSION), best["a"]))
        b = titles.get((best.get("b_kind", SESSION), best["b"]))
        return (a, b) if a and b else None

    @property
    def hours_spent(self) -> float:
        """Preparation and delivery of the session copies (resources have no hours)."""
        return round(sum((c.preparation + c.delivery for c in self.copies), 0.0), 1)

    @property
    def hours_reuse_would_save(self) -> float:
        """Preparing every session copy after the first: reusing the first (or its recording)
        would have spared it. Delivery is not counted: the audience still needed a session.
        Resources count neither way: they have no recorded hours, and whether a document
        would have spared a session's preparation is not something the data can tell."""
        return round(sum((c.preparation for c in self.copies[1:]), 0.0), 1)


def duplicate_clusters(*, viewer: Person, status: str = "", limit: int = 200) -> list[ClusterView]:
    """Clusters (proposed first, best score first) with the hours each session copy cost
    and the stand-alone resources among the copies."""
    _require_viewer(viewer)
    clusters = DuplicateCluster.objects.select_related(
        "merged_into", "merged_into_resource", "decided_by"
    ).prefetch_related(
        "sessions__circle",
        "sessions__speakers__org_unit",
        "resources__circle",
        "resources__authors__org_unit",
    )
    if status:
        if status not in DuplicateCluster.Status.values:
            raise DomainError(f"Unknown status '{status}'.", field="status")
        clusters = clusters.filter(status=status)
    clusters = list(clusters.order_by("-score", "id")[:limit])
    session_ids = {s.pk for c in clusters for s in c.sessions.all()}
    timing: dict[int, tuple[float, float, datetime | None]] = {}
    occurrences = defaultdict(list)
    for session_id, start, end in Occurrence.objects.filter(session_id__in=session_ids).values_list(
        "session_id", "start", "end"
    ):
        occurrences[session_id].append((start, end))
    for session_id, rows in occurrences.items():
        rows.sort()
        first = (rows[0][1] - rows[0][0]).total_seconds() / 3600
        delivered = sum((e - s).total_seconds() / 3600 for s, e in rows)
        timing[session_id] = (first, delivered, rows[0][0])
    views = []
    for cluster in clusters:
        copies = []
        for session in cluster.sessions.all():
            first, delivered, first_at = timing.get(session.pk, (0.0, 0.0, None))
            n_speakers = len(session.speakers.all()) or 1
            copies.append(
                CopyHours(
                    session=session,
                    preparation=round(figures.PREPARATION_RATIO * first * n_speakers, 1),
                    delivery=round(delivered * n_speakers, 1),
                    first=first_at,
                )
            )
        copies.sort(key=lambda c: (c.first is None, c.first or timezone.now(), c.session.pk))
        resources = sorted(
            (ResourceCopy(resource=r, added=r.created_at) for r in cluster.resources.all()),
            key=lambda r: (r.added, r.resource.pk),
        )
        makers = [p for s in cluster.sessions.all() for p in s.speakers.all()]
        makers += [p for r in cluster.resources.all() for p in r.authors.all()]
        views.append(
            ClusterView(
                cluster=cluster,
                copies=copies,
                circles=sorted(
                    {s.circle.name for s in cluster.sessions.all() if s.circle}
                    | {r.circle.name for r in cluster.resources.all() if r.circle}
                ),
                units=sorted({p.org_unit.name for p in makers if p.org_unit}),
                pairs=cluster.pairs,
                resources=resources,
            )
        )
    views.sort(
        key=lambda v: (
            v.cluster.status != DuplicateCluster.Status.PROPOSED,
            -v.cluster.score,
            v.cluster.pk,
        )
    )
    return views


def duplicate_cluster_get(*, viewer: Person, cluster_id: int) -> ClusterView:
    _require_viewer(viewer)
    if not DuplicateCluster.objects.filter(pk=cluster_id).exists():
        raise NotFound(f"There is no duplicate cluster with id {cluster_id}.")
    return next(
        v for v in duplicate_clusters(viewer=viewer, limit=100_000) if v.cluster.pk == cluster_id
    )


# --- ROI ------------------------------------------------------------------------------------------


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
    claims_available: bool


class _CostBook:
    """Loaded hourly cost of a person: their unit's (or the nearest parent's), else their
    office's, else the study's default — with the source, for the traceability page."""

    def __init__(self, default: Decimal) -> None:
        from knowflow.accounts.models import OrgUnit

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
        occurrences = occurrences.filter(session__circle_id=study.circle_id)
    return occurrences


def follow_up_claims(
    *, session_ids: set[int], since: datetime, until: datetime
) -> list[dict] | None:
    """Hours-saved follow-up answers for these sessions, through the feedback app's selector
    ``follow_up_claims`` (None when the feedback app does not offer it yet)."""
    try:
        from knowflow.feedback import selectors as feedback_selectors
    except ImportError:
        return None
    reader = getattr(feedback_selectors, "follow_up_claims", None)
    if reader is None:
        return None
    return list(reader(session_ids=session_ids, since=since, until=until))


def roi_study_result(*, viewer: Person, study: RoiStudy) -> RoiResult:
    """Costs, benefits, BCR and ROI % of a study, each figure with the inputs it comes from."""
    _require_viewer(viewer)
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
    lines += _follow_up_lines(study, claims or [])
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
    if claims is None:
        assumptions.append(
            "The feedback app offers no follow-up answers yet: no hours-saved benefit is counted."
        )
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
        claims_available=claims is not None,
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
    from knowflow.feedback.selectors import min_group, visible_cells

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


def hourly_cost_list(*, viewer: Person) -> list[HourlyCost]:
    _require_viewer(viewer)
    return list(
        HourlyCost.objects.select_related("org_unit", "office", "set_by").order_by(
            "org_unit__name", "office__name"
        )
    )


def roi_study_list(*, viewer: Person) -> list[RoiStudy]:
    _require_viewer(viewer)
    return list(RoiStudy.objects.select_related("circle", "created_by"))


def roi_study_get(*, viewer: Person, study_id: int) -> RoiStudy:
    _require_viewer(viewer)
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
    _require_viewer(viewer)
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
    _require_viewer(viewer)
    version = next((v for v in study.versions.all() if v.number == number), None)
    if version is None:
        raise NotFound(f"This study has no version {number}.")
    return version


def attendance_modes() -> list[str]:
    return list(Attendance.Mode.values)
