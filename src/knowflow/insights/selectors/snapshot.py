"""The last full detection's snapshot (kept in memory per process) and what it answers: has a
new proposal's subject been taught already, checked against it and the sessions created since."""

from __future__ import annotations

import io
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.db.models import Min, Q

from knowflow.discovery import duplicates as D
from knowflow.events.models import Session
from knowflow.insights.models import DetectorSnapshot
from knowflow.insights.selectors.detection import detectable_sessions, session_docs
from knowflow.library.models import Resource
from knowflow.links import is_web_url


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
