"""A small learning record store for the tests: a real HTTP server in a thread that takes
statements the way an LRS does, and refuses what an LRS would refuse.

It answers `POST /statements` only; checks Basic authentication against its key and secret
(401), the `X-Experience-API-Version` header (400 unless 2.0.x), that the body is JSON (400)
and every statement in it against the xAPI statement rules (`statement.schema.json`, checked
with jsonschema and its format checkers: IRIs, UUIDs, RFC 3339 times, ISO 8601 durations; 400
with the first error). Like an LRS, it keeps the first statement of an id: the same id again
with the same content is accepted and not stored twice, with other content it is a 409.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

SCHEMA = Path(__file__).with_name("statement.schema.json")


@cache
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text())
    Draft202012Validator.check_schema(schema)
    checker = FormatChecker()
    # The IRI check parses the full RFC 3987 grammar (some 50 ms an IRI); statements repeat
    # the same few IRIs, so each is checked once.
    check_iri, raises = checker.checkers["iri"]
    checker.checkers["iri"] = (cache(check_iri), raises)
    return Draft202012Validator(schema, format_checker=checker)


def statement_errors(statement: Any) -> list[str]:
    """Every way the statement breaks the rules, as "path: message", empty when it is valid."""
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '(statement)'}: {error.message}"
        for error in sorted(validator().iter_errors(statement), key=lambda e: list(e.path))
    ]


@dataclass
class Lrs:
    url: str
    key: str
    secret: str
    statements: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Every request as (status answered, headers, body) in arrival order.
    requests: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    # Set to answer every POST with this status instead (an LRS that is down).
    fail_with: int | None = None

    def verbs(self) -> list[str]:
        return sorted(statement["verb"]["id"] for statement in self.statements.values())


def _handler(lrs: Lrs, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(f"{lrs.key}:{lrs.secret}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
            pass

        def _answer(self, status: int, payload: Any, body: bytes) -> None:
            with lock:
                lrs.requests.append((status, dict(self.headers.items()), body))
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Experience-API-Version", "2.0.0")
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if lrs.fail_with is not None:
                return self._answer(lrs.fail_with, {"error": "unavailable"}, body)
            if self.path.rstrip("/") != "/xapi/statements":
                return self._answer(404, {"error": f"no resource {self.path}"}, body)
            if self.headers.get("Authorization") != expected:
                return self._answer(401, {"error": "unauthorised"}, body)
            if not (self.headers.get("X-Experience-API-Version") or "").startswith("2.0."):
                return self._answer(400, {"error": "X-Experience-API-Version 2.0.x"}, body)
            if (self.headers.get("Content-Type") or "").split(";")[0] != "application/json":
                return self._answer(400, {"error": "Content-Type must be application/json"}, body)
            try:
                payload = json.loads(body)
            except ValueError:
                return self._answer(400, {"error": "not JSON"}, body)
            batch = payload if isinstance(payload, list) else [payload]
            for statement in batch:
                errors = statement_errors(statement)
                if errors:
                    return self._answer(400, {"error": errors}, body)
            ids = []
            with lock:
                for statement in batch:
                    kept = lrs.statements.get(statement.get("id", ""))
                    if kept is not None and kept != statement:
                        conflict = {"error": f"statement {statement['id']} exists, differently"}
                        return self._answer(409, conflict, body)
                for statement in batch:
                    lrs.statements.setdefault(statement["id"], statement)
                    ids.append(statement["id"])
            return self._answer(200, ids, body)

    return Handler


@contextmanager
def running_lrs(*, key: str = "kf-key", secret: str = "s3cret:with-colon") -> Iterator[Lrs]:
    """Start the LRS on a free port of this machine; its base URL is `<url>` (…/xapi)."""
    lock = threading.Lock()
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    lrs = Lrs(url=f"http://127.0.0.1:{server.server_address[1]}/xapi", key=key, secret=secret)
    server.RequestHandlerClass = _handler(lrs, lock)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield lrs
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
