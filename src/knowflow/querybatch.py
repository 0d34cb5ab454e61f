"""The ``--batch`` contract that ``knowflow search`` and ``knowflow experts`` share: a file of
lines ``{"qid": …, "query": …}`` in, one line ``{"qid": …, "results": [...]}`` out per query,
in the input order, in one process. A line that cannot be read (or a query refused) gives
``{"qid": …, "results": [], "error": "line N: …"}`` and the run goes on."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from knowflow.errors import DomainError


def answer_batch(path: Path, answer: Callable[[str], list], out: TextIO) -> None:
    """Write ``answer(query)`` for each line of ``path`` to ``out``. Raises
    ``FileNotFoundError`` when there is no such file (before writing anything)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file.")
    with open(path, encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            qid: object = None
            try:
                record = json.loads(line)
                if not isinstance(record, dict) or not isinstance(record.get("query"), str):
                    raise ValueError('each line needs {"qid": …, "query": "…"}')
                qid = record.get("qid")
                written = {"qid": qid, "results": answer(record["query"])}
            except (ValueError, DomainError) as error:
                message = error.message if isinstance(error, DomainError) else str(error)
                written = {"qid": qid, "results": [], "error": f"line {number}: {message}"}
            out.write(json.dumps(written, ensure_ascii=False) + "\n")
    out.flush()
