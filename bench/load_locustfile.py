"""The traffic of the load benchmark: what signed-in people do on Knowflow, in proportion.

Run by ``bench/load_bench.py`` (never by hand: it needs the plan the benchmark prepares, named
by ``KNOWFLOW_LOAD_PLAN``). Each simulated client is one person with a browser session made in
advance, so password hashing does not stand in for page time. A client sends its next request
as soon as the previous one answered (no think time): the figures are those of a server kept
busy by N people at once, the worst case for N.

Every response is checked: a page must answer 200 (a form post 302), anything else counts as an
error under its kind, with the status in the message.
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

from locust import HttpUser, task

PLAN = json.loads(Path(os.environ["KNOWFLOW_LOAD_PLAN"]).read_text())
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_next_client = iter(range(10**9))


class Person(HttpUser):
    """One signed-in person; the weights are how often each thing is done."""

    def on_start(self) -> None:
        index = next(_next_client)
        me = PLAN["clients"][index % len(PLAN["clients"])]
        self.random = random.Random(index)
        self.client.cookies.set("sessionid", me["session"], domain="127.0.0.1")
        self.client.cookies.set("csrftoken", me["csrf"], domain="127.0.0.1")
        self.csrf = me["csrf"]
        # Each run of the curve, and each client in it, takes its own share of the single-use
        # survey links.
        run, runs = int(os.environ["KNOWFLOW_LOAD_RUN"]), int(os.environ["KNOWFLOW_LOAD_RUNS"])
        clients = int(os.environ["KNOWFLOW_LOAD_CLIENTS"])
        self.surveys = list(PLAN["surveys"][run::runs][index::clients])

    def _get(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} on {url}")

    def _post(self, url: str, data: dict, name: str, expect: int = 302) -> None:
        headers = {"X-CSRFToken": self.csrf, "Referer": self.host + url}
        with self.client.post(
            url, data=data, headers=headers, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != expect:
                response.failure(f"{response.status_code} on {url}")

    @task(20)
    def home(self) -> None:
        self._get("/", "home")

    @task(15)
    def catalogue(self) -> None:
        topic = self.random.choice(PLAN["topics"])
        page = self.random.randint(1, 3)
        self._get(f"/sessions/?topic={topic}&page={page}", "catalogue")

    @task(25)
    def session_page(self) -> None:
        self._get(f"/sessions/{self.random.choice(PLAN['sessions'])}/", "session page")

    @task(10)
    def search(self) -> None:
        query = self.random.choice(PLAN["queries"])
        self._get(f"/search/?q={query}", "search")

    @task(2)
    def find_a_time(self) -> None:
        self._get(self.random.choice(PLAN["find_a_time"]), "find a time")

    @task(6)
    def register_and_cancel(self) -> None:
        occurrence = self.random.choice(PLAN["occurrences"])
        self._post(f"/sessions/occurrences/{occurrence}/register/", {}, "register")
        self._post(f"/sessions/occurrences/{occurrence}/cancel/", {}, "cancel registration")

    @task(4)
    def answer_survey(self) -> None:
        if not self.surveys:
            return self.home()
        survey = self.surveys.pop()
        url = f"/feedback/r/{survey['token']}/"
        with self.client.get(url, name="survey form", catch_response=True) as response:
            found = CSRF_INPUT.search(response.text or "")
            if response.status_code != 200 or not found:
                response.failure(f"{response.status_code} on the survey form")
                return None
        # The thanks page answers 200 on the same URL.
        self._post(
            url, {**survey["answers"], "csrfmiddlewaretoken": found[1]}, "survey answer", 200
        )
        return None
