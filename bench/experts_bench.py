"""Expert finding benchmark: relevance against a BM25 baseline, and find-an-expert latency.

    .venv/bin/python bench/experts_bench.py [--demo large|small|none] [--demo-db FILE]
                                            [--queries 100] [--no-write]

1. Relevance: ``shared/data/talks.jsonl.gz`` imported into a fresh SQLite database the way
   ``knowflow import talks`` does; every query of ``shared/data/bench-dev/experts.jsonl`` and
   of our own held-out set ``bench/data/experts_heldout.jsonl`` through ``knowflow experts
   --batch`` semantics (top 10). Each name is mapped to the file's speaker key (lower case,
   runs of anything but letters and digits as one space). nDCG@10 with graded gains (the
   file's grade, linear) and MRR@10 (first judged expert). The baseline, in the same run:
   BM25 (``bm25s``, Snowball stemming, English stop words) over each talk's title, tags and
   description; a speaker's score is the sum of the BM25 scores of their talks among the
   best 1,000.
2. Latency: a demo organisation (``--demo large``, or a copy of ``--demo-db``) plus the corpus;
   server-side time of ``experts_find`` as the page runs it (top 10, working hours) over the
   dev and held-out queries after a warm-up.

Each phase runs in its own process. The table goes to ``docs/benchmarks.md`` between
``<!-- BEGIN experts -->`` and ``<!-- END experts -->``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchdoc import write_section

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "data" / "talks.jsonl.gz"
SETS = {
    "dev (talk tags)": SHARED / "data" / "bench-dev" / "experts.jsonl",
    "held-out (ours)": ROOT / "bench" / "data" / "experts_heldout.jsonl",
}
K = 10
BM25_DEPTH = 1000


def speaker_key(name: str) -> str:
    return re.sub(r"[\W_]+", " ", name.lower()).strip()


def _queries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def ndcg_mrr(ranked: list[str], grades: dict[str, float], k: int = K) -> tuple[float, float]:
    """nDCG@k with the judged grades as gains, and the reciprocal rank of the first judged."""
    seen: set[str] = set()
    unique = [r for r in ranked if r and not (r in seen or seen.add(r))][:k]  # type: ignore[func-returns-value]
    dcg = sum(grades.get(r, 0) / math.log2(i + 2) for i, r in enumerate(unique))
    ideal = sum(
        g / math.log2(i + 2) for i, g in enumerate(sorted(grades.values(), reverse=True)[:k])
    )
    rr = next((1 / (i + 1) for i, r in enumerate(unique) if r in grades), 0.0)
    return (dcg / ideal if ideal else 0.0), rr


def _setup(data_dir: Path) -> None:
    os.environ["KNOWFLOW_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("KNOWFLOW_INSECURE_DEV_KEY", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "knowflow.config.settings")
    import django

    django.setup()


def _import_corpus() -> float:
    from knowflow.library.importers import talks_import
    from knowflow.library.talk_archive import LineError, read_talks_jsonl

    started = time.perf_counter()
    errors: list[LineError] = []
    talks_import(talks=read_talks_jsonl(CORPUS, errors), errors=errors)
    return time.perf_counter() - started


def phase_relevance(data_dir: Path) -> dict[str, Any]:
    _setup(data_dir)
    import bm25s
    import Stemmer
    from django.core.management import call_command

    from knowflow.expertise.management.commands.experts import experts_json
    from knowflow.library.talk_archive import open_text

    call_command("migrate", verbosity=0, interactive=False)
    seconds = _import_corpus()
    speakers, texts = [], []
    with open_text(CORPUS) as stream:
        for line in stream:
            talk = json.loads(line)
            speakers.append([speaker_key(s) for s in talk["speakers"] if s.strip()])
            texts.append(
                " ".join([talk["title"], " ".join(talk["tags"]), talk["description"] or ""])
            )
    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False),
        show_progress=False,
    )
    result: dict[str, Any] = {"import_seconds": seconds, "talks": len(texts), "sets": {}}
    for name, path in SETS.items():
        queries = _queries(path)
        ours, baseline, seconds_each = [], [], []
        for q in queries:
            grades = {e["speaker_key"]: float(e["grade"]) for e in q["experts"]}
            started = time.perf_counter()
            found = experts_json(q["query"], K)
            seconds_each.append(time.perf_counter() - started)
            ours.append(ndcg_mrr([speaker_key(e["name"]) for e in found], grades))
            tokens = bm25s.tokenize(
                [q["query"]], stopwords="en", stemmer=stemmer, show_progress=False
            )
            summed: dict[str, float] = defaultdict(float)
            if tokens.vocab:
                docs, scores = retriever.retrieve(
                    tokens, k=min(BM25_DEPTH, len(texts)), show_progress=False
                )
                for doc, score in zip(docs[0], scores[0], strict=True):
                    for key in speakers[doc]:
                        summed[key] += float(score)
            ranked = sorted(summed, key=lambda k: (-summed[k], k))
            baseline.append(ndcg_mrr(ranked, grades))
        result["sets"][name] = {
            "queries": len(queries),
            "ours": [sum(x[0] for x in ours) / len(ours), sum(x[1] for x in ours) / len(ours)],
            "bm25": [
                sum(x[0] for x in baseline) / len(baseline),
                sum(x[1] for x in baseline) / len(baseline),
            ],
            "per_query": [
                [q["query"], round(o[0], 3), round(b[0], 3)]
                for q, o, b in zip(queries, ours, baseline, strict=True)
            ],
        }
    return result


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


def phase_latency(data_dir: Path, demo: str, queries: int) -> dict[str, Any]:
    _setup(data_dir)
    from django.core.management import call_command

    from knowflow.accounts.models import Person
    from knowflow.expertise.selectors import experts_find
    from knowflow.search.index import reindex_all

    call_command("migrate", verbosity=0, interactive=False)
    import knowflow.config.wsgi  # noqa: F401  (start-up as the web server's: it freezes the heap)

    demo_seconds = None
    if demo != "none" and not Person.objects.exists():
        from knowflow.demo.generator import demo_load

        started = time.perf_counter()
        demo_load(size=demo)
        demo_seconds = time.perf_counter() - started
    reindex_all()
    _import_corpus()
    texts = [q["query"] for path in SETS.values() for q in _queries(path)]
    picked = (texts * (queries // len(texts) + 1))[:queries]
    for text in texts[:10]:
        experts_find(text=text)
    timings = []
    for text in picked:
        started = time.perf_counter()
        experts_find(text=text)
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "demo": demo,
        "demo_seconds": demo_seconds,
        "people": Person.objects.count(),
        "queries": len(picked),
        "find": [_percentile(timings, 50), _percentile(timings, 95)],
    }


def _run_phase(args: list[str]) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def render(relevance: dict[str, Any], latency: dict[str, Any] | None, arguments: str = "") -> str:
    load = os.getloadavg()[0]
    lines = [
        "## Expert finding",
        "",
        f"Command: `make bench` (runs `.venv/bin/python bench/experts_bench.py{arguments}`), CPython "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, SQLite, DEBUG off; load average "
        f"(1 min) at the end: {load:.1f}. Corpus: {relevance['talks']:,} talks imported in "
        f"{relevance['import_seconds']:.0f} s.",
        "",
        "Relevance (top 10, `knowflow experts --batch` semantics; graded nDCG@10 and MRR; baseline: "
        "`bm25s` BM25 over each talk's title, tags and description, a speaker scored by the sum "
        "of their talks' scores among the best 1,000, same run). The dev set's queries are the "
        "talks' own tags (which we read as topics); the held-out set is ours, written in "
        "`bench/data/experts_heldout.jsonl` from reading the corpus, never used to choose a weight.",
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
            f"Latency: `{latency['demo']}` demo plus the corpus ({latency['people']:,} people), "
            f"{latency['queries']} questions from both sets after a warm-up, server-side, in-process"
            + (f"; demo load {latency['demo_seconds']:.0f} s." if latency["demo_seconds"] else "."),
            "",
            "| operation | median ms | p95 ms | target |",
            "| --- | ---: | ---: | --- |",
            f"| find an expert (top 10, evidence, working hours) | {latency['find'][0]:.1f} | "
            f"{latency['find'][1]:.1f} | p95 < 100 ms: "
            f"{'met' if latency['find'][1] < 100 else '**missed**'} |",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--demo", choices=["large", "small", "none"], default="large")
    parser.add_argument("--demo-db", type=Path, help="A SQLite file with the demo already loaded.")
    parser.add_argument("--queries", type=int, default=100)
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
        print(f"{CORPUS} is missing: the benchmark needs ../shared.", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="knowflow-experts-bench-") as tmp:
        fresh = Path(tmp) / "fresh"
        fresh.mkdir()
        relevance = _run_phase(["--phase", "relevance", "--data-dir", str(fresh)])
        print(json.dumps(relevance["sets"], indent=1), file=sys.stderr)
        shutil.rmtree(fresh)
        latency = None
        if args.demo != "none" or args.demo_db:
            loaded = Path(tmp) / "demo"
            loaded.mkdir()
            if args.demo_db:
                shutil.copy(args.demo_db, loaded / "knowflow.sqlite3")
            latency = _run_phase(
                ["--phase", "latency", "--data-dir", str(loaded), "--demo", args.demo,
                 "--queries", str(args.queries)]
            )  # fmt: skip
    text = render(
        relevance, latency, "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    )
    print(text)
    if not args.no_write:
        write_section("experts", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
