"""Library benchmark: importing the talk corpus, search relevance against BM25, and latency.

    .venv/bin/python bench/library_bench.py [--demo large|small|none] [--demo-db FILE]
                                            [--queries 200] [--no-write]

1. Import: ``shared/data/talks.jsonl.gz`` into a fresh SQLite database (timed, in-process,
   the same code as ``knowflow import talks``).
2. Relevance: every query of ``shared/data/bench-dev/search_known_item.jsonl`` and
   ``search_topics.jsonl`` through ``knowflow search --batch`` semantics (top 10, no type),
   results mapped to talk ids through ``external_id``; nDCG@10 (binary gains) and MRR@10.
   The baseline, in the same run: plain BM25 (the ``bm25s`` package, Snowball stemming and
   English stop words) over the same text of each talk (title, tags, speakers, description).
3. Latency: the corpus plus a demo organisation (``--demo large`` by default, over 60,000
   searchable items), 200 queries from both files after a warm-up; server-side time of the
   search as the page runs it (facets, snippets, working hours) and as the command line
   runs it, and of prefix suggestions (the first characters of each query).

After ``bench/web_bench.py`` has loaded the large demo into ``var/bench/large``, pass
``--demo-db var/bench/large/knowflow.sqlite3`` to measure on a copy of it instead of loading
the demo again (the copy is migrated, indexed, and the corpus imported into it; the original
is not touched).

Each phase runs in its own process (the data directory is read when settings load). The
table goes to ``docs/benchmarks.md`` between ``<!-- BEGIN library -->`` and
``<!-- END library -->``; the rest of that file belongs to other benchmarks.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchdoc import write_section

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "data" / "talks.jsonl.gz"
SETS = {
    "known-item": SHARED / "data" / "bench-dev" / "search_known_item.jsonl",
    "topics": SHARED / "data" / "bench-dev" / "search_topics.jsonl",
}
K = 10


def _queries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def ndcg_mrr(ranked: list[str], relevant: set[str], k: int = K) -> tuple[float, float]:
    """nDCG@k with binary gains, and the reciprocal rank of the first relevant (0 past k)."""
    seen: set[str] = set()
    unique = [r for r in ranked if r and not (r in seen or seen.add(r))][:k]  # type: ignore[func-returns-value]
    dcg = sum(1 / math.log2(i + 2) for i, r in enumerate(unique) if r in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    rr = next((1 / (i + 1) for i, r in enumerate(unique) if r in relevant), 0.0)
    return (dcg / ideal if ideal else 0.0), rr


def _setup(data_dir: Path) -> None:
    os.environ["KNOWFLOW_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("KNOWFLOW_INSECURE_DEV_KEY", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "knowflow.config.settings")
    import django

    django.setup()


def _import_corpus() -> tuple[float, int, int]:
    from knowflow.library.importers import talks_import
    from knowflow.library.talk_archive import LineError, read_talks_jsonl

    started, cpu = time.perf_counter(), time.process_time()
    errors: list[LineError] = []
    report = talks_import(talks=read_talks_jsonl(CORPUS, errors), errors=errors)
    _import_corpus.cpu = time.process_time() - cpu  # type: ignore[attr-defined]
    return time.perf_counter() - started, report.created + report.updated, len(report.errors)


def phase_relevance(data_dir: Path) -> dict[str, Any]:
    """Fresh database: import (timed), then our search and BM25 on both query sets."""
    _setup(data_dir)
    import bm25s
    import Stemmer
    from django.core.management import call_command

    from knowflow.library.management.commands.search import Command
    from knowflow.library.talk_archive import open_text

    call_command("migrate", verbosity=0, interactive=False)
    seconds, talks, errors = _import_corpus()
    search = Command()
    corpus_ids, corpus_text = [], []
    with open_text(CORPUS) as stream:
        for line in stream:
            talk = json.loads(line)
            corpus_ids.append(talk["id"])
            corpus_text.append(
                " ".join(
                    [
                        talk["title"],
                        " ".join(talk["tags"]),
                        " ".join(talk["speakers"]),
                        talk["description"] or "",
                    ]
                )
            )
    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(corpus_text, stopwords="en", stemmer=stemmer, show_progress=False),
        show_progress=False,
    )
    result: dict[str, Any] = {
        "import_seconds": seconds,
        "import_cpu": _import_corpus.cpu,
        "talks": talks,
        "import_errors": errors,
        "sets": {},
    }
    for name, path in SETS.items():
        queries = _queries(path)
        ours, baseline = [], []
        for q in queries:
            relevant = set(q["relevant"])
            hits = search._search(q["query"], (), K)
            ours.append(ndcg_mrr([h["external_id"] or "" for h in hits], relevant))
            tokens = bm25s.tokenize(
                [q["query"]], stopwords="en", stemmer=stemmer, show_progress=False
            )
            if tokens.vocab:
                docs, _ = retriever.retrieve(tokens, k=K, show_progress=False)
                ranked = [corpus_ids[i] for i in docs[0]]
            else:
                ranked = []
            baseline.append(ndcg_mrr(ranked, relevant))
        result["sets"][name] = {
            "queries": len(queries),
            "ours": [sum(x[0] for x in ours) / len(ours), sum(x[1] for x in ours) / len(ours)],
            "bm25": [
                sum(x[0] for x in baseline) / len(baseline),
                sum(x[1] for x in baseline) / len(baseline),
            ],
        }
    return result


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


def phase_latency(data_dir: Path, demo: str, queries: int) -> dict[str, Any]:
    """Corpus + demo: time searches and suggestions (server-side, warm)."""
    _setup(data_dir)
    from django.core.management import call_command

    from knowflow.accounts.models import Person
    from knowflow.library.selectors import SearchRequest, search_everything, search_suggestions
    from knowflow.search.index import reindex_all
    from knowflow.search.models import SearchDocument

    call_command("migrate", verbosity=0, interactive=False)
    demo_seconds = None
    if demo != "none" and not Person.objects.exists():
        from knowflow.demo.generator import demo_load

        started = time.perf_counter()
        demo_load(size=demo)
        demo_seconds = time.perf_counter() - started
    started = time.perf_counter()
    reindex_all()  # the demo is bulk-written without the services: index it once
    reindex_seconds = time.perf_counter() - started
    import_seconds, _, _ = _import_corpus()
    documents = SearchDocument.objects.count()
    texts = [q["query"] for name in SETS for q in _queries(SETS[name])]
    picked = (texts[: queries // 2] + texts[-(queries - queries // 2) :])[:queries]
    viewer = Person.objects.filter(user__isnull=False).first() or Person.objects.first()

    def timed(call: Any) -> float:
        started = time.perf_counter()
        call()
        return (time.perf_counter() - started) * 1000

    for text in picked[:20]:  # warm-up: caches, vocabulary, URL resolver, SQLite pages
        search_everything(viewer=viewer, request=SearchRequest(text=text), facets=True)
        search_suggestions(text=text[:4])
    page = [
        timed(
            lambda t=t: search_everything(viewer=viewer, request=SearchRequest(text=t), facets=True)
        )
        for t in picked
    ]
    cli = [
        timed(
            lambda t=t: search_everything(
                viewer=None, request=SearchRequest(text=t), page_size=K, snippets=False
            )
        )
        for t in picked
    ]
    prefixes = [t[: max(3, min(6, len(t) // 3))] for t in picked]
    suggest = [timed(lambda p=p: search_suggestions(text=p)) for p in prefixes]
    return {
        "demo": demo,
        "demo_seconds": demo_seconds,
        "reindex_seconds": reindex_seconds,
        "import_seconds_on_demo": import_seconds,
        "documents": documents,
        "queries": len(picked),
        "page": [_percentile(page, 50), _percentile(page, 95)],
        "cli": [_percentile(cli, 50), _percentile(cli, 95)],
        "suggest": [_percentile(suggest, 50), _percentile(suggest, 95)],
    }


def _run_phase(args: list[str]) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def render(relevance: dict[str, Any], latency: dict[str, Any] | None, arguments: str = "") -> str:
    load = os.getloadavg()[0]
    lines = [
        "## Library and search",
        "",
        f"Command: `make bench` (runs `.venv/bin/python bench/library_bench.py{arguments}`), CPython "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, SQLite FTS5, DEBUG off; load average "
        f"(1 min) at the end: {load:.1f}.",
        "",
        f"Import of `talks.jsonl.gz` into a fresh database: **{relevance['import_seconds']:.1f} s** wall "
        f"({relevance['import_cpu']:.1f} s CPU) for "
        f"{relevance['talks']:,} talks (target < 60 s), {relevance['import_errors']} lines refused.",
        "",
        "Relevance (dev sets, top 10, `knowflow search --batch` semantics; baseline: `bm25s` BM25 "
        "with Snowball stemming and stop words over title + tags + speakers + description, same run):",
        "",
        "| set | queries | ours nDCG@10 | BM25 nDCG@10 | ours MRR | BM25 MRR |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in relevance["sets"].items():
        lines.append(
            f"| {name} | {row['queries']} | **{row['ours'][0]:.3f}** | {row['bm25'][0]:.3f} | "
            f"**{row['ours'][1]:.3f}** | {row['bm25'][1]:.3f} |"
        )
    if latency:
        lines += [
            "",
            f"Latency: corpus + `{latency['demo']}` demo, {latency['documents']:,} searchable documents, "
            f"{latency['queries']} queries from both sets after 20 warm-up queries, server-side, in-process"
            + (
                f"; demo load {latency['demo_seconds']:.0f} s"
                if latency["demo_seconds"]
                else "; the demo was loaded beforehand by `knowflow demo --size large` and passed with `--demo-db`"
            )
            + f", indexing the demo {latency['reindex_seconds']:.0f} s, importing the corpus on top of it "
            f"{latency['import_seconds_on_demo']:.1f} s.",
            "",
            "| operation | median ms | p95 ms | target |",
            "| --- | ---: | ---: | --- |",
            f"| search as the page runs it (facets, snippets, working hours) | {latency['page'][0]:.1f} | "
            f"{latency['page'][1]:.1f} | p95 < 50 ms: {'met' if latency['page'][1] < 50 else '**missed**'} |",
            f"| search as `knowflow search` runs it (top 10) | {latency['cli'][0]:.1f} | {latency['cli'][1]:.1f} | "
            f"p95 < 50 ms: {'met' if latency['cli'][1] < 50 else '**missed**'} |",
            f"| prefix suggestions | {latency['suggest'][0]:.1f} | {latency['suggest'][1]:.1f} | "
            f"p95 < 20 ms: {'met' if latency['suggest'][1] < 20 else '**missed**'} |",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--demo", choices=["large", "small", "none"], default="large")
    parser.add_argument("--demo-db", type=Path, help="A SQLite file with the demo already loaded.")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--no-write", action="store_true", help="Print the table only.")
    parser.add_argument("--phase", choices=["relevance", "latency"], help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase == "relevance":
        print(json.dumps(phase_relevance(args.data_dir)))
        return 0
    if args.phase == "latency":
        print(json.dumps(phase_latency(args.data_dir, args.demo, args.queries)))
        return 0
    if not CORPUS.exists():
        print(
            f"{CORPUS} is missing: the benchmark needs ../shared next to the checkout.",
            file=sys.stderr,
        )
        return 1
    with tempfile.TemporaryDirectory(prefix="knowflow-library-bench-") as tmp:
        fresh = Path(tmp) / "fresh"
        fresh.mkdir()
        relevance = _run_phase(["--phase", "relevance", "--data-dir", str(fresh)])
        shutil.rmtree(fresh)
        latency = None
        if args.demo != "none" or args.demo_db:
            loaded = Path(tmp) / "demo"
            loaded.mkdir()
            if args.demo_db:
                shutil.copy(args.demo_db, loaded / "knowflow.sqlite3")
            latency = _run_phase(
                [
                    "--phase",
                    "latency",
                    "--data-dir",
                    str(loaded),
                    "--demo",
                    args.demo,
                    "--queries",
                    str(args.queries),
                ]
            )
    text = render(
        relevance, latency, "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    )
    print(text)
    if not args.no_write:
        write_section("library", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
