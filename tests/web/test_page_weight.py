"""Every page's own CSS and JavaScript weigh under 60 KB together (uncompressed).

The same crawl as the policy test (links from home, as an admin, an enabler and a member):
for each HTML page, the stylesheets and scripts it links from our own origin are read from
the static files and summed. Two pages made by libraries for developers and admins are left
out: the Django admin (Django's stylesheets and jQuery) and the API reference at
``/api/v1/docs`` (django-ninja's Swagger UI, 1.6 MB of its own script and styles).
"""

from __future__ import annotations

import html
import re
from collections import deque
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

from knowflow.accounts.models import Person
from tests.web.test_csp import SKIP

pytestmark = pytest.mark.django_db

BUDGET = 60 * 1024
MAX_PAGES = 800
LIBRARY_PAGES = re.compile(r"^/admin/|^/api/v1/docs")


class _Assets(HTMLParser):
    """The stylesheets and scripts a page makes the browser fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "link" and "stylesheet" in (names.get("rel") or "").split() and names.get("href"):
            self.urls.append(names["href"] or "")
        if tag == "script" and names.get("src"):
            self.urls.append(names["src"] or "")


def _size(url: str) -> int:
    """Bytes of a same-origin static file; a link to anything else fails the test."""
    assert url.startswith(settings.STATIC_URL), f"{url} is not one of our static files"
    found = finders.find(url.removeprefix(settings.STATIC_URL).split("?")[0])
    assert found, f"{url} is linked but missing"
    return Path(found).stat().st_size


def _weights(client: Client) -> dict[str, int]:
    """path → bytes of CSS and JavaScript, for every HTML page reachable from home."""
    weights: dict[str, int] = {}
    queue, queued = deque(["/"]), {"/"}
    while queue and len(weights) < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url, follow=True)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        page = response.content.decode()
        assets = _Assets()
        assets.feed(page)
        weights[url.split("?")[0]] = sum(_size(u) for u in dict.fromkeys(assets.urls))
        for href in re.findall(r'href="(/[^"#]*)', page):
            key = html.unescape(href).split("?")[0]
            if key not in queued and not SKIP.search(key) and not LIBRARY_PAGES.match(key):
                queued.add(key)
                queue.append(html.unescape(href))
    return weights


@pytest.mark.parametrize("role", ["admin", "enabler", "member"])
def test_every_page_loads_under_60_kb_of_css_and_javascript(
    organisation: dict[str, Person],
    role: str,
) -> None:
    client = Client()
    client.force_login(organisation[role].user)

    weights = _weights(client)

    assert {"/", "/sessions/", "/library/", "/search/", "/sessions/pods-in-practice/"} <= set(
        weights
    )
    assert min(weights.values()) > 0  # every page links its stylesheet: the sum measures it
    assert {path: size for path, size in weights.items() if size >= BUDGET} == {}
