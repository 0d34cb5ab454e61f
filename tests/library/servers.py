"""Real servers on loopback for the upload tests: Knowflow web processes (`knowflow serve`,
gunicorn) against the test database, and an S3-compatible object store (moto in server mode).

Each web process gets its own data directory, as two machines would: whatever one of them
keeps on its own disk, the other cannot see.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

KNOWFLOW = Path(sys.executable).with_name("knowflow")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_url_for_tests() -> str:
    """The URL of the database this test runs on (the test database, not the configured one)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


def _wait_until_answering(url: str, process: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} stopped: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer on {url} within 20 s")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def web_environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("KNOWFLOW_", "AWS_", "DJANGO_"))
        and key not in {"DATABASE_URL", "SECRET_KEY", "EMAIL_URL", "REDIS_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="knowflow.config.settings",
        DATABASE_URL=database_url_for_tests(),
        SECRET_KEY=settings.SECRET_KEY,  # the sessions this test signs in with must be valid there
        ALLOWED_HOSTS="127.0.0.1",
        KNOWFLOW_DATA_DIR=str(data_dir),
        KNOWFLOW_SSL_REDIRECT="0",
        KNOWFLOW_SECURE_COOKIES="0",
        KNOWFLOW_HSTS_SECONDS="0",
        NO_PROXY="127.0.0.1,localhost",
        **extra,
    )
    return env


@contextmanager
def knowflow_web(env: dict[str, str]) -> Iterator[str]:
    """A `knowflow serve` process (one gunicorn worker) on a free loopback port: its base URL."""
    port = free_port()
    Path(env["KNOWFLOW_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    log = Path(env["KNOWFLOW_DATA_DIR"]) / f"serve-{port}.log"
    with log.open("w") as errors:
        process = subprocess.Popen(
            [str(KNOWFLOW), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_answering(f"{base}/healthz", process, log, "knowflow serve")
        yield base
    finally:
        _stop(process)


@contextmanager
def moto_s3(log: Path) -> Iterator[str]:
    """An S3-compatible server (moto) on a free loopback port: its endpoint URL."""
    port = free_port()
    with log.open("w") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"},
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        _wait_until_answering(f"{endpoint}/moto-api/", process, log, "moto")
        yield endpoint
    finally:
        _stop(process)
