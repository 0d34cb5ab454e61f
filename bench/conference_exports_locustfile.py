"""The readers of the conference exports benchmark's HTTP phase: schedule apps and calendars
fetching a conference's exports with a member's calendar secret, and members reading its
programme page.

Run by ``bench/conference_exports_bench.py`` through ``load_bench._drive`` (never by hand: it
needs the plan the benchmark writes, named by ``KNOWFLOW_LOAD_PLAN``). Each client sends its
next request as soon as the last one answered. The exports carry only the secret (``?key=``),
as an app that cannot sign in sends them; the programme page carries the member's browser
session, made by the benchmark.

Every answer is read for the release it holds (schedule.json's ``schedule.version`` parsed as
JSON; the XML's ``<version>``; the calendars' ``SEQUENCE``; the page's "Release N"), and each
request is logged with its wall-clock start and end, status and release to the plan's ``log``
file when Locust quits: the benchmark compares them with the moment it published a release,
to show that no process kept serving the old one.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from locust import HttpUser, events, task

PLAN = json.loads(Path(os.environ["KNOWFLOW_LOAD_PLAN"]).read_text())
SLUG, SECRET = PLAN["slug"], PLAN["secret"]
SESSION = PLAN["clients"][0]["session"]
READS: list[dict[str, Any]] = []


def _pattern(regex: bytes) -> Callable[[bytes], str | None]:
    compiled = re.compile(regex)

    def release(content: bytes) -> str | None:
        found = compiled.search(content)
        return found[1].decode() if found else None

    return release


def _json_release(content: bytes) -> str | None:
    return str(json.loads(content)["schedule"]["version"])


RELEASE_OF = {
    "schedule.json": _json_release,
    "schedule.xml": _pattern(rb"<version>(\d+)</version>"),
    # SEQUENCE is the release number in every VEVENT of both calendars.
    "schedule.ics": _pattern(rb"\nSEQUENCE:(\d+)\r?\n"),
    "agenda.ics": _pattern(rb"\nSEQUENCE:(\d+)\r?\n"),
    "programme page": _pattern(rb'id="release-meta">Release (\d+),'),
}


@events.quitting.add_listener
def _write_log(**_: object) -> None:
    Path(PLAN["log"]).write_text(json.dumps(READS), encoding="utf-8")


class Reader(HttpUser):
    """One reader; the weights are how often each address is fetched."""

    def _read(self, kind: str, url: str, cookies: dict[str, str] | None = None) -> None:
        # Nothing the page set may follow an export: it must be read with the secret alone.
        self.client.cookies.clear()
        started = time.time()
        with self.client.get(url, name=kind, cookies=cookies, catch_response=True) as response:
            ended = time.time()
            status = response.status_code  # 0: no answer (refused, reset, timed out)
            release = None
            if status == 200:
                try:
                    release = RELEASE_OF[kind](response.content)
                except (ValueError, KeyError):
                    release = None
                if release is None:
                    response.failure(f"no release number in {url}")
            else:
                response.failure(f"{status} on {url}")
            READS.append(
                {
                    "kind": kind,
                    "start": started,
                    "end": ended,
                    "status": status,
                    "release": release,
                    "error": None if status else str(response.error),
                }
            )

    @task(3)
    def schedule_json(self) -> None:
        self._read("schedule.json", f"/{SLUG}/schedule.json?key={SECRET}")

    @task(2)
    def schedule_xml(self) -> None:
        self._read("schedule.xml", f"/{SLUG}/schedule.xml?key={SECRET}")

    @task(2)
    def schedule_ics(self) -> None:
        self._read("schedule.ics", f"/{SLUG}/schedule.ics?key={SECRET}")

    @task(2)
    def agenda_ics(self) -> None:
        self._read("agenda.ics", f"/{SLUG}/agenda.ics?key={SECRET}")

    @task(1)
    def programme_page(self) -> None:
        self._read("programme page", f"/conferences/{SLUG}/", {"sessionid": SESSION})
