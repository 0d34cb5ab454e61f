"""Production settings come from the environment and pass Django's deployment checklist."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

KNOWFLOW = Path(sys.executable).with_name("knowflow")


def _production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KNOWFLOW_", "DJANGO_"))}
    env.update(
        SECRET_KEY="a-long-random-production-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="knowflow.example.org",
        KNOWFLOW_DATA_DIR=str(tmp_path),
        **extra,
    )
    return env


def _knowflow(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KNOWFLOW), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.slow  # starts knowflow in a process of its own
def test_check_deploy_reports_nothing_with_production_settings(tmp_path: Path) -> None:
    result = _knowflow(
        "check", "--deploy", "--fail-level", "WARNING", env=_production_env(tmp_path)
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


@pytest.mark.slow  # starts knowflow in a process of its own
def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    del env["SECRET_KEY"]

    result = _knowflow("check", env=env)

    assert result.returncode != 0
    assert "Set SECRET_KEY (or KNOWFLOW_DEBUG=1 for local development)." in result.stderr


@pytest.mark.slow  # starts knowflow in a process of its own
def test_healthz_answers_plain_http_while_pages_redirect_to_https(tmp_path: Path) -> None:
    # Production settings, the real middleware stack, a request over plain HTTP as a load
    # balancer's health check sends it.
    script = (
        "from django.test import Client; c = Client(HTTP_HOST='knowflow.example.org'); "
        "h = c.get('/healthz'); p = c.get('/sessions/'); "
        "print(h.status_code, h.content.decode(), p.status_code, p['Location'])"
    )
    result = _knowflow("shell", "--no-imports", "-c", script, env=_production_env(tmp_path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '200 {"status": "ok"} 301 https://knowflow.example.org/sessions/'
    )


@pytest.mark.slow  # starts knowflow in a process of its own
def test_api_docs_are_public_in_debug_and_for_signed_in_people_in_production(
    tmp_path: Path,
) -> None:
    script = "from django.conf import settings; print(settings.KNOWFLOW_API_DOCS_PUBLIC)"
    production = _knowflow("shell", "--no-imports", "-c", script, env=_production_env(tmp_path))
    debug = _knowflow(
        "shell", "--no-imports", "-c", script, env=_production_env(tmp_path, KNOWFLOW_DEBUG="1")
    )
    chosen = _knowflow(
        "shell",
        "--no-imports",
        "-c",
        script,
        env=_production_env(tmp_path, KNOWFLOW_API_DOCS_PUBLIC="1"),
    )

    assert (production.stdout, debug.stdout, chosen.stdout) == ("False\n", "True\n", "True\n")


@pytest.mark.django_db
def test_debug_is_off_in_the_settings_the_tests_use() -> None:
    from django.conf import settings

    assert settings.DEBUG is False
