"""A real HTTP server on loopback, in a thread, that receives webhook deliveries: it keeps
every request (path, headers, body) and answers with the statuses it is told to, in turn."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from requests.structures import CaseInsensitiveDict


@dataclass
class Received:
    path: str
    headers: CaseInsensitiveDict  # as HTTP has them: names in any case
    body: bytes


@dataclass
class Receiver:
    url: str = ""
    requests: list[Received] = field(default_factory=list)
    # The statuses to answer, one per request; 200 once they run out.
    statuses: list[int] = field(default_factory=list)
    # Seconds to wait before answering (longer than the client's timeout: a timeout).
    delay: float = 0.0


@contextmanager
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with lock:
                state.requests.append(
                    Received(
                        path=self.path,
                        headers=CaseInsensitiveDict(self.headers.items()),
                        body=body,
                    )
                )
                status = state.statuses.pop(0) if state.statuses else 200
            if state.delay:
                time.sleep(state.delay)
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"no")

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # keep the test output quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/knowflow"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
