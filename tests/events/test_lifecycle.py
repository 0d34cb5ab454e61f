"""A session's life as the clock has it: past dates take no registration, attendance waits
for the start, a session is done after its last date, and cancelling asks first and then
shows everywhere. Time "moves" by moving a date's start and end."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import icalendar
import pytest
from django.test import Client
from django.utils import timezone

from knowflow.accounts.services import api_token_create
from knowflow.events.models import Occurrence, Registration, Session
from knowflow.events.services import registration_create, session_create
from knowflow.mail.models import OutboxMessage
from tests.conftest import signed_in
from tests.factories import make_occurrence, make_person, make_session

pytestmark = pytest.mark.django_db


class _DatesTable(HTMLParser):
    """The text of each cell of the session page's "Dates" table, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._inside = self._cell = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table" and ("class", "occurrences") in attrs:
            self._inside = True
        elif self._inside and tag == "tr":
            self.rows.append([])
        elif self._inside and tag == "td":
            self._cell = True
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._inside = False
        elif tag == "td":
            self._cell = False

    def handle_data(self, data: str) -> None:
        if self._inside and self._cell:
            self.rows[-1][-1] += data


def date_rows(html: str) -> list[list[str]]:
    parser = _DatesTable()
    parser.feed(html)
    return [[" ".join(cell.split()) for cell in row] for row in parser.rows if row]


def _places_and_actions(client: Client, session: Session) -> list[tuple[str, str]]:
    """For each date: the "Places" cell and the actions cell, as a person reads them."""
    html = client.get(f"/sessions/{session.slug}/").content.decode()
    return [(row[3], row[4]) for row in date_rows(html)]


def _move(occurrence: Occurrence, *, started_minutes_ago: int, minutes: int = 60) -> None:
    start = timezone.now() - timedelta(minutes=started_minutes_ago)
    Occurrence.objects.filter(pk=occurrence.pk).update(
        start=start, end=start + timedelta(minutes=minutes)
    )


def _api(person: object) -> Client:
    _, secret = api_token_create(person=person, name="lifecycle")
    return Client(headers={"Authorization": f"Bearer {secret}"})


def _state() -> tuple:
    return (
        sorted(Registration.objects.values_list("person_id", "occurrence_id", "status")),
        OutboxMessage.objects.count(),
    )


# --- past dates ------------------------------------------------------------------------------


def test_past_date_offers_no_register_or_cancel_and_refuses_both() -> None:
    speaker, going, newcomer = make_person(), make_person(), make_person()
    session = make_session(speakers=[speaker], title="Observability 101")
    occurrence = make_occurrence(session=session, capacity=24)
    registration_create(occurrence=occurrence, person=going, actor=going)
    _move(occurrence, started_minutes_ago=120)  # it ended an hour ago
    before = _state()

    assert _places_and_actions(signed_in(going), session) == [("1 went", "Over")]
    assert _places_and_actions(signed_in(newcomer), session) == [("1 went", "Over")]
    # The speaker is offered neither "Change this date" nor "Cancel this date" any more.
    # Its speaker can still record who came.
    assert _places_and_actions(signed_in(speaker), session) == [("1 went", "Over Who came")]

    register = signed_in(newcomer).post(
        f"/sessions/occurrences/{occurrence.pk}/register/", follow=True
    )
    give_up = signed_in(going).post(f"/sessions/occurrences/{occurrence.pk}/cancel/", follow=True)
    api_register = _api(newcomer).post(
        "/api/v1/registrations/",
        data={"occurrence_id": occurrence.pk},
        content_type="application/json",
    )
    registration = Registration.objects.get(person=going)
    api_give_up = _api(going).patch(
        f"/api/v1/registrations/{registration.pk}",
        data={"status": "cancelled"},
        content_type="application/json",
    )

    assert re.findall(r'<li class="error">(.*?)</li>', register.content.decode()) == [
        "This date is over; registration is closed."
    ]
    assert re.findall(r'<li class="error">(.*?)</li>', give_up.content.decode()) == [
        "This date has started; a place can no longer be given up."
    ]
    assert (api_register.status_code, api_register.json()) == (
        400,
        {"detail": "This date is over; registration is closed.", "field": None},
    )
    assert (api_give_up.status_code, api_give_up.json()) == (
        400,
        {"detail": "This date has started; a place can no longer be given up.", "field": None},
    )
    assert _state() == before


def test_date_under_way_takes_late_registrations_but_no_longer_gives_places_up() -> None:
    session = make_session()
    occurrence = make_occurrence(session=session, capacity=24)
    going, late = make_person(), make_person()
    registration_create(occurrence=occurrence, person=going, actor=going)
    _move(occurrence, started_minutes_ago=10)

    # Under way: the person going can check themselves in.
    assert _places_and_actions(signed_in(going), session) == [("1 / 24 going", "Going Check in")]
    assert _places_and_actions(signed_in(late), session) == [("1 / 24 going", "Register")]


def test_upcoming_date_offers_register_and_cancel_my_place() -> None:
    session = make_session()
    occurrence = make_occurrence(session=session, capacity=24)
    going, other = make_person(), make_person()
    registration_create(occurrence=occurrence, person=going, actor=going)

    assert _places_and_actions(signed_in(going), session) == [
        ("1 / 24 going", "Going Cancel my place")
    ]
    assert _places_and_actions(signed_in(other), session) == [("1 / 24 going", "Register")]


# --- attendance ------------------------------------------------------------------------------


def test_record_attendance_is_offered_once_a_date_has_started() -> None:
    speaker, learner = make_person(), make_person(name="Lee Learner")
    session = make_session(speakers=[speaker])
    make_occurrence(session=session, start=timezone.now() + timedelta(days=9))  # next week
    occurrence = make_occurrence(session=session)
    registration_create(occurrence=occurrence, person=learner, actor=learner)
    client = signed_in(speaker)

    before = client.get(f"/sessions/{session.slug}/").content.decode()
    _move(occurrence, started_minutes_ago=5)
    after = client.get(f"/sessions/{session.slug}/").content.decode()

    assert ">Who came</a>" not in before
    # One checklist link, for the date that began; none for the date next week.
    assert re.findall(r'href="/sessions/occurrences/(\d+)/checklist/">Who came</a>', after) == [
        str(occurrence.pk)
    ]


# --- done after the last date ----------------------------------------------------------------


def test_session_is_done_after_its_last_date_on_the_page_the_api_and_the_catalogue() -> None:
    speaker = make_person()
    session = make_session(speakers=[speaker], title="Lifecycle demo")
    first = make_occurrence(session=session)
    last = make_occurrence(session=session, start=timezone.now() + timedelta(days=5))
    Session.objects.filter(pk=session.pk).update(status=Session.Status.SCHEDULED)
    client, api = signed_in(speaker), _api(speaker)

    def seen() -> tuple:
        page = client.get(f"/sessions/{session.slug}/").content.decode()
        badge = re.search(r'<span class="badge">(\w+)</span>\s*\n', page).group(1)
        upcoming = client.get("/sessions/?when=upcoming").content.decode()
        past = client.get("/sessions/?when=past").content.decode()
        return (
            badge,
            api.get(f"/api/v1/sessions/{session.pk}").json()["status"],
            [s["id"] for s in api.get("/api/v1/sessions/?status=done").json()["items"]],
            [s["id"] for s in api.get("/api/v1/sessions/?status=scheduled").json()["items"]],
            upcoming.count("<strong>Lifecycle demo</strong>"),
            past.count("<strong>Lifecycle demo</strong>"),
        )

    assert seen() == ("Scheduled", "scheduled", [], [session.pk], 2, 0)
    _move(first, started_minutes_ago=90)
    assert seen() == ("Scheduled", "scheduled", [], [session.pk], 1, 1)
    _move(last, started_minutes_ago=61)
    assert seen() == ("Done", "done", [session.pk], [], 0, 2)
    # The stored status is left alone: "done" is how the clock reads it.
    assert Session.objects.get(pk=session.pk).status == Session.Status.SCHEDULED


# --- cancelling a date -----------------------------------------------------------------------


def test_cancel_date_asks_first_says_who_is_told_and_changes_nothing() -> None:
    speaker, co_speaker = make_person(name="Sam Speaker"), make_person(name="Cy Cospeaker")
    session = make_session(speakers=[speaker], title="Chaos engineering")
    occurrence = make_occurrence(session=session, capacity=3)
    # Three going (the co-speaker among them, told once, as an attendee), one waiting. A
    # speaker cannot register; the co-speaker registered before being named one.
    first, second, waiting = make_person(), make_person(), make_person()
    for person in (first, co_speaker, second, waiting):
        registration_create(occurrence=occurrence, person=person, actor=person)
    session.speakers.add(co_speaker)
    before = _state()
    client = signed_in(speaker)

    page = client.get(f"/sessions/{session.slug}/").content.decode()
    confirm = client.get(f"/sessions/occurrences/{occurrence.pk}/cancel-date/").content.decode()

    # The session page links to the confirmation; it holds no form that cancels in one click.
    assert f'<a href="/sessions/occurrences/{occurrence.pk}/cancel-date/">Cancel this date</a>' in (
        page
    )
    assert 'method="post" action="/sessions/occurrences/' + str(
        occurrence.pk
    ) + "/cancel-date/" not in (page)
    assert "<h1>Cancel this date?</h1>" in confirm
    audience = re.search(r'<p id="cancel-audience">(.*?)</p>', confirm).group(1)
    assert audience == (
        "3 people going and 1 speaker will get an email that removes it from their calendar. "
        "1 person on the waiting list is not emailed."
    )
    # The destructive action is the page's one button.
    main = confirm[confirm.index("<main") : confirm.index("</main>")]
    assert re.findall(r"<button[^>]*>(.*?)</button>", main) == ["Cancel this date"]
    assert '<button class="danger">Cancel this date</button>' in confirm
    assert Occurrence.objects.get(pk=occurrence.pk).cancelled_at is None
    assert _state() == before

    # What the page said is what happens.
    client.post(f"/sessions/occurrences/{occurrence.pk}/cancel-date/")
    emailed = OutboxMessage.objects.filter(kind="events.cancellation")
    assert sorted(emailed.values_list("recipient", flat=True)) == sorted(
        p.email for p in (first, co_speaker, second, speaker)
    )


def test_cancelled_date_shows_as_cancelled_on_the_page_and_in_the_feed() -> None:
    speaker, going = make_person(), make_person()
    session = make_session(speakers=[speaker], title="Chaos engineering")
    occurrence = make_occurrence(session=session, capacity=24)
    registration_create(occurrence=occurrence, person=going, actor=going)

    home_before = signed_in(going).get("/").content.decode()
    done = signed_in(speaker).post(
        f"/sessions/occurrences/{occurrence.pk}/cancel-date/", follow=True
    )
    home_after = signed_in(going).get("/").content.decode()
    api = _api(going).get(f"/api/v1/occurrences/{occurrence.pk}").json()
    html = signed_in(going).get(f"/sessions/{session.slug}/").content.decode()
    feed = signed_in(going).get(f"/calendar/occurrences/{occurrence.pk}.ics")

    assert re.findall(r'<li class="success">(.*?)</li>', done.content.decode()) == [
        "The date is cancelled; everyone going and the speakers are told."
    ]
    assert _places_and_actions(signed_in(going), session) == [("–", "Cancelled")]
    assert "Add to calendar" not in html
    assert "Register" not in html
    assert "going" not in date_rows(html)[0][3]
    # Home no longer lists it among my registrations; the API says when it was cancelled.
    assert (home_before.count("Chaos engineering"), home_after.count("Chaos engineering")) == (1, 0)
    assert api["cancelled_at"] is not None
    assert api["cancelled_at"] == Occurrence.objects.get(pk=occurrence.pk).cancelled_at.isoformat(
        timespec="milliseconds"
    ).replace("+00:00", "Z")
    (event,) = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
    emailed = OutboxMessage.objects.filter(kind="events.cancellation")
    assert sorted(emailed.values_list("recipient", flat=True)) == sorted(
        [going.email, speaker.email]
    )


def test_cancel_date_page_refuses_who_may_not_and_changes_nothing() -> None:
    occurrence = make_occurrence(session=make_session(title="Chaos engineering"))
    member = make_person()
    before = _state()

    asked = signed_in(member).get(f"/sessions/occurrences/{occurrence.pk}/cancel-date/")
    posted = signed_in(member).post(f"/sessions/occurrences/{occurrence.pk}/cancel-date/")

    message = (
        "<h1>Not allowed</h1><p>Only the session&#x27;s speakers, its circle&#x27;s champions "
        "and enablers can cancel a date.</p>"
    )
    assert (asked.status_code, message in asked.content.decode()) == (403, True)
    assert (posted.status_code, message in posted.content.decode()) == (403, True)
    assert Occurrence.objects.get(pk=occurrence.pk).cancelled_at is None
    assert _state() == before


# --- cancelling a session --------------------------------------------------------------------


def test_cancel_session_asks_first_then_every_date_shows_cancelled() -> None:
    speaker = make_person(name="Sam Speaker")
    session = make_session(speakers=[speaker], title="Chaos engineering")
    first = make_occurrence(session=session, capacity=24)
    second = make_occurrence(session=session, start=timezone.now() + timedelta(days=8))
    past = make_occurrence(session=session, start=timezone.now() + timedelta(days=1))
    attendee = make_person()
    for occurrence in (first, second):
        registration_create(occurrence=occurrence, person=attendee, actor=attendee)
    _move(past, started_minutes_ago=24 * 60)
    Session.objects.filter(pk=session.pk).update(status=Session.Status.SCHEDULED)
    client = signed_in(speaker)
    before = _state()

    page = client.get(f"/sessions/{session.slug}/").content.decode()
    confirm = client.get(f"/sessions/{session.slug}/cancel/").content.decode()

    assert f'<a href="/sessions/{session.slug}/cancel/">Cancel this session</a>' in page
    assert "<h1>Cancel this session?</h1>" in confirm
    assert len(re.findall(r"<li><time", confirm)) == 2  # the two upcoming dates, not the past one
    assert re.search(r'<p id="cancel-audience">(.*?)</p>', confirm).group(1) == (
        "1 person going and 1 speaker will get an email that removes it from their calendar."
    )
    assert '<button class="danger">Cancel this session</button>' in confirm
    assert _state() == before
    assert Session.objects.get(pk=session.pk).status == Session.Status.SCHEDULED

    client.post(f"/sessions/{session.slug}/cancel/")
    after = client.get(f"/sessions/{session.slug}/").content.decode()

    assert Session.objects.get(pk=session.pk).status == Session.Status.CANCELLED
    assert _places_and_actions(signed_in(attendee), session) == [
        ("–", "Cancelled"),
        ("–", "Cancelled"),
        ("–", "Cancelled"),
    ]
    assert "Cancel this session" not in after
    assert "Add to calendar" not in after


# --- words for people ------------------------------------------------------------------------


def test_session_page_names_format_language_and_state_in_words() -> None:
    session = make_session(title="Rust in production")
    Session.objects.filter(pk=session.pk).update(
        format=Session.Format.COURSE_MODULE, language="pt-br"
    )
    other = make_session(title="Ask the SRE team")
    Session.objects.filter(pk=other.pk).update(format=Session.Format.AMA, language="en")
    client = signed_in(make_person())

    def meta(slug: str) -> str:
        html = client.get(f"/sessions/{slug}/").content.decode()
        line = re.search(r'<p class="meta">(.*?)</span>', html, re.S).group(1)
        return " ".join(re.sub(r"<[^>]+>", "", line).split())

    assert meta(session.slug) == "Course module · Introductory · Brazilian Portuguese · Proposed"
    assert meta(other.slug) == "Ask me anything · Introductory · English · Proposed"


def test_edit_form_names_languages_and_leaves_cancelling_to_the_confirmation_page() -> None:
    speaker = make_person()
    session = make_session(speakers=[speaker], title="Rust in production")
    Session.objects.filter(pk=session.pk).update(language="de")
    client = signed_in(speaker)

    def options(html: str, name: str) -> tuple[list[str], list[str]]:
        select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
        return (
            re.findall(r"<option [^>]*>(.*?)</option>", select),
            re.findall(r"<option [^>]*selected>(.*?)</option>", select),
        )

    form = client.get(f"/sessions/{session.slug}/edit/").content.decode()
    statuses, current = options(form, "status")
    languages, language = options(form, "language")

    assert (statuses, current) == (["Proposed", "Scheduled", "Done"], ["Proposed"])
    assert language == ["German"]
    assert languages[:3] == ["Afrikaans", "Albanian", "Algerian Arabic"]
    # A cancelled session keeps "Cancelled" in its form, so it can be kept or reinstated.
    Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)
    cancelled = client.get(f"/sessions/{session.slug}/edit/").content.decode()
    assert options(cancelled, "status") == (
        ["Proposed", "Scheduled", "Done", "Cancelled"],
        ["Cancelled"],
    )


def test_search_names_a_sessions_format_and_language_in_words() -> None:
    speaker = make_person()
    session_create(
        actor=speaker, title="Ownership in Rust", format="course_module", language="pt-br"
    )

    html = signed_in(speaker).get("/search/", {"q": "ownership"}).content.decode()

    # The session, then its speaker (a person: no date, no format).
    assert re.findall(r'<div class="meta">(.*?)</div>', html) == [" · Course module", ""]
    language = re.search(r"<h2>Language</h2>\s*<ul>(.*?)</ul>", html, re.S).group(1)
    assert re.findall(r'<a href="[^"]*">(.*?)</a>', language) == ["Brazilian Portuguese"]
