"""Search on human-style queries: graded nDCG@10 against plain BM25, and page latency.

    .venv/bin/python bench/search_human_bench.py [--demo-db FILE] [--no-write]

1. Relevance: ``shared/data/talks.jsonl.gz`` imported into a fresh SQLite database (the code of
   ``knowflow import talks``), the semantic model trained as ``knowflow search_reindex`` trains
   it, then both query sets of ``bench/data`` — ``search_human_dev.jsonl`` (used while
   developing) and ``search_human_heldout.jsonl`` (written before any tuning, never tuned on) —
   through ``knowflow search --batch`` semantics (top 10, every type; a result that is no talk
   gains nothing). Graded nDCG@10 (gain 2^grade - 1), overall and per kind of query, for ours
   with the semantic model, ours lexical only, and, in the same run on the same judgments,
   plain BM25 (``bm25s``, Snowball stemming, English stop words, over title + tags + speakers +
   description).
2. Latency (``--demo-db``, the large demo ``bench/web_bench.py`` loads into ``var/bench/large``):
   a copy of it, migrated, indexed, the corpus imported, the model trained; every query of both
   sets run as the search page runs it (facets, snippets, working hours), with and without the
   semantic model, after a warm-up; server-side time, median and p95.

The table goes to ``docs/benchmarks.md`` between ``<!-- BEGIN search-human -->`` and
``<!-- END search-human -->``.
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
CORPUS = ROOT.parent / "shared" / "data" / "talks.jsonl.gz"
SETS = {
    "dev": ROOT / "bench" / "data" / "search_human_dev.jsonl",
    "held-out": ROOT / "bench" / "data" / "search_human_heldout.jsonl",
}
K = 10
KINDS = ("topic", "question", "abbreviation", "misspelled", "narrow")


def _queries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def ndcg(ranked: list[str], grades: dict[str, int], k: int = K) -> float:
    """Graded nDCG@k, gain 2^grade - 1; a talk listed twice counts once."""
    seen: set[str] = set()
    unique = [r for r in ranked if r and not (r in seen or seen.add(r))][:k]  # type: ignore[func-returns-value]
    dcg = sum((2 ** grades.get(r, 0) - 1) / math.log2(i + 2) for i, r in enumerate(unique))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def _setup(data_dir: Path) -> None:
    os.environ["KNOWFLOW_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("KNOWFLOW_INSECURE_DEV_KEY", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "knowflow.config.settings")
    import django

    django.setup()


def _import_corpus() -> None:
    from knowflow.library.importers import talks_import
    from knowflow.library.talk_archive import LineError, read_talks_jsonl

    errors: list[LineError] = []
    talks_import(talks=read_talks_jsonl(CORPUS, errors), errors=errors)


def _train() -> float:
    from knowflow.search.semantic import semantic_train

    started = time.perf_counter()
    semantic_train()
    return time.perf_counter() - started


def _bm25() -> Any:
    import bm25s
    import Stemmer

    from knowflow.library.talk_archive import open_text

    ids, texts = [], []
    with open_text(CORPUS) as stream:
        for line in stream:
            talk = json.loads(line)
            ids.append(talk["id"])
            texts.append(
                " ".join(
                    [talk["title"], " ".join(talk["tags"]), " ".join(talk["speakers"]),
                     talk["description"] or ""]
                )
            )  # fmt: skip
    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False),
        show_progress=False,
    )

    def search(query: str) -> list[str]:
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=stemmer, show_progress=False)
        if not tokens.vocab:
            return []
        docs, _ = retriever.retrieve(tokens, k=K, show_progress=False)
        return [ids[i] for i in docs[0]]

    return search


def phase_relevance(data_dir: Path, fresh: bool) -> dict[str, Any]:
    _setup(data_dir)
    from django.core.management import call_command

    from knowflow.library.management.commands.search import Command
    from knowflow.search import semantic

    if fresh:
        call_command("migrate", verbosity=0, interactive=False)
        _import_corpus()
    train_seconds = _train()
    command = Command()
    bm25 = _bm25()
    systems = {
        "ours": lambda q: [h["external_id"] or "" for h in command._search(q, (), K)],
        "ours-lexical": None,
        "bm25": bm25,
    }
    out: dict[str, Any] = {"train_seconds": train_seconds, "sets": {}, "per_query": {}}
    for set_name, path in SETS.items():
        queries = _queries(path)
        scores: dict[str, list[float]] = {name: [] for name in systems}
        for q in queries:
            for name, run in systems.items():
                if name == "ours-lexical":
                    with semantic.disabled():
                        ranked = systems["ours"](q["query"])  # type: ignore[misc]
                else:
                    ranked = run(q["query"])  # type: ignore[misc]
                scores[name].append(ndcg(ranked, q["judgments"]))
            out["per_query"][q["qid"]] = [scores[n][-1] for n in systems]
        table: dict[str, Any] = {"queries": len(queries), "all": {}, "kinds": {}}
        for name in systems:
            table["all"][name] = sum(scores[name]) / len(queries)
        for kind in KINDS:
            picked = [i for i, q in enumerate(queries) if q["kind"] == kind]
            table["kinds"][kind] = {
                "queries": len(picked),
                **{n: sum(scores[n][i] for i in picked) / max(1, len(picked)) for n in systems},
            }
        out["sets"][set_name] = table
    return out


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


def phase_latency(data_dir: Path) -> dict[str, Any]:
    _setup(data_dir)
    from django.core.management import call_command

    from knowflow.accounts.models import Person
    from knowflow.library.selectors import SearchRequest, search_everything
    from knowflow.search import semantic
    from knowflow.search.index import reindex_all
    from knowflow.search.models import SearchDocument

    call_command("migrate", verbosity=0, interactive=False)
    if not SearchDocument.objects.exists():  # a demo loaded by `knowflow demo` is indexed
        reindex_all()
    _import_corpus()
    train_seconds = _train()
    documents = SearchDocument.objects.count()
    texts = [q["query"] for path in SETS.values() for q in _queries(path)]
    viewer = Person.objects.filter(user__isnull=False).first() or Person.objects.first()

    def page(text: str) -> float:
        started = time.perf_counter()
        search_everything(viewer=viewer, request=SearchRequest(text=text), facets=True)
        return (time.perf_counter() - started) * 1000

    for text in texts[:20]:
        page(text)
    with_model = [page(t) for t in texts]
    with semantic.disabled():
        for text in texts[:10]:
            page(text)
        lexical = [page(t) for t in texts]
    return {
        "documents": documents,
        "queries": len(texts),
        "train_seconds": train_seconds,
        "semantic": [_percentile(with_model, 50), _percentile(with_model, 95)],
        "lexical": [_percentile(lexical, 50), _percentile(lexical, 95)],
    }


def _run_phase(args: list[str]) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def render(relevance: dict[str, Any], latency: dict[str, Any] | None, arguments: str) -> str:
    lines = [
        "## Search on human-style queries",
        "",
        f"Command: `.venv/bin/python bench/search_human_bench.py{arguments}` (in `make bench`), "
        f"CPython {platform.python_version()}, {os.cpu_count()} CPUs, SQLite FTS5; load average "
        f"(1 min) at the end: {os.getloadavg()[0]:.1f}. Queries written the way people type them "
        "(topics, questions, abbreviations, misspellings, narrow needs), graded 0-3 "
        "(`bench/data/*.spec.jsonl`, `bench/search_human_judge.py`); graded nDCG@10. *Dev* is the "
        "set used while developing; *held-out* was written before any tuning and never tuned on. "
        "BM25: `bm25s` over title + tags + speakers + description, same run, same judgments. "
        f"Training the semantic model on the corpus: {relevance['train_seconds']:.1f} s.",
        "",
        "| set | kind | queries | ours (lexical + semantic) | ours, lexical only | BM25 |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for set_name, table in relevance["sets"].items():
        a = table["all"]
        lines.append(
            f"| {set_name} | **all** | {table['queries']} | **{a['ours']:.3f}** | "
            f"{a['ours-lexical']:.3f} | {a['bm25']:.3f} |"
        )
        for kind, row in table["kinds"].items():
            lines.append(
                f"| {set_name} | {kind} | {row['queries']} | {row['ours']:.3f} | "
                f"{row['ours-lexical']:.3f} | {row['bm25']:.3f} |"
            )
    if latency:
        lines += [
            "",
            f"Search page latency on the large demo plus the corpus ({latency['documents']:,} "
            f"documents), every query of both sets ({latency['queries']}) as the page runs it "
            f"(facets, snippets, working hours), server-side, warm; training there: "
            f"{latency['train_seconds']:.1f} s.",
            "",
            "| engine | median ms | p95 ms | target |",
            "| --- | ---: | ---: | --- |",
            f"| lexical only | {latency['lexical'][0]:.1f} | {latency['lexical'][1]:.1f} | "
            f"p95 < 50 ms: {'met' if latency['lexical'][1] < 50 else '**missed**'} |",
            f"| lexical + semantic | {latency['semantic'][0]:.1f} | {latency['semantic'][1]:.1f} | "
            f"p95 < 150 ms: {'met' if latency['semantic'][1] < 150 else '**missed**'} |",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--demo-db", type=Path, help="A SQLite file with the large demo loaded.")
    parser.add_argument("--no-write", action="store_true", help="Print the table only.")
    parser.add_argument("--phase", choices=["relevance", "latency"], help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--imported", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase == "relevance":
        print(json.dumps(phase_relevance(args.data_dir, fresh=not args.imported)))
        return 0
    if args.phase == "latency":
        print(json.dumps(phase_latency(args.data_dir)))
        return 0
    if not CORPUS.exists():
        print(f"{CORPUS} is missing: the benchmark needs ../shared.", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="knowflow-search-human-") as tmp:
        fresh = Path(tmp) / "fresh"
        fresh.mkdir()
        relevance = _run_phase(["--phase", "relevance", "--data-dir", str(fresh)])
        shutil.rmtree(fresh)
        latency = None
        if args.demo_db:
            loaded = Path(tmp) / "demo"
            loaded.mkdir()
            shutil.copy(args.demo_db, loaded / "knowflow.sqlite3")
            latency = _run_phase(["--phase", "latency", "--data-dir", str(loaded)])
    arguments = "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    text = render(relevance, latency, arguments)
    print(text)
    if not args.no_write:
        write_section("search-human", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
