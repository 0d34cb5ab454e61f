"""Home is a personal to-do list, and the navigation gives each role its pages: what a member,
a speaker and an enabler read on their home page, in the menu and on a session page."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.events.models import Attendance, Registration
from knowflow.feedback.services.requests import (
    feedback_dispatch_due,
    feedback_requests_create_due,
    link_validity,
)
from tests.conftest import signed_in
from tests.factories import make_person, make_session
from tests.feedback.helpers import attend, ended_occurrence

pytestmark = pytest.mark.django_db


class _Page(HTMLParser):
    """The page as a person reads it: each <section>'s heading, list items and paragraphs
    (whitespace collapsed), and the links of the main navigation bar."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.sections: dict[str, list[str]] = {}
        self.nav: list[tuple[str, str]] = []
        self._section: list[str] | None = None
        self._heading: str | None = None
        self._text: list[str] | None = None
        self._in_nav = False
        self._href = ""
        self._link: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "section":
            self._section = []
        elif tag in ("h2", "li", "p") and self._section is not None:
            self._text = []
        elif tag == "nav" and attributes.get("aria-label") == "Main":
            self._in_nav = True
        elif tag == "a" and self._in_nav:
            self._href, self._link = attributes.get("href") or "", []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h2", "li", "p") and self._text is not None:
            text = re.sub(r"\s+", " ", "".join(self._text)).strip()
            if tag == "h2":
                self._heading = text
                self.sections[text] = self._section = []
            else:
                self._section.append(text)  # type: ignore[union-attr]
            self._text = None
        elif tag == "section":
            self._section = None
        elif tag == "nav":
            self._in_nav = False
        elif tag == "a" and self._link is not None:
            self.nav.append(("".join(self._link).strip(), self._href))
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)
        if self._link is not None:
            self._link.append(data)


def page(person: Person, url: str = "/") -> _Page:
    response = signed_in(person).get(url)
    assert response.status_code == 200
    return _Page(response.content.decode())


def day(moment: object) -> str:
    return f"{moment.day} {moment:%b %Y}"  # the pages' "j M Y", in the viewer's zone (UTC)


def test_a_member_sees_every_survey_waiting_with_why_and_a_see_all_page() -> None:
    member = make_person(name="Mia Member")
    occurrences = []
    for n in range(12):
        occurrence = ended_occurrence(
            session=make_session(title=f"Talk {n:02d}"), days_ago=1 + n / 24
        )
        attend(occurrence, [member])
        occurrences.append(occurrence)
    now = timezone.now()
    feedback_requests_create_due(now=now)
    feedback_dispatch_due(now=now)
    closes = day(now + link_validity())
    # Soonest to close first; all were sent at once, so in the order they were written.
    expected = [
        f"Rate “{o.session.title}” you attended on {day(o.start)} · closes {closes} anonymous"
        for o in occurrences
    ]

    home = page(member)
    waiting = home.sections["Waiting for your answer (12)"]
    assert len(set(waiting[:10])) == 10 and set(waiting[:10]) <= set(expected)  # ten shown …
    assert waiting[10] == "See all 12 waiting for your answer"  # … and the way to the rest

    everything = signed_in(member).get("/feedback/requests/").content.decode()
    assert "12 surveys, the soonest to close first." in everything
    listed = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip()
        for item in re.findall(r"<li>(.*?)</li>", everything, flags=re.S)
    ]
    assert sorted(listed) == sorted(expected)
    # A member who gave no session has no feedback, attendance or programme section.
    assert list(home.sections) == [
        "Waiting for your answer (12)",
        "Your registrations",
        "Upcoming from your circles and skills",
    ]


def test_a_speaker_sees_their_retrospective_attendance_to_record_and_feedback() -> None:
    speaker = make_person(name="Sam Speaker")
    given = ended_occurrence(
        session=make_session(title="Kafka basics", speakers=[speaker], status="done"), days_ago=2
    )
    attend(given, [make_person()])
    pending = ended_occurrence(
        session=make_session(title="Terraform at scale", speakers=[speaker], status="done"),
        days_ago=1,
    )
    Registration.objects.create(
        occurrence=pending, person=make_person(), status="going", requested_at=timezone.now()
    )
    now = timezone.now()
    feedback_requests_create_due(now=now)
    feedback_dispatch_due(now=now)
    closes = day(now + link_validity())

    home = page(speaker)

    # Both close the same day; no order between them to assert.
    assert sorted(home.sections["Waiting for your answer (2)"]) == [
        f"Write your retrospective of “{o.session.title}” you spoke on {day(o.start)} · closes {closes}"
        for o in (given, pending)
    ]
    assert home.sections["Attendance to record (1)"] == [
        f"Record who came: Terraform at scale you spoke on {day(pending.start)};"
        " attendees are asked for feedback once you do"
    ]
    assert home.sections["Feedback on sessions you gave"] == [
        f"Results: Terraform at scale you spoke, last on {day(pending.end)}",
        f"Results: Kafka basics you spoke, last on {day(given.end)}",
        "Your sessions over time",
    ]

    # Once attendance is recorded, the reminder goes.
    Attendance.objects.create(occurrence=pending, person=make_person(), mode="room")
    assert "Attendance to record (1)" not in page(speaker).sections


def test_an_enabler_sees_the_programme_section() -> None:
    enabler = make_person(role=Person.Role.ENABLER, name="Eve Enabler")
    assert page(enabler).sections["The programme"] == [
        "Open actions: 0 from speakers' retrospectives, for enablers to chase",
        "Programme results feedback across every session",
        "Survey templates what attendees and speakers are asked",
    ]


# The everyday pages, then those under "More" (Topics, My feedback, then the role's own).
EVERYONE = [
    ("Sessions", "/sessions/"),
    ("Library", "/library/"),
    ("Circles", "/circles/"),
    ("Experts", "/experts/"),
    ("Find a time", "/sessions/find-a-time/"),
    ("Propose", "/sessions/propose/"),
    ("Requests", "/requests/"),
    ("People", "/accounts/people/"),
    ("Topics", "/topics/"),
    ("Conferences", "/conferences/"),
    ("My feedback", "/feedback/mine/"),
]


@pytest.mark.parametrize(
    ("role", "extra"),
    [
        (Person.Role.MEMBER, []),
        (
            Person.Role.LEADER,
            [("Programme results", "/feedback/programme/"), ("Insights", "/insights/")],
        ),
        (
            Person.Role.ENABLER,
            [
                ("Programme results", "/feedback/programme/"),
                ("Survey templates", "/feedback/templates/"),
                ("Open actions", "/feedback/actions/"),
                ("Insights", "/insights/"),
            ],
        ),
    ],
)
def test_the_navigation_gives_each_role_its_pages(role: str, extra: list) -> None:
    person = make_person(role=role, name="Ria Role")
    home = page(person)
    assert home.nav == [*EVERYONE, *extra, ("Ria Role", "/accounts/profile/")]
    for _, href in home.nav:  # every link leads somewhere this person may go
        assert signed_in(person).get(href).status_code == 200, href


def test_a_session_page_links_results_and_retrospectives_for_those_allowed() -> None:
    speaker = make_person()
    occurrence = ended_occurrence(
        session=make_session(title="Kafka basics", speakers=[speaker], status="done"), days_ago=2
    )
    slug = occurrence.session.slug
    links = (
        f'<h2>Feedback</h2>\n<ul class="rows">\n'
        f'  <li><a href="/feedback/sessions/{slug}/">Results of this session</a></li>\n'
        f'  <li><a href="/feedback/occurrences/{occurrence.pk}/retrospective/">'
        f"Retrospective of {day(occurrence.start)}</a></li>\n</ul>"
    )
    for person in (speaker, make_person(role=Person.Role.ENABLER)):
        assert links in signed_in(person).get(f"/sessions/{slug}/").content.decode()
    for person in (make_person(), make_person(role=Person.Role.LEADER)):
        html = signed_in(person).get(f"/sessions/{slug}/").content.decode()
        assert "<h2>Feedback</h2>" not in html
        assert f"/feedback/sessions/{slug}/" not in html
