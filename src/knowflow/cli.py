"""The `knowflow` command: serve, worker, demo, export, import, slots, programme, and every manage.py command.

knowflow serve [--bind 127.0.0.1:8000] [--workers 2]   production server (gunicorn)
knowflow worker                                          background tasks and email delivery
knowflow demo-serve [--bind 127.0.0.1:8000]              server and worker together (make demo)
knowflow demo [--size small|large] [--seed N]            load the demo organisation
knowflow export [FILE] [--include-credentials]           the whole organisation as a .zip
knowflow import FILE                                     load an export into an empty database
knowflow import people FILE.csv [--dry-run] [--deactivate-missing]   people from an HR file
knowflow export people [FILE.csv]                        the people file of the directory
knowflow experts "QUERY" [--limit N] [--json] | --batch FILE.jsonl   who knows what, with evidence
knowflow slots INSTANCE.json [--k 1,2,3] [--series]      best times for a global audience
knowflow programme INSTANCE.json [--time-limit S] [--previous FILE]   a conference programme
knowflow <any manage.py command>                         migrate, createsuperuser, check …
"""

from __future__ import annotations

import os
import sys


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "knowflow.config.settings")
    import django

    django.setup()


def _serve(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="knowflow serve", description="Run the production web server."
    )
    parser.add_argument("--bind", default=os.environ.get("KNOWFLOW_BIND", "127.0.0.1:8000"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "knowflow.config.settings")
    from gunicorn.app.wsgiapp import run

    sys.argv = [
        "gunicorn",
        "knowflow.config.wsgi:application",
        "--bind",
        args.bind,
        "--workers",
        str(args.workers),
        "--access-logfile",
        "-",
    ]
    run()
    return 0


def _demo_serve(argv: list[str]) -> int:
    """Run `knowflow serve` and `knowflow worker` as two child processes until either ends or
    a signal (Ctrl-C) arrives; then stop both. A demo without the worker never sends a
    survey, an email or a duplicate cluster, so `make demo` runs this."""
    import argparse
    import signal
    import subprocess
    import time

    parser = argparse.ArgumentParser(
        prog="knowflow demo-serve", description="Run the web server and the worker together."
    )
    parser.add_argument("--bind", default=os.environ.get("KNOWFLOW_BIND", "127.0.0.1:8000"))
    args = parser.parse_args(argv)
    command = [sys.executable, "-m", "knowflow.cli"]
    children = [
        subprocess.Popen([*command, "serve", "--bind", args.bind, "--workers", "1"]),
        subprocess.Popen([*command, "worker", "--no-startup-delay"]),
    ]
    stopping = False

    def _stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stop)
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.2)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=40)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv else "help"
    rest = argv[1:]
    if command in {"help", "-h", "--help"}:
        print(__doc__)
        return 0
    if command == "slots":
        from knowflow.scheduling.cli import main as slots_main

        return slots_main(rest)
    if command == "programme":
        from knowflow.programme.cli import main as programme_main

        return programme_main(rest)
    if command == "serve":
        return _serve(rest)
    if command == "demo-serve":
        return _demo_serve(rest)
    # `knowflow import FILE` is the organisation import; `knowflow import talks FILE` (and
    # pyvideo / resources) and `knowflow export library` are the library's; `knowflow import
    # people FILE` and `knowflow export people` are the people file's (accounts).
    library = {("import", "talks"): "import_talks", ("import", "pyvideo"): "import_pyvideo",
               ("import", "resources"): "import_resources_csv", ("export", "library"): "export_library",
               ("import", "people"): "import_people", ("export", "people"): "export_people"}  # fmt: skip
    if rest and (command, rest[0]) in library:
        command, rest = library[(command, rest[0])], rest[1:]
    from django.core.management import execute_from_command_line

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "knowflow.config.settings")
    if command == "worker":
        _setup_django()
        from knowflow.worker import run as run_worker

        return run_worker(rest)
    translated = {
        "demo": "load_demo",
        "export": "export_org",
        "import": "import_org",
        "duplicates": "duplicates",
    }
    execute_from_command_line(["knowflow", translated.get(command, command), *rest])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
