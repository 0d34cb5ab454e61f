"""Every HTML page sends the Content-Security-Policy, and no page needs what it forbids.

A crawler follows the links from home as an admin, an enabler and a member (each sees other
pages: insights, the Django admin) and checks every HTML response: the policy header, no
inline script, event handler, ``<style>`` or ``style=`` (the policy would block them, so a page
carrying one is broken in the browser), and no server error.
"""

from __future__ import annotations

import html
import re
from collections import deque
from html.parser import HTMLParser

import pytest
from django.test import Client

from knowflow.accounts.models import Person

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# Leaving, files and machine-readable answers: not pages a person reads.
SKIP = re.compile(
    r"logout|^/static/|^/media/|/file/$|\.(csv|ics|json)$|^/calendar/|^/api/v1/(?!docs)"
)
MAX_PAGES = 800


def _policy(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


class _InlineFinder(HTMLParser):
    """What a strict policy blocks: inline scripts, handlers, ``<style>`` and ``style=``."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"{tag} {name}=" for name, _ in attrs if name.startswith("on")]
        if "style" in names:
            self.found.append(f"{tag} style=")


def _crawl(client: Client, *, start: list[str]) -> dict[str, tuple[int, str, list[str]]]:
    """path → (status, policy header or "", inline things) for every HTML page reachable."""
    seen: dict[str, tuple[int, str, list[str]]] = {}
    queue, queued = deque(start), set(start)
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url, follow=True)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        page = response.content.decode()
        finder = _InlineFinder()
        finder.feed(page)
        path = url.split("?")[0]
        seen[path] = (
            response.status_code,
            response.get("Content-Security-Policy", ""),
            finder.found,
        )
        for href in re.findall(r'href="(/[^"#]*)', page):
            link = html.unescape(href)
            # One visit per path: filters and pages of one list are the same template.
            key = link.split("?")[0]
            if key not in queued and not SKIP.search(key):
                queued.add(key)
                queue.append(link)
    return seen


@pytest.mark.parametrize("role", ["admin", "enabler", "member"])
def test_every_page_reachable_from_home_sends_the_policy_and_needs_nothing_it_forbids(
    organisation: dict[str, Person], role: str
) -> None:
    client = Client()
    client.force_login(organisation[role].user)

    # A session's results are linked from the programme once answers arrive; this small
    # organisation has none yet, so the crawl starts there too.
    pages = _crawl(client, start=["/", "/feedback/sessions/pods-in-practice/"])

    expected = {
        "admin": {"/", "/sessions/", "/library/", "/insights/", "/admin/", "/search/"},
        "enabler": {"/", "/sessions/", "/library/", "/insights/", "/feedback/programme/"},
        "member": {"/", "/sessions/", "/library/", "/circles/", "/sessions/find-a-time/"},
    }[role]
    assert expected <= set(pages)  # the crawl reached the main pages of this role
    assert len(pages) < MAX_PAGES
    assert {path: _policy(csp) for path, (_, csp, _) in pages.items()} == {
        path: POLICY for path in pages
    }
    assert {path: found for path, (_, _, found) in pages.items() if found} == {}
    assert {path: status for path, (status, _, _) in pages.items() if status >= 500} == {}
