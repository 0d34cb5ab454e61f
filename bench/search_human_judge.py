"""Graded judgments (0-3) for the human-style search query sets, from written criteria.

    .venv/bin/python bench/search_human_judge.py bench/data/search_human_dev.spec.jsonl \
        bench/data/search_human_dev.jsonl [--show QID]

Each spec line is a query a person would type, its kind (topic, question, abbreviation,
misspelled, narrow) and what a relevant talk is about, written by reading the talks: ``must``,
regular expressions that must all be found in the talk's title, tags or abstract (speaker
lines and biographies removed, so "author of a book on testing" does not make a testing talk)
for it to be relevant at all, and optionally ``title_all``, what the title must say for the talk
to be *the* answer. Grades: 3 the title is about it (every ``title_all`` — else every ``must``
— in the title); 2 the title names part of it and the abstract the rest, or the abstract
dwells on it (a single criterion found twice or more); 1 it is mentioned. The judgments are
written out as ``{"qid", "query", "kind", "judgments": {talk id: grade}}`` and read by
``bench/search_human_bench.py``; ``--show`` prints a query's graded titles for checking.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
CORPUS = ROOT.parent / "shared" / "data" / "talks.jsonl.gz"

from knowflow.discovery.textnorm import strip_boilerplate  # noqa: E402


def grade(spec: dict, title: str, body: str) -> int:
    must = [re.compile(p, re.I) for p in spec["must"]]
    if not all(p.search(title) or p.search(body) for p in must):
        return 0
    title_all = [re.compile(p, re.I) for p in spec.get("title_all", spec["must"])]
    if all(p.search(title) for p in title_all):
        return 3
    in_title = [p for p in must if p.search(title)]
    if in_title or (len(must) == 1 and len(must[0].findall(body)) >= 2):
        return 2
    return 1


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("spec", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--show", default="")
    args = parser.parse_args()
    specs = [json.loads(line) for line in args.spec.read_text().splitlines() if line.strip()]
    with gzip.open(CORPUS, "rt", encoding="utf-8") as stream:
        talks = [json.loads(line) for line in stream]
    texts = [
        (t["id"], t["title"], " ".join(t["tags"]) + " " + strip_boilerplate(t["description"] or ""))
        for t in talks
    ]
    with args.out.open("w", encoding="utf-8") as out:
        for spec in specs:
            judged = {tid: g for tid, title, body in texts if (g := grade(spec, title, body))}
            if spec["qid"] == args.show:
                for tid, g in sorted(judged.items(), key=lambda x: -x[1]):
                    print(g, next(t for i, t, _ in texts if i == tid))
            counts = [sum(1 for g in judged.values() if g == k) for k in (3, 2, 1)]
            print(spec["qid"], spec["query"], "3/2/1:", counts, file=sys.stderr)
            record = {k: spec[k] for k in ("qid", "query", "kind")}
            out.write(json.dumps({**record, "judgments": judged}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
