"""Load benchmark: the large demo served by `knowflow serve`, driven over HTTP by many clients.

    .venv/bin/python bench/load_bench.py [--db sqlite,postgres] [--clients 1,5,10,25,50]
                                         [--seconds 120] [--curve-seconds 30] [--workers 4]

What a person meets, not what one in-process request costs: for each database the large demo
is served by ``knowflow serve --workers 4`` (gunicorn, production settings, no debug) and
driven by Locust (``bench/load_locustfile.py``) with a mix of home, catalogue, session pages,
search, find a time, registrations and cancellations, and survey answers. Every point of the
curve (1 to 50 clients) is a separate Locust run against the same server; the largest runs for
``--seconds`` (two minutes), the others for ``--curve-seconds``. Errors are any response that
is not the expected 200 or 302, and every line the server logs that names a traceback, a
worker timeout or "database is locked".

The load generator runs on the same machine as the server and takes CPU from it: the figures
are a floor for a server with its machine to itself.

The demo is loaded once per database and kept (``var/bench/load-sqlite/``; for PostgreSQL the
database ``knowflow_bench_large`` on ``--pg-url``'s server); each run prepares fresh survey
links and browser sessions for its clients. The tables go to ``docs/benchmarks.md`` between
``<!-- BEGIN load -->`` and ``<!-- END load -->``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchdoc import write_section

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BENCH_DIR = ROOT / "var" / "bench"
PG_DATABASE = "knowflow_bench_{size}"  # one database per demo size
KINDS = (
    "home",
    "catalogue",
    "session page",
    "search",
    "find a time",
    "register",
    "cancel registration",
    "survey form",
    "survey answer",
)
SERVER_TROUBLE = ("Traceback", "database is locked", "WORKER TIMEOUT", "Internal Server Error")


# Preparing the data (runs in a child process with the database's settings) -------------------


def prepare(plan_path: Path, clients: int, size: str) -> None:
    """Migrate, load the large demo if absent, and write the plan the clients follow."""
    import django

    django.setup()
    from django.core.management import call_command

    from knowflow.demo.generator import demo_is_loaded, demo_load

    call_command("migrate", verbosity=0, interactive=False)
    if not demo_is_loaded():
        started = time.perf_counter()
        demo_load(size=size, progress=True, out=lambda line: print(line, file=sys.stderr))
        print(f"large demo loaded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    call_command("collectstatic", verbosity=0, interactive=False)
    plan_path.write_text(json.dumps(_plan(clients)), encoding="utf-8")


def _plan(clients: int) -> dict[str, Any]:
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Count
    from django.middleware.csrf import CSRF_ALLOWED_CHARS
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from knowflow.accounts.models import Person, User
    from knowflow.events.models import Attendance, Occurrence, Session
    from knowflow.feedback.models import SurveyRequest
    from knowflow.topics.models import Topic

    now = timezone.now()
    # The clients are people who attended sessions in the last ten days, so that each has
    # after-session surveys it may still answer.
    recent = Attendance.objects.filter(
        occurrence__end__gte=now - timedelta(days=10), occurrence__end__lte=now
    )
    people = list(
        Person.objects.filter(pk__in=recent.values("person"))
        .annotate(n=Count("attendances"))
        .order_by("-n", "pk")[:clients]
    )
    enabler = Person.objects.filter(role=Person.Role.ENABLER).order_by("pk").first()
    backend = settings.AUTHENTICATION_BACKENDS[-1]
    plan_clients = []
    for person in people:
        if person.user_id is None:
            # Named by the person, so a later run that picks other people reuses none.
            user, _ = User.objects.get_or_create(username=f"load-{person.pk}")
            user.set_unusable_password()
            user.save()
            person.user = user
            person.save(update_fields=["user"])
        user = person.user
        # A browser session made the way sign-in makes one, so that the benchmark measures
        # pages, not password hashing (which is deliberately slow).
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = backend
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        plan_clients.append(
            {
                "session": store.session_key,
                "csrf": get_random_string(32, CSRF_ALLOWED_CHARS),
            }
        )
    topics = list(
        Topic.objects.annotate(n=Count("sessions"))
        .order_by("-n", "slug")[:30]
        .values_list("slug", "name")
    )
    upcoming = Occurrence.objects.filter(
        start__gte=now + timedelta(days=1), session__status=Session.Status.SCHEDULED
    ).order_by("start", "pk")
    sessions = list(upcoming.values_list("session__slug", flat=True).distinct()[:200])
    find_a_time = []
    tomorrow = (now + timedelta(days=1)).date().isoformat()
    for session in Session.objects.filter(slug__in=sessions[:20], circle__isnull=False)[:5]:
        speakers = ",".join(session.speakers.values_list("slug", flat=True))
        find_a_time.append(
            f"/sessions/find-a-time/?circle={session.circle.slug}&speakers={speakers}"
            f"&duration=60&first_day={tomorrow}&days=14&step=30&label_by=region&tz=UTC"
            "&series_weeks=0&series_step=7"
        )
    return {
        "clients": plan_clients,
        "surveys": _survey_pool(enabler, recent, now, SurveyRequest, size=1000),
        "topics": [slug for slug, _ in topics],
        # What people type: the topics' names, lower-cased, as a person would write them.
        "queries": [name.lower() for _, name in topics],
        "sessions": sessions,
        "occurrences": list(upcoming.values_list("pk", flat=True)[:30]),
        "find_a_time": find_a_time,
    }


def _survey_pool(enabler, recent, now, SurveyRequest, size) -> list[dict[str, Any]]:
    """Open after-session surveys of recent attendees, each with a fresh personal link.

    A personal link answers without signing in, so any client may use any link; each run of the
    curve and each client in it takes its own share, so no link is used twice.
    """
    from datetime import timedelta

    from knowflow.errors import DomainError
    from knowflow.feedback.services.requests import survey_link_create, survey_request_create

    open_requests = SurveyRequest.objects.filter(
        kind="after_session",
        status__in=["scheduled", "sent"],
        occurrence__end__gte=now - timedelta(days=10),
    )
    for attendance in recent.select_related("occurrence", "person").order_by(
        "-occurrence__end", "pk"
    ):
        if open_requests.count() >= size:
            break
        try:
            survey_request_create(
                occurrence=attendance.occurrence,
                person=attendance.person,
                kind="after_session",
                actor=enabler,
            )
        except DomainError:
            continue  # already asked, or not askable: keep whatever is there
    requests = list(open_requests.select_related("template").order_by("pk")[:size])
    SurveyRequest.objects.filter(pk__in=[r.pk for r in requests]).update(
        status="sent", sent_at=now, expires_at=now + timedelta(days=14)
    )
    return [
        {
            "token": survey_link_create(request=request, now=now),
            "answers": _answers(request.template),
        }
        for request in requests
    ]


def _answers(template) -> dict[str, Any]:
    """A plausible answer to every required question (and the scales, which most people give)."""
    answers: dict[str, Any] = {}
    for question in template.questions.all():
        options = [str(option["value"]) for option in question.options]
        if question.type == "text":
            if question.required:
                answers[question.key] = "Clear and useful; more examples next time."
        elif question.type == "scale":
            answers[question.key] = "8"
        elif question.type == "multi":
            if question.required and options:
                answers[question.key] = options[:1]
        elif question.required and options:
            answers[question.key] = options[0]
    return answers


# Serving and driving ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(db: str, pg_url: str, size: str, data_dir: Path | None = None) -> dict[str, str]:
    """The server's environment; ``data_dir`` serves data another benchmark built instead of
    the demo of ``size``."""
    if data_dir is None:
        data_dir = BENCH_DIR / f"load-{db}" if size == "large" else BENCH_DIR / f"load-{db}-{size}"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "knowflow.config.settings",
        "KNOWFLOW_DATA_DIR": str(data_dir),
        "KNOWFLOW_DEBUG": "0",
        "SECRET_KEY": "load-benchmark-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "KNOWFLOW_SSL_REDIRECT": "0",
        "KNOWFLOW_SECURE_COOKIES": "0",
        "KNOWFLOW_LOG_LEVEL": "WARNING",
        # Sign-in throttling must not see 50 clients from one address as an attack: the
        # clients never sign in (their sessions are made in advance), so nothing to relax.
    }
    env.pop("DATABASE_URL", None)
    if db == "postgres":
        env["DATABASE_URL"] = pg_url.rstrip("/") + "/" + PG_DATABASE.format(size=size)
    return env


def _ensure_pg_database(pg_url: str, size: str) -> None:
    import psycopg

    with psycopg.connect(pg_url.rstrip("/") + "/postgres", autocommit=True) as conn:
        name = PG_DATABASE.format(size=size)
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            conn.execute(f"CREATE DATABASE {name}")


def _wait_healthy(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the server at {url} did not answer /healthz within {seconds:.0f} s")


def _check_signed_in(url: str, plan: Path) -> None:
    """Refuse to measure unless the prepared sessions really sign the clients in: the home
    page of a signed-out visitor is cheaper, and would flatter every figure."""
    client = json.loads(plan.read_text())["clients"][0]
    request = urllib.request.Request(
        url + "/", headers={"Cookie": f"sessionid={client['session']}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        page = response.read().decode()
    if "Sign out" not in page:
        raise SystemExit("the prepared browser session does not sign in: nothing measured")


def _drive(
    url: str,
    plan: Path,
    clients: int,
    seconds: int,
    prefix: Path,
    run: tuple[int, int],
    locustfile: Path = ROOT / "bench" / "load_locustfile.py",
) -> dict[str, Any]:
    """One Locust run of ``clients`` for ``seconds``; the per-kind rows of its statistics."""
    command = [
        str(BIN / "locust"), "-f", str(locustfile), "--headless",
        "-u", str(clients), "-r", str(clients), "-t", f"{seconds}s", "--host", url,
        "--csv", str(prefix), "--only-summary", "--reset-stats", "--stop-timeout", "10",
        "--loglevel", "ERROR", "--exit-code-on-error", "0",
    ]  # fmt: skip
    env = {
        **os.environ,
        "KNOWFLOW_LOAD_PLAN": str(plan),
        "KNOWFLOW_LOAD_RUN": str(run[0]),
        "KNOWFLOW_LOAD_RUNS": str(run[1]),
        "KNOWFLOW_LOAD_CLIENTS": str(clients),
    }
    with open(f"{prefix}.log", "w") as log:
        subprocess.run(command, env=env, check=True, stdout=log, stderr=log)
    rows = {}
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            name = "all" if row["Name"] == "Aggregated" else row["Name"]
            rows[name] = {
                "requests": int(row["Request Count"]),
                "errors": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": float(row["50%"]),
                "p95": float(row["95%"]),
                "p99": float(row["99%"]),
            }
    failures = []
    if Path(f"{prefix}_failures.csv").exists():
        with open(f"{prefix}_failures.csv", newline="") as handle:
            failures = [
                f"{r['Name']}: {r['Error']} ×{r['Occurrences']}" for r in csv.DictReader(handle)
            ]
    return {"clients": clients, "seconds": seconds, "kinds": rows, "failures": failures}


def run_database(db: str, args: argparse.Namespace) -> dict[str, Any]:
    env = _environment(db, args.pg_url, args.demo_size)
    if db == "postgres":
        _ensure_pg_database(args.pg_url, args.demo_size)
    data_dir = Path(env["KNOWFLOW_DATA_DIR"])
    plan = data_dir / "plan.json"
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--prepare", str(plan), "--plan-clients", str(max(args.clients)),
         "--demo-size", args.demo_size],
        env=env, check=True,
    )  # fmt: skip
    prepare_seconds = time.perf_counter() - started
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    error_log = data_dir / "server-errors.log"
    with open(error_log, "w") as errors:
        server = subprocess.Popen(
            [str(BIN / "knowflow"), "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)],
            env=env, stdout=subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip
        try:
            _wait_healthy(url)
            _check_signed_in(url, plan)
            points = []
            for run, clients in enumerate(sorted(args.clients)):
                seconds = args.seconds if clients == max(args.clients) else args.curve_seconds
                load_before = os.getloadavg()[0]
                point = _drive(
                    url, plan, clients, seconds, data_dir / f"locust-{clients}",
                    (run, len(args.clients)),
                )  # fmt: skip
                point["load_before"] = load_before
                points.append(point)
                all_ = point["kinds"].get("all", {})
                print(
                    f"{db}: {clients:>3} clients  {all_.get('rps', 0):7.1f} req/s  "
                    f"p50 {all_.get('p50', 0):.0f} ms  p95 {all_.get('p95', 0):.0f} ms  "
                    f"errors {all_.get('errors', 0)}",
                    file=sys.stderr,
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
    log = error_log.read_text(errors="replace")
    trouble = {marker: log.count(marker) for marker in SERVER_TROUBLE}
    result = {"db": db, "points": points, "server_trouble": trouble, "prepare_s": prepare_seconds}
    (data_dir / "result.json").write_text(json.dumps(result), encoding="utf-8")
    return result


# The table ---------------------------------------------------------------------------------


def _load(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    lines = [
        "## Load: the large demo over HTTP",
        "",
        f"Command: `make bench` (runs `.venv/bin/python bench/load_bench.py --db "
        f"{','.join(r['db'] for r in results)} --clients {','.join(map(str, sorted(args.clients)))} "
        f"--seconds {args.seconds} --curve-seconds {args.curve_seconds} --workers {args.workers}`), "
        f"measured {when} on {platform.machine()} with {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}. The large demo (20,000 people, 50,000 sessions, 1,000,000 "
        f"registrations) served by `knowflow serve --workers {args.workers}` with production "
        "settings (no debug); Locust clients signed in as different people, each sending its "
        "next request as soon as the last one answered (no think time), with this mix: home 20, "
        "session page 25, catalogue 15, search 10, register then cancel 6, survey form then "
        "answer 4 (single-use links), find a time 2 (a circle's audience, two weeks). "
        "The load generator shares the two CPUs with the server, so these are floors. "
        "'load before' is the machine's one-minute load average as each point began.",
        "",
    ]
    by_db = {r["db"]: r for r in results}
    lines += [
        "### The curve: requests per second and latency (all kinds) against clients",
        "",
        "| clients | "
        + " | ".join(
            f"{db} req/s | {db} p50 ms | {db} p95 ms | {db} p99 ms | {db} errors | {db} load before"
            for db in by_db
        )
        + " |",
        "| ---: | " + " | ".join("---: | ---: | ---: | ---: | ---: | ---:" for _ in by_db) + " |",
    ]
    for index, clients in enumerate(sorted(args.clients)):
        cells = []
        for result in by_db.values():
            row = result["points"][index]["kinds"].get("all", {})
            cells.append(
                f"{row.get('rps', 0):.1f} | {_fmt(row.get('p50', 0))} | {_fmt(row.get('p95', 0))} "
                f"| {_fmt(row.get('p99', 0))} | {row.get('errors', 0)} "
                f"| {_load(result['points'][index].get('load_before'))}"
            )
        lines.append(f"| {clients} | " + " | ".join(cells) + " |")
    top = max(args.clients)
    for result in results:
        point = result["points"][-1]
        lines += [
            "",
            f"### {result['db']}: {top} clients for {point['seconds']} s, per kind",
            "",
            "| kind | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for kind in (*KINDS, "all"):
            row = point["kinds"].get(kind)
            if row:
                lines.append(
                    f"| {kind} | {row['requests']:,} | {row['rps']:.1f} | {_fmt(row['p50'])} | "
                    f"{_fmt(row['p95'])} | {_fmt(row['p99'])} | {row['errors']} |"
                )
        trouble = ", ".join(f"{k}: {v}" for k, v in result["server_trouble"].items())
        failures = "; ".join(f for p in result["points"] for f in p["failures"]) or "none"
        lines += ["", f"Server log: {trouble}. Client-side failures: {failures}."]
    if {"sqlite", "postgres"} <= by_db.keys():
        s = by_db["sqlite"]["points"][-1]["kinds"]["all"]
        p = by_db["postgres"]["points"][-1]["kinds"]["all"]
        lines += [
            "",
            f"At {top} clients PostgreSQL serves {p['rps'] / s['rps']:.2f}× SQLite's requests "
            f"per second (p95 {_fmt(p['p95'])} ms against {_fmt(s['p95'])} ms).",
        ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--clients", default="1,5,10,25,50")
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--curve-seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--demo-size", default="large", help="small: try the benchmark quickly")
    parser.add_argument("--no-doc", action="store_true", help="print the table, leave the doc")
    parser.add_argument("--saved", default="", help="databases whose last run's figures to reuse")
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--plan-clients", type=int, default=50, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare, args.plan_clients, args.demo_size)
        return 0
    args.clients = [int(c) for c in args.clients.split(",")]
    # --saved: take a database's figures from its last complete run (same options) instead of
    # measuring it again, e.g. after the other database's run failed half-way.
    saved = set(filter(None, args.saved.split(",")))
    results = [
        json.loads((BENCH_DIR / f"load-{db}" / "result.json").read_text())
        if db in saved
        else run_database(db, args)
        for db in args.db.split(",")
    ]
    text = report(results, args)
    print(text)
    if not args.no_doc:
        write_section("load", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
