"""The whole loop in a real browser, as the people in it would walk it, through links only.

A member proposes a session and picks its speaker by name; the speaker finds a time and creates
the date; members register; during the date two of them check in themselves (one with the
session page's button, one with the link the speaker shows); after it the speaker ticks the
rest present on the "Who came" checklist; every attendee answers the survey reached from home;
the speaker reaches the results and writes the retrospective; the recording is attached and
a member finds it in the library and in search; the enabler reads it in the programme results.

Each person has their own browser context (their own cookies). After signing in, every page is
reached by clicking a link or a button from the page before, so a missing link fails the test.
The one exception is the check-in link: a person opens it from the speaker's screen (scanning
its QR code or following it in the meeting's chat), so the test opens the address it reads there.
The clock is moved with time-machine: the live server runs in a thread of this process, so it
sees the same time as the test. The background worker is not running; where `knowflow worker`
would act, the test calls the function it runs, in-process.

Screenshots of each step go to $KNOWFLOW_LOOP_SHOTS (default /tmp/loop-shots) for a person to
look at; they are not compared.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.circles.models import Membership
from knowflow.events.models import Attendance, Occurrence, Session
from knowflow.feedback import defaults
from knowflow.feedback.models import Question, SurveyRequest, SurveyTemplate
from knowflow.feedback.services.requests import feedback_tick
from knowflow.library.models import Resource
from tests.browser import BROWSER_TESTS, CHROMIUM
from tests.factories import PASSWORD, make_circle, make_person

pytestmark = BROWSER_TESTS

SHOTS = Path(os.environ.get("KNOWFLOW_LOOP_SHOTS", "/tmp/loop-shots"))
TITLE = "Contract testing between teams"
RECORDING = "Recording: contract testing between teams"


@pytest.fixture
def browser() -> Iterator[object]:
    """One Chromium; each person gets a context of their own from `open_as`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
        )
        yield browser
        browser.close()


def open_as(browser: object, base: str, username: str) -> object:
    """A signed-in page for one person, in a context of its own, on their home page."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    # Not the keyboard sign-in of test_browser: with several windows open, only the one in
    # front has the focus its autofocus field asks for.
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    return page


def shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def messages(page: object) -> list[str]:
    return page.locator("ul.messages li").all_inner_texts()


def go_home(page: object) -> None:
    page.get_by_role("link", name="Knowflow", exact=True).click()
    page.wait_for_load_state()


def nav(page: object, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state()


def nav_more(page: object, name: str) -> None:
    """A page under "More" in the header (the role-specific pages, at 1280 px): open the menu,
    then follow the link."""
    bar = page.get_by_role("navigation", name="Main")
    bar.locator("summary", has_text="More").click()
    bar.get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state()


def next_monday_morning() -> datetime:
    """07:00 UTC on the Monday after today: a fixed weekday makes the two working days of
    notice land on Wednesday, and a date near the real one keeps cookies valid in Chromium."""
    today = datetime.now(tz=UTC).date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime.combine(monday, time(7, 0), tzinfo=UTC)


def pick(page: object, field: str, typed: str, name: str) -> None:
    """Type part of a name in a picker, choose the one suggestion with the keyboard, and see
    it shown as a chip."""
    page.get_by_role("combobox", name=field).click()
    page.keyboard.type(typed)
    options = page.get_by_role("listbox", name=field).get_by_role("option")
    options.first.wait_for()
    assert options.count() == 1
    assert name in options.first.inner_text()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # chooses; does not submit the form
    chips = page.get_by_role("list", name=f"Chosen: {field}").get_by_role("listitem")
    assert chips.count() == 1
    assert chips.get_by_role("button").get_attribute("aria-label") == f"Remove {name}"


def check_in_with_button(page: object) -> None:
    """A person going to the date, in the meeting, checks in from the session page reached from
    their registrations on home."""
    go_home(page)
    registrations = page.locator(
        "section", has=page.get_by_role("heading", name="Your registrations")
    )
    registrations.get_by_role("link", name=TITLE).click()
    page.wait_for_load_state()
    page.locator("table.occurrences").get_by_role("button", name="Check in").click()
    page.wait_for_load_state()
    assert messages(page) == ["You are checked in. Thank you for coming!"]
    assert page.locator("table.occurrences .badge", has_text="Attended").count() == 1


def check_in_with_link(page: object, link: str) -> None:
    """A person opens the check-in link (from the QR code or the meeting's chat) and confirms."""
    page.goto(link)
    assert page.locator("h1").inner_text() == "Check in"
    page.get_by_role("button", name="Check me in").click()
    page.wait_for_load_state()
    assert messages(page) == ["You are checked in. Thank you for coming!"]
    assert page.locator("h1").inner_text() == TITLE


def take_attendance(page: object, checked_in: list[Person], attendees: list[Person]) -> None:
    """On the "Who came" checklist the speaker sees who checked in themselves and marks all the
    others present online (the date had no room), in one save."""
    assert page.locator("h1").inner_text() == "Who came"
    rows = page.locator("form.attendance-checklist tbody tr")
    assert rows.count() == len(attendees)
    marked = [
        row.locator("th").inner_text().split(" checked in")[0]
        for row in rows.all()
        if row.locator(".badge", has_text="checked in themselves").count()
    ]
    assert sorted(marked) == sorted(p.display_name for p in checked_in)
    shot(page, "07-who-came")
    page.get_by_role("button", name="All others present online").click()
    page.wait_for_load_state()
    # Ticking those who checked in themselves confirms them (docs/attendance.md): all five count.
    assert messages(page) == [f"Attendance saved: {len(attendees)} recorded, 0 removed."]
    assert (
        page.locator("#attendance-summary")
        .inner_text()
        .startswith(f"{len(attendees)} on the list · {len(attendees)} online.")
    )


def attach_recording(page: object, url: str) -> None:
    """The speaker adds the recording to the library from the session page: the add form
    arrives with the session filled in."""
    page.locator("main").get_by_role("link", name="Add a resource to this session").click()
    page.wait_for_load_state()
    form = page.locator("main form")
    form.get_by_label("Kind").select_option(label="Recording")
    form.get_by_label("Title").fill(RECORDING)
    form.get_by_label("Link").fill(url)
    form.get_by_role("button", name="Save").click()
    page.wait_for_load_state()


def answer_survey(page: object) -> None:
    """An attendee opens the survey waiting on their home page and sends their answers."""
    go_home(page)
    waiting = page.locator("section", has=page.get_by_role("heading", name="Waiting for your"))
    assert waiting.get_by_role("heading").inner_text() == "Waiting for your answer (1)"
    waiting.get_by_role("link", name=f"Rate “{TITLE}”", exact=True).click()
    page.wait_for_load_state()
    for key, value in (("apply_now", "on_my_own"), ("relevance", "now"), ("remember", "most")):
        page.locator(f"input[name='{key}'][value='{value}']").check()
    page.locator("input[name='support'][value='material']").check()
    page.locator("textarea[name='first_step']").fill("Add a contract test to our billing client")
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Thank you"


def seed_survey_templates() -> None:
    # The data migration's templates are gone after a transactional test's flush; these are
    # the same ones, so the loop asks what a fresh installation asks.
    if not SurveyTemplate.objects.exists():
        defaults.seed_default_templates(
            template_model=SurveyTemplate, question_model=Question, now=timezone.now()
        )


@pytest.mark.django_db(transaction=True)
def test_whole_loop_from_proposal_to_recording_through_links_only(live_server, browser) -> None:
    base = live_server.url
    seed_survey_templates()
    with time_machine.travel(next_monday_morning(), tick=True) as clock:
        make_person(name="Erin Enabler", username="erin", role=Person.Role.ENABLER)
        speaker = make_person(name="Sam Speaker", username="sam")
        proposer = make_person(name="Mia Member", username="mia")
        others = [make_person(name=f"Member {n}", username=f"member{n}") for n in range(1, 5)]
        attendees = [proposer, *others]
        # Results show from this many answers on; every attendee answers, so they show.
        assert len(attendees) == settings.KNOWFLOW_FEEDBACK_MIN_GROUP
        circle = make_circle(name="API guild")
        for person in [speaker, *attendees]:
            Membership.objects.create(circle=circle, person=person)

        # 1. A member proposes a session, in their circle, with a colleague as its speaker.
        mia = open_as(browser, base, "mia")
        nav(mia, "Propose")
        mia.get_by_label("Title").fill(TITLE)
        mia.get_by_label("Abstract").fill("Consumer-driven contracts, **without** the pain.")
        mia.get_by_label("Format").select_option(label="Talk")
        pick(mia, "Circle", "API", "API guild")
        pick(mia, "Speakers", "Speak", speaker.display_name)
        mia.get_by_role("button", name="Save").click()
        mia.wait_for_load_state()
        shot(mia, "01-proposed")
        assert messages(mia) == ["Session proposed. Add a date when it is scheduled."]
        assert mia.locator("h1").inner_text() == TITLE
        session = Session.objects.get(title=TITLE)
        assert list(session.speakers.all()) == [speaker]

        # 2. The speaker finds the proposal, finds a time for the circle and creates the date.
        sam = open_as(browser, base, "sam")
        nav(sam, "Sessions")
        sam.get_by_label("When").select_option(label="Proposed (no date yet)")
        sam.get_by_role("button", name="Filter").click()
        sam.wait_for_load_state()
        sam.get_by_role("link", name=TITLE).click()
        sam.wait_for_load_state()
        sam.locator("main").get_by_role("link", name="Find a time").click()
        sam.wait_for_load_state()
        assert sam.locator("h1").inner_text() == f"Find a time for “{TITLE}”"
        sam.get_by_role("button", name="Find times").click()
        sam.wait_for_load_state()
        shot(sam, "02-find-a-time")
        best = sam.locator("ol.proposals > li").first
        assert best.locator("strong").inner_text().count("UTC") == 1
        best.get_by_label("Online link").fill("https://meet.example.org/contracts")
        best.get_by_role("button", name="Create this date").click()
        sam.wait_for_load_state()
        shot(sam, "03-date-created")
        assert messages(sam) == ["1 date scheduled."]
        occurrence = Occurrence.objects.get(session=session)
        # The planner never proposes inside the two working days of notice.
        assert occurrence.start.date() >= (timezone.now() + timedelta(days=2)).date()
        assert sam.locator("table.occurrences td").nth(3).inner_text() == "0 / 50 going"

        # 3. Members register from the suggestions on their home page.
        pages = {"mia": mia}
        for member in attendees:
            page = pages.get(member.user.username) or open_as(browser, base, member.user.username)
            pages[member.user.username] = page
            go_home(page)
            suggested = page.locator("section", has=page.get_by_role("heading", name="Upcoming"))
            suggested.get_by_role("link", name=TITLE).click()
            page.wait_for_load_state()
            page.get_by_role("button", name="Register").click()
            page.wait_for_load_state()
            assert messages(page) == ["You are registered."]
        shot(mia, "04-registered")
        go_home(mia)
        registrations = mia.locator(
            "section", has=mia.get_by_role("heading", name="Your registrations")
        )
        assert registrations.locator("li a").all_inner_texts() == [TITLE]

        # 4. The date starts. The speaker opens the checklist from the to-do on home (it is
        # there from the start of the date) and, from it, the page with the check-in link and QR
        # code to show on the meeting's screen.
        clock.move_to(occurrence.start + timedelta(minutes=5))
        go_home(sam)
        due = sam.locator("section", has=sam.get_by_role("heading", name="Attendance to record"))
        assert due.get_by_role("heading").inner_text() == "Attendance to record (1)"
        due.get_by_role("link", name=f"Record who came: {TITLE}").click()
        sam.wait_for_load_state()
        sam.get_by_role("link", name="Show the check-in link and QR code").click()
        sam.wait_for_load_state()
        shot(sam, "05-check-in-link")
        assert sam.locator("h1").inner_text() == f"Check in: {TITLE}"
        assert sam.get_by_role("img", name="QR code of the check-in link").count() == 1
        link = sam.locator("#checkin-link").get_attribute("href")
        assert link.startswith(f"{base}/sessions/occurrences/{occurrence.pk}/")

        # 5. Two members check in themselves: one with the session page's button, one with the
        # link the speaker shows.
        check_in_with_button(mia)
        shot(mia, "06-checked-in")
        check_in_with_link(pages["member1"], link)
        checked_in = [proposer, others[0]]
        assert sorted(
            Attendance.objects.filter(occurrence=occurrence).values_list(
                "person__display_name", "mode", "self_reported"
            )
        ) == sorted((p.display_name, Attendance.Mode.ONLINE, True) for p in checked_in)

        # 6. The date passes; the speaker records who came from the session page.
        clock.move_to(occurrence.end + timedelta(minutes=45))
        sam.get_by_role("link", name="Back to the session").click()
        sam.wait_for_load_state()
        assert sam.locator("table.occurrences td").nth(3).inner_text() == "5 went"
        sam.locator("table.occurrences").get_by_role("link", name="Who came").click()
        sam.wait_for_load_state()
        take_attendance(sam, checked_in, attendees)
        shot(sam, "07-attendance-saved")
        recorded = Attendance.objects.filter(occurrence=occurrence)
        # The organiser's save replaces the self check-ins: every row is now observed.
        assert sorted(recorded.values_list("person__display_name", "mode", "self_reported")) == (
            sorted((person.display_name, Attendance.Mode.ONLINE, False) for person in attendees)
        )

        # `knowflow worker` runs this pass every minute: it writes the survey requests of the
        # ended date and sends them. Run here, in-process, where the worker would have.
        feedback_tick()
        assert (
            SurveyRequest.objects.filter(
                occurrence=occurrence, status=SurveyRequest.Status.SENT
            ).count()
            == 6
        )  # five attendees' surveys and the speaker's retrospective

        # 7. Every attendee answers the survey waiting on their home page.
        for member in attendees:
            answer_survey(pages[member.user.username])
        shot(mia, "08-survey-answered")
        go_home(mia)
        assert mia.get_by_role("heading", name="Waiting for your answer").count() == 0

        # 8. The speaker reaches the results from home and writes the retrospective.
        go_home(sam)
        given = sam.locator("section", has=sam.get_by_role("heading", name="Feedback on sessions"))
        given.get_by_role("link", name=f"Results: {TITLE}").click()
        sam.wait_for_load_state()
        shot(sam, "09-results")
        assert sam.locator("h1").inner_text() == f"Feedback: {TITLE}"
        in_short = sam.locator("#summary")
        assert in_short.get_by_role("heading", level=2).inner_text() == "In short"
        assert in_short.locator("ul.summary-figures").first.locator("li").all_inner_texts() == [
            "After the session: 5 of 5 answered (100%)"
        ]
        # The survey is anonymous: the speaker's results name none of the people who answered.
        results_text = sam.locator("main").inner_text()
        assert [m.display_name for m in attendees if m.display_name in results_text] == []
        retrospective = sam.locator("#retrospective")
        retrospective.locator("summary", has_text="Retrospective and actions for").click()
        retrospective.get_by_role("link", name="Write or edit the retrospective").click()
        sam.wait_for_load_state()
        sam.get_by_label("What went well").fill("The live demo of a broken contract landed.")
        sam.get_by_role("button", name="Save the retrospective").click()
        sam.wait_for_load_state()
        shot(sam, "10-retrospective")
        assert messages(sam) == ["Retrospective saved (version 1)."]
        assert "The live demo of a broken contract landed." in (
            sam.locator("#retrospective").inner_text()
        )

        # 9. The speaker attaches the recording; a member finds it in the library and search.
        sam.get_by_role("link", name=TITLE, exact=True).first.click()
        sam.wait_for_load_state()
        attach_recording(sam, "https://video.example.org/contracts")
        shot(sam, "11-recording")
        resource = Resource.objects.get(title=RECORDING)
        assert resource.session == session
        nav(mia, "Library")
        latest = mia.locator("main ul.rows > li").first
        assert latest.locator("strong").inner_text() == RECORDING
        assert latest.get_by_role("link", name=TITLE, exact=True).count() == 1
        mia.get_by_role("search").get_by_role("searchbox").fill("contract testing recording")
        mia.keyboard.press("Enter")
        mia.wait_for_load_state()
        shot(mia, "12-search")
        mia.locator("main").get_by_role("link", name=RECORDING).first.click()
        mia.wait_for_load_state()
        assert mia.locator("h1").inner_text() == RECORDING

        # 10. The enabler sees the session in the programme results.
        erin = open_as(browser, base, "erin")
        nav_more(erin, "Programme results")
        shot(erin, "13-programme")
        assert erin.locator("h1").inner_text() == "Programme feedback"
        erin.locator("main").get_by_role("link", name=TITLE).first.click()
        erin.wait_for_load_state()
        assert erin.locator("h1").inner_text() == f"Feedback: {TITLE}"
