"""Every page reachable from home, for every demo role, in a real browser at a phone's and a
laptop's size: no page is wider than the screen, every primary action is at least 44×44 px,
and axe (axe-core, bundled by axe-playwright-python, no network) finds no violation of any
impact.

The organisation is the small demo (`knowflow demo --size small`, loaded in-process), so the
pages carry realistic amounts of data: long titles, full tables, survey results. The crawl
follows same-origin links from home and visits one page per route (a second session page or a
filtered list renders the same template), so every route a role can reach is checked once for
width and targets; axe, the slow part, checks each route at each width once, as the first
role (fewest rights first) to reach it.

Not crawled, and why: files, feeds and downloads (not pages); leaving (sign out); Django's own
admin (its markup is Django's, not our design system); ``/api/`` (its Swagger UI is checked by
the API's own tests).
"""

from __future__ import annotations

import re
from collections import deque

import pytest
from django.urls import Resolver404, resolve
from django.utils import timezone

from knowflow.demo.generator import demo_load
from knowflow.feedback.defaults import seed_default_templates
from knowflow.feedback.models import Question, SurveyTemplate
from tests.browser import BROWSER_TESTS

pytestmark = BROWSER_TESTS

# Fewest rights first: axe checks a route as the first role to reach it, so the pages most
# people see are checked as they see them, and each role's own pages as that role.
ROLES = ("member", "speaker", "leader", "enabler", "admin")
VIEWPORTS = ({"width": 1280, "height": 800}, {"width": 390, "height": 844})
SKIP = re.compile(
    r"logout|^/static/|^/media/|/file/|/download|/export|\.(csv|ics|json|pdf|xml)$"
    r"|^/calendar/|^/api/|^/admin/|^/debug/"
)
MAX_PAGES = 160  # per role; the crawl must end before it (asserted), so no route goes unseen

# Primary actions: buttons, links drawn as buttons, submit inputs, the phone menu's button.
# A button drawn as a link (class "link", e.g. "Sign out") is text and is measured as text.
SMALL_TARGETS = """() => [...document.querySelectorAll(
    'button:not(.link), a.button, summary.button, input[type=submit], input[type=button]')]
  .filter((element) => element.getClientRects().length > 0)
  .map((element) => {
    const box = element.getBoundingClientRect();
    const name = (element.textContent || element.value || '').trim().slice(0, 40);
    return [name, Math.round(box.width), Math.round(box.height)];
  })
  .filter(([, width, height]) => width < 44 || height < 44)"""


def _route(path: str) -> str:
    try:
        return resolve(path).view_name
    except Resolver404:
        return path


def _sign_in(page: object, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "knowflow-demo")
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{base}/")


def _check_page(page: object, axe: object | None, width: int) -> list[str]:
    """What is wrong with the page on screen, in words (empty when nothing is); axe only when
    given (see `_crawl`)."""
    problems = []
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        problems.append(f"{scroll_width} px wide")
    problems += [f"target {name!r} is {w}×{h} px" for name, w, h in page.evaluate(SMALL_TARGETS)]
    for violation in axe.run(page).response["violations"] if axe else []:
        node = violation["nodes"][0]
        problems.append(
            f"axe {violation['id']} ({violation['impact']}, {len(violation['nodes'])}×): "
            f"{node['target']} {node['html'][:100]}"
        )
    return problems


def _crawl(
    page: object, axe: object, base: str, axed: set[tuple[str, int]]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Route → the page visited for it, and "width path" → problems, for one signed-in role.

    Width and targets are checked on every page of every role. axe (most of the crawl's time)
    runs once per route and width across the roles: the first role to reach a route has it
    checked (``axed`` remembers), as the pages share their templates and components."""
    visited: dict[str, str] = {}
    problems: dict[str, list[str]] = {}
    queue = deque(["/"])
    while queue and len(visited) < MAX_PAGES:
        url = queue.popleft()
        route = _route(url.split("?")[0])
        if route in visited:
            continue
        visited[route] = url
        page.set_viewport_size(VIEWPORTS[0])
        response = page.goto(f"{base}{url}")
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        if response.status >= 500:
            problems[url] = ["server error"]
        # One load, then the window is resized (as a phone turned, or a window narrowed): the
        # media queries apply again without a second request.
        for viewport in VIEWPORTS:
            page.set_viewport_size(viewport)
            first = (route, viewport["width"]) not in axed
            axed.add((route, viewport["width"]))
            found = _check_page(page, axe if first else None, viewport["width"])
            if found:
                problems[f"{viewport['width']} {url}"] = found
        # An SVG link's .href is an object (SVGAnimatedString): read the attribute instead.
        links = page.eval_on_selector_all(
            "a[href]", "els => els.map(e => new URL(e.getAttribute('href'), document.baseURI).href)"
        )
        for href in links:
            if not href.startswith(base):
                continue
            link = href[len(base) :].split("#")[0]
            path = link.split("?")[0]
            if link and not SKIP.search(path) and _route(path) not in visited:
                queue.append(link)
    assert len(visited) < MAX_PAGES, "the crawl stopped at its bound before seeing every route"
    return visited, problems


@pytest.mark.django_db(transaction=True)
def test_every_page_reachable_from_home_fits_the_screen_and_passes_axe_for_every_role(
    live_server,
    browser_page,
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    now = timezone.now()
    # A transactional test before this one may have emptied the table the migration fills.
    seed_default_templates(template_model=SurveyTemplate, question_model=Question, now=now)
    demo_load(seed=3, size="small", now=now)
    page, axe = browser_page, Axe()

    reached: dict[str, set[str]] = {}
    problems: dict[str, list[str]] = {}
    axed: set[tuple[str, int]] = set()
    for role in ROLES:
        page.context.clear_cookies()
        _sign_in(page, live_server.url, role)
        visited, found = _crawl(page, axe, live_server.url, axed)
        reached[role] = set(visited)
        problems |= {f"{role} {where}": what for where, what in found.items()}

    # The crawl reached each role's main pages (and so its links work) ...
    everyone = {
        "home",
        "events:catalogue",
        "events:session",
        "events:find_time",
        "library:home",
        "library:search",
        "circles:list",
        "accounts:profile",
        "feedback:mine",
        "style_guide",
    }
    assert everyone <= reached["member"]
    assert everyone | {"feedback:programme", "insights:dashboard"} <= reached["enabler"]
    assert {"insights:dashboard", "feedback:programme"} <= reached["leader"]
    # ... and not one of the pages it reached has a problem.
    assert problems == {}
