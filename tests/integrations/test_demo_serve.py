"""`knowflow demo-serve` (what `make demo` runs) starts the web server and the worker, and
Ctrl-C stops both: the demo sends its email without a second command."""

from __future__ import annotations

import signal
import time
import urllib.request
from pathlib import Path

import pytest

from knowflow.mail.services import outbox_enqueue
from tests.mail.test_worker_process import Workers
from tests.smtp import Inbox, free_port


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode()
    except OSError:
        return None


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_demo_serve_runs_the_server_and_the_worker_and_ctrl_c_stops_both(
    inbox: tuple[Inbox, int],
    tmp_path: Path,
) -> None:
    server, smtp_port = inbox
    outbox_enqueue(
        kind="feedback.survey",
        recipient="ada@example.org",
        subject="Your feedback: Postgres indexes",
        body="How was the session?",
        dedupe_key="demo-serve-test",
    )
    web_port = free_port()
    workers = Workers(smtp_port=smtp_port, data_dir=tmp_path)
    try:
        demo = workers.start(command=("demo-serve", "--bind", f"127.0.0.1:{web_port}"))
        # The worker delivers the queued email; the server answers on its port.
        workers.wait_until(lambda: len(server.messages) == 1, timeout=60)
        workers.wait_until(
            lambda: _get(f"http://127.0.0.1:{web_port}/healthz") is not None, timeout=60
        )
        assert [message["Subject"] for message in server.messages] == [
            "Your feedback: Postgres indexes"
        ]

        demo.send_signal(signal.SIGINT)  # Ctrl-C
        assert demo.wait(timeout=60) == 0, workers.output()
        time.sleep(0.3)
        assert _get(f"http://127.0.0.1:{web_port}/healthz") is None  # the server is gone too
    finally:
        workers.stop_all()
