"""Insights timings on a loaded organisation (the large demo: 50,000 sessions, 1,000,000
registrations).

    KNOWFLOW_DEBUG=1 KNOWFLOW_DATA_DIR=/tmp/kf-large knowflow demo --size large   # once, ~8 min
    KNOWFLOW_DEBUG=1 KNOWFLOW_DATA_DIR=/tmp/kf-large python bench/insights_bench.py

Measures: full duplicate detection over every session (the worker's job, database writes
included); the incremental check of one new proposal (the "already taught" box); the
dashboard page (median of warm requests, served from the worker's rollup); how long the
worker takes to compute the rollups; and the knowledge map page (computed on every request:
its median, its slowest, and the pure layout alone on 1,000 people in 60 circles).

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


def main() -> int:
    enabler = Person.objects.filter(role__in=["enabler", "admin"], user__isnull=False).first()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(enabler.user)
    if "--map-only" in sys.argv:
        bench_map(client)
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
