"""A real OpenID Connect provider for the sign-in tests: django-oauth-toolkit in OIDC mode
(RS256), a tiny Django project of its own (settings, urls, views here), run in its own process
by ``running_provider``; one process serves a whole test module.

Who signs in and how the provider misbehaves are read from a JSON file the test writes
(``Provider.will_sign_in``) on every request:

    {"username": "ada", "claims": {"email": ..., "name": ..., "groups": [...]},
     "mode": "normal" | "wrong_key" | "wrong_audience" | "expired"}
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "knowflow"
CLIENT_SECRET = "provider-test-secret"


@dataclass
class Provider:
    issuer: str
    state_file: Path

    def will_sign_in(self, username: str, claims: dict, mode: str = "normal") -> None:
        """Who the provider signs in next, with which claims, and how it signs the ID token."""
        self.state_file.write_text(
            json.dumps({"username": username, "claims": claims, "mode": mode})
        )


@contextlib.contextmanager
def running_provider(redirect_uri: str) -> Iterator[Provider]:
    """The provider in its own process, with one client (``knowflow``) that may come back to
    ``redirect_uri``; stopped on exit."""
    directory = Path(tempfile.mkdtemp(prefix="oidc-provider-"))
    port = free_port()
    log_path = directory / "provider.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.oidc_provider.run", str(port), str(directory)]
            + [redirect_uri],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        issuer = f"http://127.0.0.1:{port}/o"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                        break
                except requests.ConnectionError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"The test provider did not start:\n{log_path.read_text()}")
                time.sleep(0.2)
            yield Provider(issuer=issuer, state_file=directory / "state.json")
        finally:
            process.terminate()
            process.wait(timeout=10)
