"""The knowledge map page: its tables for a small organisation, its picture, who may read it,
and its query count."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.circles.models import Circle, Membership
from tests.conftest import signed_in
from tests.factories import make_circle, make_person, make_topic, org_unit

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html))).strip()


def table_after(html: str, marker: str) -> list[list[str]]:
    """The body rows of the first table after ``marker``, each as its cells' text."""
    after = html.split(marker, 1)[1]
    body = after.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [text_of(cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    ]


@dataclass
class Org:
    enabler: Person
    leader: Person
    member: Person
    python: Circle
    data: Circle
    rust: Circle


@pytest.fixture
def org(db: None) -> Org:
    platform, data_unit, design = org_unit("Platform"), org_unit("Data"), org_unit("Design")
    enabler = make_person(role=Person.Role.ENABLER, name="Erin Enabler")
    leader = make_person(role=Person.Role.LEADER, name="Lee Leader")
    ana = make_person(name="Ana Platform", org_unit=platform)
    bo = make_person(name="Bo Platform", org_unit=platform)
    cy = make_person(name="Cy Data", org_unit=data_unit)
    di = make_person(name="Di Design", org_unit=design)
    eve = make_person(name="Eve Design", org_unit=design)
    gone = make_person(name="Gus Gone", org_unit=design)
    gone.deactivated_at = timezone.now()
    gone.save()
    python_t, sql_t, rust_t = make_topic("Python"), make_topic("SQL"), make_topic("Rust")
    python = make_circle(name="Python guild")
    data = make_circle(name="Data circle")
    rust = make_circle(name="Rustaceans")
    python.topics.set([python_t])
    data.topics.set([python_t, sql_t])
    rust.topics.set([rust_t])
    for circle, people in ((python, [ana, bo, cy]), (data, [cy, di, eve]), (rust, [gone])):
        for person in people:
            Membership.objects.create(circle=circle, person=person)
    # Gus left: he no longer links the Rustaceans to anything, nor counts as a member.
    Membership.objects.create(circle=python, person=gone)
    return Org(enabler, leader, ana, python, data, rust)


def test_map_tables_list_circles_links_isolated_circles_and_bridges(org: Org) -> None:
    response = signed_in(org.enabler).get("/insights/map/")
    html = response.content.decode()

    assert response.status_code == 200
    assert table_after(html, '<h2 id="circles">') == [
        ["Data circle", "3", "2", "Python, SQL", "1", "Python guild (1, 1)"],
        ["Python guild", "3", "2", "Python", "1", "Data circle (1, 1)"],
        ["Rustaceans", "0", "0", "Rust", "0", "none: isolated"],
    ]
    assert table_after(html, '<h2 id="links">') == [
        ["Data circle", "Python guild", "1", "1: Python", "drawn"],
    ]
    isolated = html.split('<h2 id="isolated">', 1)[1].split("<h2", 1)[0]
    assert text_of(isolated).endswith("Rustaceans")
    assert table_after(html, "<h3>Circles that bring org units together</h3>") == [
        ["Python guild", "2: Data, Platform", "Data – Platform"],
        ["Data circle", "2: Data, Design", "Data – Design"],
    ]
    assert table_after(html, "<h3>People who bring their org unit into a circle</h3>") == [
        ["Cy Data", "Data", "Data circle, Python guild"],
    ]
    assert table_after(html, '<h2 id="units">') == [
        ["Design", "2", "Data circle (2)"],
        ["Platform", "2", "Python guild (2)"],
        ["Data", "1", "Data circle (1), Python guild (1)"],
    ]
    summary = html.split('<dl class="summary">', 1)[1].split("</dl>", 1)[0]
    assert re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", summary) == [
        ("Circles", "3"),
        ("People in circles", "5"),
        ("Links between circles", "1"),
        ("Isolated circles", "1"),
    ]


def test_map_picture_is_an_svg_whose_circles_and_topics_are_links(org: Org) -> None:
    client = signed_in(org.enabler)
    response = client.get("/insights/map.svg")
    root = ET.fromstring(response.content)

    assert response["Content-Type"] == "image/svg+xml"
    assert root.find(f"{SVG}title").text == "Map of the knowledge: circles, topics and org units"
    assert root.find(f"{SVG}desc").text == (
        "3 circles, 3 topics and 3 org units; 1 of 1 links between circles drawn. "
        "Isolated circles: Rustaceans. The tables below the picture hold the same information."
    )
    # A group whose circles and topics a screen reader reaches; the lines are for the eye.
    assert (root.get("role"), root.get("aria-describedby")) == ("group", "map-desc")
    hidden = [g for g in root.iter(f"{SVG}g") if g.get("aria-hidden") == "true"]
    assert sum(len(list(g.iter(f"{SVG}line"))) for g in hidden) == len(
        list(root.iter(f"{SVG}line"))
    )
    links = {a.get("href"): a.find(f"{SVG}title").text for a in root.iter(f"{SVG}a")}
    assert links == {
        f"/circles/{org.python.slug}/": "Python guild: circle, 3 members",
        f"/circles/{org.data.slug}/": "Data circle: circle, 3 members",
        f"/circles/{org.rust.slug}/": "Rustaceans: circle, 0 members",
        "/topics/" + org.python.topics.get().slug + "/": "Python: topic of 2 circles",
        "/topics/" + org.data.topics.get(name="SQL").slug + "/": "SQL: topic of 1 circle",
        "/topics/" + org.rust.topics.get().slug + "/": "Rust: topic of 1 circle",
    }
    labels = sorted(t.text for t in root.iter(f"{SVG}text") if t.get("font-size") != "9")
    assert "Python guild" in labels and "Platform" in labels
    # The page carries the same picture inline, so its links can be reached by keyboard.
    page = client.get("/insights/map/").content.decode()
    assert f'<a href="/circles/{org.python.slug}/">' in page


def test_map_is_linked_from_the_insights_navigation(org: Org) -> None:
    html = signed_in(org.enabler).get("/insights/").content.decode()
    assert '<a href="/insights/map/">Knowledge map</a>' in html


def test_leader_reads_the_map_and_a_member_is_refused(org: Org) -> None:
    assert signed_in(org.leader).get("/insights/map/").status_code == 200
    for url in ("/insights/map/", "/insights/map.svg"):
        response = signed_in(org.member).get(url)
        assert response.status_code == 403
        assert "Insights are for enablers and leaders." in response.content.decode()


def test_empty_organisation_says_what_to_do(db: None) -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    html = signed_in(enabler).get("/insights/map/").content.decode()
    assert table_after(html, '<h2 id="circles">') == [
        ["No circles yet: enablers create them in the admin site."]
    ]


def test_map_query_count_does_not_grow_with_circles_and_people(org: Org) -> None:
    client = signed_in(org.enabler)
    client.get("/insights/map/")
    with CaptureQueriesContext(connection) as small:
        client.get("/insights/map/")
    unit = org_unit("Sales")
    topic = make_topic("Negotiation")
    for n in range(5):
        circle = make_circle(name=f"Sales circle {n}")
        circle.topics.set([topic])
        for k in range(4):
            Membership.objects.create(
                circle=circle, person=make_person(name=f"Seller {n}-{k}", org_unit=unit)
            )
    with CaptureQueriesContext(connection) as large:
        client.get("/insights/map/")
    assert len(large) == len(small)
    # Session, user and person, then circles, memberships, circles' topics, org units, and the
    # names of the bridge people.
    assert len(small) == 8


def test_map_leaves_out_sunset_and_unapproved_circles(org: Org) -> None:
    Circle.objects.filter(pk=org.rust.pk).update(state=Circle.State.SUNSET)
    proposed = make_circle(name="Waiting circle")
    Circle.objects.filter(pk=proposed.pk).update(state=Circle.State.PROPOSED)

    html = signed_in(org.enabler).get("/insights/map/").content.decode()

    assert [row[0] for row in table_after(html, '<h2 id="circles">')] == [
        "Data circle",
        "Python guild",
    ]
