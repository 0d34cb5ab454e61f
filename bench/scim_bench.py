"""SCIM over HTTP: an identity provider's first sync, one request at a time.

    .venv/bin/python bench/scim_bench.py [--users 10000] [--db sqlite|postgres|both]
                                         [--pg-url postgres://postgres@127.0.0.1:5432]
                                         [--workers 2] [--no-doc]

What an identity provider does on its first sync with a new application: it creates every
user with one POST /scim/v2/Users each (as Entra ID and Okta do), then reads them all back
with GET /scim/v2/Users?startIndex=…&count=100. Knowflow is served by ``knowflow serve``
(gunicorn, production settings) on a fresh database: a temporary SQLite file, or a PostgreSQL
database ``knowflow_bench_scim`` made anew. One client (urllib, plain HTTP on loopback) sends
the requests one after the other; each request's wall time is recorded and the median and
95th percentile are reported. Every answer is checked (201 with the userName sent; the pages
together give back every user once), so a fast wrong answer cannot pass for a figure. The
table goes to ``docs/benchmarks.md`` between ``<!-- BEGIN scim -->`` and ``<!-- END scim -->``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from benchdoc import write_section

BIN = Path(sys.executable).parent
PG_DATABASE = "knowflow_bench_scim"
PAGE = 100
TARGET_MS = 50


def _environment(db: str, data_dir: Path, pg_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "knowflow.config.settings",
        "KNOWFLOW_DATA_DIR": str(data_dir),
        "KNOWFLOW_DEBUG": "0",
        "SECRET_KEY": "scim-benchmark-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "KNOWFLOW_SSL_REDIRECT": "0",
        "KNOWFLOW_SECURE_COOKIES": "0",
        "KNOWFLOW_LOG_LEVEL": "WARNING",
        # A worker's first request loads every URL module (scim2-models among them): on a
        # busy machine that outlasted gunicorn's default 30 s and the worker was killed.
        "GUNICORN_CMD_ARGS": "--timeout 120",
    }
    env.pop("DATABASE_URL", None)
    if db == "postgres":
        env["DATABASE_URL"] = pg_url.rstrip("/") + "/" + PG_DATABASE
    return env


def _fresh_pg_database(pg_url: str) -> None:
    import psycopg

    with psycopg.connect(pg_url.rstrip("/") + "/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DATABASE}")


TOKEN_CODE = """
import django
django.setup()
from knowflow.accounts.services import person_create
from knowflow.scim.services import scim_token_create
admin = person_create(display_name="Bench Admin", username="bench-admin", role="admin")
print(scim_token_create(name="bench", actor=admin)[1])
"""


def _token(env: dict[str, str]) -> str:
    subprocess.run([str(BIN / "knowflow"), "migrate", "--no-input", "-v", "0"], env=env, check=True)
    done = subprocess.run(
        [sys.executable, "-c", TOKEN_CODE], env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip().splitlines()[-1]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"the server at {url} did not answer /healthz within {seconds:.0f} s")


def _call(
    url: str, secret: str, method: str = "GET", body: dict | None = None
) -> tuple[float, int, dict]:
    request = urllib.request.Request(
        url,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/scim+json"},
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    took = (time.perf_counter() - started) * 1000
    try:
        return took, status, json.loads(raw or b"{}")
    except ValueError:
        return took, status, {"not JSON": raw[:300].decode(errors="replace")}


def _user(n: int) -> dict:
    zones = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]
    return {
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        ],
        "userName": f"person{n:05d}@bench.example",
        "externalId": f"E{n:05d}",
        "name": {"givenName": "Person", "familyName": f"{n:05d}"},
        "displayName": f"Person {n:05d}",
        "emails": [{"value": f"person{n:05d}@bench.example", "type": "work", "primary": True}],
        "timezone": zones[n % len(zones)],
        "locale": "en-GB",
        "active": True,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "department": f"Department {n % 40}"
        },
    }


def _summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def run(db: str, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="kf-scim-bench-") as data_dir:
        if db == "postgres":
            _fresh_pg_database(args.pg_url)
        env = _environment(db, Path(data_dir), args.pg_url)
        secret = _token(env)
        port = _free_port()
        server = subprocess.Popen(
            [str(BIN / "knowflow"), "serve", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.workers)],
            env=env,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(base)
            created = []
            for n in range(args.users):
                ms, status, body = _call(f"{base}/scim/v2/Users", secret, "POST", _user(n))
                if status != 201 or body.get("userName") != f"person{n:05d}@bench.example":
                    raise SystemExit(f"user {n} was not created: {status} {body}")
                created.append(ms)
            listed, seen, start = [], set(), 1
            while True:
                ms, status, body = _call(
                    f"{base}/scim/v2/Users?startIndex={start}&count={PAGE}", secret
                )
                if status != 200:
                    raise SystemExit(f"listing from {start} failed: {status} {body}")
                listed.append(ms)
                seen.update(user["id"] for user in body.get("Resources", []))
                start += PAGE
                if start > body["totalResults"]:
                    break
            if len(seen) != args.users:
                raise SystemExit(f"the pages gave back {len(seen)} users, not {args.users}")
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    return {"create": _summary(created), "list": _summary(listed), "pages": len(listed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    rows = []
    for db in dbs:
        started = time.monotonic()
        result = run(db, args)
        took = time.monotonic() - started
        name = "SQLite" if db == "sqlite" else "PostgreSQL"
        for kind, label, count in (
            ("create", "POST /Users (one user)", args.users),
            ("list", f"GET /Users?count={PAGE} (one page)", result["pages"]),
        ):
            median, p95 = result[kind]
            verdict = "yes" if median < TARGET_MS else "**no**"
            rows.append(f"| {name} | {label} | {count} | {median:.1f} | {p95:.1f} | {verdict} |")
        print(f"{name}: {took:.0f} s", file=sys.stderr)
    table = "\n".join(
        [
            "## scim",
            "",
            f"An identity provider's first sync: {args.users:,} users created with one POST "
            f"each, then read back {PAGE} a page, one client, `knowflow serve --workers "
            f"{args.workers}` on a fresh database. Target: median under {TARGET_MS} ms.",
            "",
            "| database | request | requests | median ms | p95 ms | under target |",
            "| --- | --- | ---: | ---: | ---: | --- |",
            *rows,
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d} on {platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()} with "
            f"`.venv/bin/python bench/scim_bench.py --users {args.users}`.",
        ]
    )
    print(table)
    if not args.no_doc:
        write_section("scim", table)


if __name__ == "__main__":
    main()
