"""Insights timings on a loaded organisation (the large demo: 50,000 sessions, 1,000,000
registrations).

    KNOWFLOW_DEBUG=1 KNOWFLOW_DATA_DIR=/tmp/kf-large knowflow demo --size large   # once, ~8 min
    KNOWFLOW_DEBUG=1 KNOWFLOW_DATA_DIR=/tmp/kf-large python bench/insights_bench.py

Measures: full duplicate detection over every session (the worker's job, database writes
included); the incremental check of one new proposal (the "already taught" box); the
dashboard page (median of warm requests, served from the worker's rollup); how long the
worker takes to compute the rollups; the knowledge map page (computed on every request:
its median, its slowest, and the pure layout alone on 1,000 people in 60 circles); and the
"What works" page (median and p95 of warm
requests, computed on each request), after giving every ended date of the large demo, which
answers no surveys, after-session tallies of 0 to 14 responses (seeded, once).

    KNOWFLOW_DEBUG=1 KNOWFLOW_DATA_DIR=/tmp/kf-large python bench/insights_bench.py --patterns
    measures only the "What works" page.
    ... python bench/insights_bench.py --map-only     # only the knowledge map
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "knowflow.config.settings")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from knowflow.accounts.models import Person  # noqa: E402
from knowflow.discovery import knowledge_map as K  # noqa: E402
from knowflow.events.models import Session  # noqa: E402
from knowflow.insights import services  # noqa: E402
from knowflow.insights.selectors import knowledge_map, snapshot  # noqa: E402


def median_ms(fn, runs: int = 15) -> float:  # noqa: ANN001
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def bench_map(client: Client) -> None:
    """The knowledge map page on this database, then the pure analysis and layout alone on a
    made-up organisation of 1,000 people in 60 circles (the size the issue asks to stay
    readable)."""
    assert client.get("/insights/map/").status_code == 200  # warm: templates, first queries
    times = []
    for _ in range(7):
        started = time.perf_counter()
        assert client.get("/insights/map/").status_code == 200
        times.append(time.perf_counter() - started)
    enabler = Person.objects.filter(role__in=["enabler", "admin"], user__isnull=False).first()
    page = knowledge_map.knowledge_map_for(viewer=enabler)
    drawing = page.drawing
    print(
        f"knowledge map page: median {statistics.median(times) * 1000:.0f} ms, slowest "
        f"{max(times) * 1000:.0f} ms ({len(page.circles)} circles, {page.people_in_circles} "
        f"people in circles, {page.links_total} links, {len(drawing.nodes)} nodes and "
        f"{len(drawing.edges)} edges drawn, {len(K.overlapping_labels(drawing.nodes))} "
        "overlapping labels)"
    )
    rng = random.Random(14)
    everyone = list(range(1000))
    circles = [
        K.CircleIn(
            c,
            f"Community of practice {c}",
            frozenset(rng.sample(everyone, rng.randint(5, 150))),
            frozenset(rng.sample(range(60), 3)),
        )
        for c in range(60)
    ]
    times = []
    for _ in range(5):
        started = time.perf_counter()
        made = K.knowledge_map(
            circles=circles,
            unit_of={p: p % 25 for p in everyone},
            topic_labels={t: f"Topic {t}" for t in range(60)},
            unit_labels={u: f"Team {u}" for u in range(25)},
        )
        times.append(time.perf_counter() - started)
    print(
        f"knowledge map, pure, 1,000 people in 60 circles: median "
        f"{statistics.median(times) * 1000:.0f} ms ({len(made.links)} links, "
        f"{len(made.nodes)} nodes, {len(made.edges)} edges drawn, "
        f"{len(K.overlapping_labels(made.nodes))} overlapping labels)"
    )


def timings_ms(fn, runs: int = 21) -> tuple[float, float]:  # noqa: ANN001
    """Median and 95th percentile of warm calls (one call first, not counted)."""
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=20)[-1]


def seed_after_session_tallies() -> int:
    """The large demo answers no surveys: give each ended date 0–14 after-session responses
    (a third of them below the minimum group), as the feedback app would tally them."""
    from django.utils import timezone

    from knowflow.events.models import Occurrence
    from knowflow.feedback.models import Kind, ResponseTally, SurveyTemplate

    if ResponseTally.objects.filter(kind=Kind.AFTER_SESSION).exists():
        return 0
    template = SurveyTemplate.objects.filter(kind=Kind.AFTER_SESSION).first()
    rng = random.Random(14)
    rows = []
    for occurrence_id in Occurrence.objects.filter(end__lte=timezone.now()).values_list(
        "pk", flat=True
    ):
        n = rng.randint(0, 14)
        if not n:
            continue
        judged = 3 * n
        below = rng.randint(0, judged // 3)
        above = rng.randint(0, judged - below)
        rows.append(
            ResponseTally(
                occurrence_id=occurrence_id,
                template=template,
                kind=Kind.AFTER_SESSION,
                mode="room",
                responses=n,
                unacceptable=below,
                acceptable=judged - below - above,
                superior=above,
            )
        )
    ResponseTally.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def patterns_page(client: Client) -> None:
    print(f"after-session tallies seeded for {seed_after_session_tallies()} dates")
    assert client.get("/insights/what-works/").status_code == 200
    from django.core.cache import cache

    for preset in ("last-30-days", "last-90-days", "last-365-days"):
        cache.clear()
        started = time.perf_counter()
        client.get(f"/insights/what-works/?period={preset}")
        cold = (time.perf_counter() - started) * 1000
        median, p95 = timings_ms(lambda p=preset: client.get(f"/insights/what-works/?period={p}"))
        print(
            f"what works page {preset}: computed {cold:.0f} ms; then, kept five minutes, "
            f"median {median:.0f} ms, p95 {p95:.0f} ms"
        )


def enabler_client() -> Client:
    enabler = Person.objects.filter(role__in=["enabler", "admin"], user__isnull=False).first()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(enabler.user)
    return client


def main() -> int:
    client = enabler_client()
    if "--map-only" in sys.argv[1:]:
        bench_map(client)
        return 0
    if "--patterns" in sys.argv[1:]:
        patterns_page(client)
        return 0
    sessions = Session.objects.count()
    print(f"{sessions} sessions, CPUs: {os.cpu_count()}")
    report = services.duplicates_detect()
    print(
        f"full detection: {report.seconds:.1f} s over {report.sessions} sessions "
        f"({report.pairs} pairs, {report.clusters} clusters)"
    )
    proposals = [
        ("Kubernetes in practice: lessons learned", "We spent a year fighting flaky deploys."),
        ("A gentle introduction to Observability", "Traces, metrics and logs for newcomers."),
        ("Ask me anything: Python packaging", ""),
    ]
    for title, abstract in proposals:
        ms = median_ms(lambda t=title, a=abstract: snapshot.already_taught(title=t, abstract=a))
        print(f"incremental check '{title}': median {ms:.0f} ms")
    started = time.perf_counter()
    services.rollups_refresh()
    print(
        f"rollups (3 periods, with previous periods, expertise, network): {time.perf_counter() - started:.1f} s"
    )
    assert client.get("/insights/").status_code == 200
    for preset in ("last-30-days", "last-90-days", "last-365-days"):
        ms = median_ms(lambda p=preset: client.get(f"/insights/?period={p}"), runs=21)
        print(f"dashboard page {preset}: median {ms:.0f} ms (warm, from the rollup)")
    bench_map(client)
    patterns_page(client)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
