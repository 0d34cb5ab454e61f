"""Duplicate clusters as enablers and leaders read them: the copies, the hours each session
copy cost, the hours reuse would have saved, and why the members match."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.errors import DomainError, NotFound
from knowflow.events.models import Occurrence, Session
from knowflow.insights.models import DuplicateCluster
from knowflow.insights.permissions import check_view_insights
from knowflow.insights.selectors.detection import RESOURCE, SESSION, MemberKey
from knowflow.insights.selectors.figures import PREPARATION_RATIO
from knowflow.library.models import Resource


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
    check_view_insights(actor=viewer)
    query = DuplicateCluster.objects.select_related(
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
        query = query.filter(status=status)
    clusters = list(query.order_by("-score", "id")[:limit])
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
                    preparation=round(PREPARATION_RATIO * first * n_speakers, 1),
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
    check_view_insights(actor=viewer)
    if not DuplicateCluster.objects.filter(pk=cluster_id).exists():
        raise NotFound(f"There is no duplicate cluster with id {cluster_id}.")
    return next(
        v for v in duplicate_clusters(viewer=viewer, limit=100_000) if v.cluster.pk == cluster_id
    )


def duplicate_cluster_to_decide(*, id: int) -> DuplicateCluster:
    """One cluster of duplicated training, or NotFound; deciding on it is the services'
    question (enablers)."""
    cluster = DuplicateCluster.objects.filter(pk=id).first()
    if cluster is None:
        raise NotFound(f"There is no duplicate cluster with id {id}.")
    return cluster
