"""A real HTTP server, in a thread, that records the POSTs it receives: what a webhook
endpoint, a chat service or a learning record store would see.

    with Receiver() as receiver:            # answers 200 by default
        receiver.answer(500)                # the next requests get 500 (or a callable)
        ... outbound_deliver_due() ...
        [request] = receiver.requests       # .path, .headers, .body, .json()
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Answerer = Callable[[Received], tuple[int, bytes]]


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._answer: Answerer = lambda request: (200, b"ok")
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server hook
                length = int(self.headers.get("Content-Length") or 0)
                request = Received(
                    path=self.path, headers=dict(self.headers.items()), body=self.rfile.read(length)
                )
                receiver.requests.append(request)
                if receiver.delay:
                    time.sleep(receiver.delay)
                code, body = receiver._answer(request)
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, code_or_answerer: int | Answerer, body: bytes = b"") -> None:
        if callable(code_or_answerer):
            self._answer = code_or_answerer
        else:
            code = code_or_answerer
            self._answer = lambda request: (code, body)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
