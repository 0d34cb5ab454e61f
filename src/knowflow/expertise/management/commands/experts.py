"""``knowflow experts``: the find-an-expert page's ranking on the command line.

    knowflow experts "QUERY" [--limit N] [--json]
    knowflow experts --batch FILE.jsonl [--limit N]

``--json`` prints a JSON list of experts, each ``{"name", "score", "evidence": [...]}`` (the
claims in words, strongest first). ``--batch`` reads lines ``{"qid": …, "query": …}`` and
prints one line ``{"qid": …, "results": [...]}`` per query, in the input order, in one
process. A line that cannot be read gives ``{"qid": …, "results": [], "error": "…"}`` and the
run goes on. People who opted out or hid the topic are never printed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from knowflow.errors import DomainError
from knowflow.expertise.selectors import DEFAULT_LIMIT, Expert, experts_find
from knowflow.querybatch import answer_batch


def expert_json(expert: Expert) -> dict:
    return {"name": expert.person.display_name, "score": expert.score, "evidence": expert.claims}


def experts_json(text: str, limit: int) -> list[dict]:
    return [expert_json(e) for e in experts_find(text=text, limit=limit).experts]


class Command(BaseCommand):
    help = "Find the people who know about a topic or question, with the evidence."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("query", nargs="?", default=None)
        parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT)
        parser.add_argument("--json", action="store_true", help="Print JSON.")
        parser.add_argument("--batch", type=Path, help="A JSON Lines file of {qid, query}.")

    def handle(self, *args: object, **options: object) -> None:
        limit = int(options["limit"])  # type: ignore[call-overload]
        if not 1 <= limit <= 1000:
            raise CommandError("--limit must be between 1 and 1000.")
        batch: Path | None = options["batch"]  # type: ignore[assignment]
        try:
            if batch is not None:
                self._batch(batch, limit)
                return
            query = options["query"]
            if query is None:
                raise CommandError('Give a query ("kubernetes") or --batch FILE.jsonl.')
            results = experts_json(str(query), limit)
        except DomainError as error:
            raise CommandError(error.message) from error
        if options["json"]:
            self.stdout.write(json.dumps(results, ensure_ascii=False))
            return
        if not results:
            self.stdout.write("Nobody yet.")
        for rank, result in enumerate(results, 1):
            self.stdout.write(f"{rank:>3}. {result['name']}  {result['score']:.3f}")
            for claim in result["evidence"]:
                self.stdout.write(f"       {claim}")

    def _batch(self, path: Path, limit: int) -> None:
        try:
            answer_batch(path, lambda query: experts_json(query, limit), sys.stdout)
        except FileNotFoundError as error:
            raise CommandError(str(error)) from error
