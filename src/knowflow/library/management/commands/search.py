"""``knowflow search``: the search page's ranking on the command line.

    knowflow search "QUERY" [--type session,resource] [--limit N] [--json]
    knowflow search --batch FILE.jsonl [--limit N]

``--json`` prints a JSON list of results, each ``{"type", "id", "title", "score",
"external_id"}`` (``external_id`` is the original id of an imported talk, else null).
``--batch`` reads lines ``{"qid": …, "query": …}`` and prints one line
``{"qid": …, "results": [...]}`` per query, in the input order, in one process. A line that
cannot be read gives ``{"qid": …, "results": [], "error": "…"}`` and the run goes on.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from knowflow.errors import DomainError
from knowflow.library.selectors import SearchRequest, search_everything, search_types
from knowflow.querybatch import answer_batch
from knowflow.search.engine import SearchHit


def result_json(hit: SearchHit) -> dict:
    return {
        "type": hit.kind,
        "id": hit.object_id,
        "title": hit.title,
        "score": hit.score,
        "external_id": hit.external_id or None,
    }


class Command(BaseCommand):
    help = "Search sessions, resources, collections, people, circles and topics."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("query", nargs="?", default=None)
        parser.add_argument(
            "--type",
            action="append",
            default=[],
            help=f"Only these types (repeat or comma-separate): {', '.join(search_types())}.",
        )
        parser.add_argument("--limit", type=int, default=10)
        parser.add_argument("--json", action="store_true", help="Print JSON.")
        parser.add_argument("--batch", type=Path, help="A JSON Lines file of {qid, query}.")

    def _types(self, raw: list[str]) -> tuple[str, ...]:
        return tuple(t.strip() for item in raw for t in item.split(",") if t.strip())

    def _search(self, text: str, types: tuple[str, ...], limit: int) -> list[dict]:
        page = search_everything(
            viewer=None,
            request=SearchRequest(text=text, types=types),
            page_size=limit,
            snippets=False,
        )
        return [result_json(hit) for hit in page.hits]

    def handle(self, *args: object, **options: object) -> None:
        limit = int(options["limit"])  # type: ignore[call-overload]
        if not 1 <= limit <= 1000:
            raise CommandError("--limit must be between 1 and 1000.")
        types = self._types(options["type"])  # type: ignore[arg-type]
        batch: Path | None = options["batch"]  # type: ignore[assignment]
        try:
            if batch is not None:
                self._batch(batch, types, limit)
                return
            query = options["query"]
            if query is None:
                raise CommandError('Give a query ("kubernetes operators") or --batch FILE.jsonl.')
            results = self._search(str(query), types, limit)
        except DomainError as error:
            raise CommandError(error.message) from error
        if options["json"]:
            self.stdout.write(json.dumps(results, ensure_ascii=False))
            return
        if not results:
            self.stdout.write("No results.")
        for rank, result in enumerate(results, 1):
            extra = f"  [{result['external_id']}]" if result["external_id"] else ""
            self.stdout.write(
                f"{rank:>3}. {result['type']:<10} {result['score']:>9.3f}  {result['title']}{extra}"
            )

    def _batch(self, path: Path, types: tuple[str, ...], limit: int) -> None:
        try:
            answer_batch(path, lambda query: self._search(query, types, limit), sys.stdout)
        except FileNotFoundError as error:
            raise CommandError(str(error)) from error
