"""Calendar feeds and .ics files: parsed back with icalendar and recurring-ical-events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from django.test import Client, override_settings
from django.urls import reverse

from knowflow.circles.models import Membership
from knowflow.events import ical
from knowflow.events.models import Registration, Session
from knowflow.events.services import (
    occurrence_update,
    registration_cancel,
    registration_create,
    session_update,
)
from knowflow.integrations import selectors
from knowflow.integrations.services import calendar_feed_token_regenerate
from knowflow.markdown import markdown_to_text
from tests.conftest import signed_in
from tests.factories import (
    make_circle,
    make_occurrence,
    make_office,
    make_person,
    make_room,
    make_session,
    make_topic,
)

pytestmark = pytest.mark.django_db

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
# The EU changes to summer time on Sunday 31 March 2030, the US on Sunday 10 March 2030.
BERLIN_BEFORE = datetime(2030, 3, 29, 10, 0, tzinfo=BERLIN)  # 09:00 UTC (CET)
BERLIN_AFTER = datetime(2030, 4, 1, 10, 0, tzinfo=BERLIN)  # 08:00 UTC (CEST)
NEW_YORK_AFTER = datetime(2030, 3, 11, 9, 30, tzinfo=NEW_YORK)  # 13:30 UTC (EDT)
ONLINE = datetime(2030, 3, 30, 16, 0, tzinfo=UTC)


def parse(text: str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(text)


def events_by_uid(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def feed_text(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return response.content.decode()


@pytest.fixture
def programme() -> dict[str, object]:
    """A person going to two Berlin dates around the EU DST change, one in New York, one
    online, and speaking at a fifth session."""
    person = make_person(name="Dana Subscriber", tz="Asia/Tokyo")
    berlin_room = make_room(office=make_office("Berlin office", tz="Europe/Berlin"), name="Spree")
    ny_room = make_room(office=make_office("New York office", tz="America/New_York"), name="Hudson")
    talk = make_session(title="Zero-downtime migrations", abstract="How we *migrate*, live.")
    before = make_occurrence(session=talk, start=BERLIN_BEFORE, room=berlin_room, online_url="")
    after = make_occurrence(session=talk, start=BERLIN_AFTER, room=berlin_room)
    ny = make_occurrence(
        session=make_session(title="Postgres at scale"),
        start=NEW_YORK_AFTER,
        room=ny_room,
        online_url="",
    )
    online = make_occurrence(
        session=make_session(title="Remote pairing; tips, tricks"), start=ONLINE
    )
    own = make_occurrence(
        session=make_session(title="My own talk", speakers=[person]),
        start=ONLINE + timedelta(days=7),
    )
    for occurrence in (before, after, ny, online):
        registration_create(occurrence=occurrence, person=person, actor=person)
    token = calendar_feed_token_regenerate(person=person, actor=person)
    return {
        "person": person,
        "token": token,
        "before": before,
        "after": after,
        "ny": ny,
        "online": online,
        "own": own,
        "url": reverse("calendar:person_feed", args=[token.secret]),
    }


def test_person_feed_times_round_trip_exactly_across_dst(programme: dict) -> None:
    text = feed_text(Client(), programme["url"])

    events = events_by_uid(parse(text))
    expected = {
        programme[key]: zone
        for key, zone in (
            ("before", "Europe/Berlin"),
            ("after", "Europe/Berlin"),
            ("ny", "America/New_York"),
            ("online", "UTC"),
            ("own", "UTC"),
        )
    }
    assert sorted(events) == sorted(ical.occurrence_uid(o.pk) for o in expected)
    for occurrence, zone in expected.items():
        event = events[ical.occurrence_uid(occurrence.pk)]
        assert event.start == occurrence.start
        assert event.end == occurrence.end
        assert str(event.start.tzinfo) == zone
    # The same wall-clock time on both sides of the change, one hour apart in UTC.
    before = events[ical.occurrence_uid(programme["before"].pk)]
    after = events[ical.occurrence_uid(programme["after"].pk)]
    assert (before.start.hour, after.start.hour) == (10, 10)
    assert (before.start.astimezone(UTC).hour, after.start.astimezone(UTC).hour) == (9, 8)
    assert "DTSTART;TZID=Europe/Berlin:20300329T100000" in text
    assert "DTSTART;TZID=America/New_York:20300311T093000" in text
    assert "DTSTART:20300330T160000Z" in text


def test_person_feed_expands_identically_with_recurring_ical_events(programme: dict) -> None:
    calendar = parse(feed_text(Client(), programme["url"]))

    found = recurring_ical_events.of(calendar).between(
        datetime(2030, 3, 1, tzinfo=UTC), datetime(2030, 5, 1, tzinfo=UTC)
    )

    starts = sorted((str(event["UID"]), event.start.astimezone(UTC)) for event in found)
    expected = sorted(
        (ical.occurrence_uid(o.pk), o.start)
        for o in (programme[k] for k in ("before", "after", "ny", "online", "own"))
    )
    assert starts == expected


def test_feed_has_a_vtimezone_per_zone_used_and_none_for_utc(programme: dict) -> None:
    calendar = parse(feed_text(Client(), programme["url"]))

    assert sorted(tz.tz_name for tz in calendar.timezones) == ["America/New_York", "Europe/Berlin"]
    assert calendar.get_missing_tzids() == set()
    berlin = next(tz for tz in calendar.timezones if tz.tz_name == "Europe/Berlin")
    # The component itself says when Berlin changes: what a client without a tz database uses.
    local = berlin.to_tz()
    assert datetime(2030, 3, 29, 10, tzinfo=local).utcoffset() == timedelta(hours=1)
    assert datetime(2030, 4, 1, 10, tzinfo=local).utcoffset() == timedelta(hours=2)
    assert calendar["X-WR-CALNAME"] == "Knowflow: Dana Subscriber"
    assert calendar["REFRESH-INTERVAL"].to_ical() == b"PT1H"


@override_settings(KNOWFLOW_BASE_URL="https://learn.example.org")
def test_event_carries_location_conference_url_and_description(programme: dict) -> None:
    events = events_by_uid(parse(feed_text(Client(), programme["url"])))
    after = programme["after"]
    hybrid = events[f"occurrence-{after.pk}@learn.example.org"]
    session_page = f"https://learn.example.org/sessions/{after.session.slug}/"

    assert hybrid["SUMMARY"] == "Zero-downtime migrations"
    assert hybrid["LOCATION"] == "Spree, Berlin office (and online)"
    assert hybrid["DESCRIPTION"] == f"How we migrate, live.\n\n{session_page}"  # Markdown rendered
    assert hybrid["URL"] == "https://meet.example.org/x"
    conference = hybrid["CONFERENCE"]
    assert conference == "https://meet.example.org/x"
    assert (conference.params["VALUE"], conference.params["FEATURE"]) == ("URI", "VIDEO")
    assert hybrid["STATUS"] == "CONFIRMED"
    assert hybrid["SEQUENCE"] == 0
    in_room = events[f"occurrence-{programme['ny'].pk}@learn.example.org"]
    assert in_room["LOCATION"] == "Hudson, New York office"
    assert in_room["URL"] == f"https://learn.example.org/sessions/{programme['ny'].session.slug}/"
    assert "CONFERENCE" not in in_room
    online = events[f"occurrence-{programme['online'].pk}@learn.example.org"]
    assert online["SUMMARY"] == "Remote pairing; tips, tricks"
    assert online["LOCATION"] == "Online"


def test_sequence_rises_on_a_move_but_not_on_a_capacity_change(programme: dict) -> None:
    speaker = programme["after"].session.speakers.get()
    url = programme["url"]

    occurrence_update(occurrence=programme["after"], actor=speaker, capacity=30)
    unchanged = events_by_uid(parse(feed_text(Client(), url)))
    occurrence_update(
        occurrence=programme["after"],
        actor=speaker,
        start=BERLIN_AFTER + timedelta(hours=2),
        end=BERLIN_AFTER + timedelta(hours=3),
    )
    occurrence_update(
        occurrence=programme["after"], actor=speaker, online_url="https://meet.example.org/y"
    )
    moved = events_by_uid(parse(feed_text(Client(), url)))

    uid = ical.occurrence_uid(programme["after"].pk)
    assert unchanged[uid]["SEQUENCE"] == 0
    assert moved[uid]["SEQUENCE"] == 2
    assert moved[uid].start == datetime(2030, 4, 1, 12, 0, tzinfo=BERLIN)
    assert moved[uid]["URL"] == "https://meet.example.org/y"


def test_cancelled_session_shows_status_cancelled_with_a_higher_sequence(programme: dict) -> None:
    session = programme["before"].session
    session_update(session=session, actor=session.speakers.get(), status=Session.Status.CANCELLED)

    events = events_by_uid(parse(feed_text(Client(), programme["url"])))

    for key in ("before", "after"):
        event = events[ical.occurrence_uid(programme[key].pk)]
        assert (event["STATUS"], event["SEQUENCE"]) == ("CANCELLED", 1)
    assert events[ical.occurrence_uid(programme["ny"].pk)]["STATUS"] == "CONFIRMED"


def test_waitlisted_place_is_tentative_and_a_cancelled_one_leaves_the_feed(programme: dict) -> None:
    person = programme["person"]
    full = make_occurrence(start=ONLINE + timedelta(days=1), capacity=1)
    registration_create(occurrence=full, person=make_person(), actor=make_person(role="enabler"))
    registration_create(occurrence=full, person=person, actor=person)
    registration_cancel(occurrence=programme["ny"], person=person, actor=person)

    events = events_by_uid(parse(feed_text(Client(), programme["url"])))

    assert events[ical.occurrence_uid(full.pk)]["STATUS"] == "TENTATIVE"
    assert ical.occurrence_uid(programme["ny"].pk) not in events


def test_regenerating_revokes_the_old_address(programme: dict) -> None:
    person, old_url = programme["person"], programme["url"]
    client = signed_in(person)

    response = client.post(reverse("calendar:regenerate"))

    assert response.status_code == 302
    new_secret = selectors.feed_token_for(person=person).secret
    assert new_secret != programme["token"].secret
    gone = Client().get(old_url)
    assert (gone.status_code, gone.content) == (404, b"There is no calendar feed at this address.")
    assert (
        Client()
        .get(reverse("calendar:circle_feed", args=[programme["token"].secret, "x"]))
        .status_code
        == 404
    )
    assert Client().get(reverse("calendar:person_feed", args=[new_secret])).status_code == 200


def test_profile_page_shows_the_feed_addresses_and_creates_one_on_request() -> None:
    person = make_person()
    circle = make_circle(name="Data Guild")
    Membership.objects.create(circle=circle, person=person)
    client = signed_in(person)

    before = client.get(reverse("accounts:profile")).content.decode()
    client.post(reverse("calendar:regenerate"))
    after = client.get(reverse("accounts:profile")).content.decode()

    assert "Create my calendar feed" in before
    secret = selectors.feed_token_for(person=person).secret
    assert f"webcal://127.0.0.1:8000/calendar/feed/{secret}.ics" in after
    assert f"http://127.0.0.1:8000/calendar/feed/{secret}.ics" in after
    assert f"http://127.0.0.1:8000/calendar/feed/{secret}/circles/{circle.slug}.ics" in after
    assert "Regenerate (the old addresses stop working)" in after


def test_circle_and_topic_feeds_list_their_sessions(programme: dict) -> None:
    circle, topic = make_circle(name="Platform Guild"), make_topic("Databases")
    in_circle = make_occurrence(session=make_session(circle=circle), start=ONLINE)
    tagged = make_session()
    tagged.topics.set([topic])
    with_topic = make_occurrence(
        session=tagged, start=BERLIN_AFTER, room=programme["after"].room, online_url=""
    )
    make_occurrence(start=ONLINE)  # in neither
    secret = programme["token"].secret

    circle_events = events_by_uid(
        parse(feed_text(Client(), reverse("calendar:circle_feed", args=[secret, circle.slug])))
    )
    topic_events = events_by_uid(
        parse(feed_text(Client(), reverse("calendar:topic_feed", args=[secret, topic.slug])))
    )

    assert list(circle_events) == [ical.occurrence_uid(in_circle.pk)]
    assert list(topic_events) == [ical.occurrence_uid(with_topic.pk)]
    assert topic_events[ical.occurrence_uid(with_topic.pk)].start == BERLIN_AFTER


def test_occurrence_download_needs_sign_in_and_holds_one_event(programme: dict) -> None:
    occurrence = programme["before"]
    url = reverse("calendar:occurrence", args=[occurrence.pk])

    anonymous = Client().get(url)
    response = signed_in(make_person()).get(url)

    assert anonymous.status_code == 302
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="{occurrence.session.slug}-{occurrence.pk}.ics"'
    )
    calendar = parse(response.content.decode())
    [event] = calendar.walk("VEVENT")
    assert (str(event["UID"]), event.start) == (ical.occurrence_uid(occurrence.pk), BERLIN_BEFORE)
    assert (
        signed_in(make_person()).get(reverse("calendar:occurrence", args=[999999])).status_code
        == 404
    )


def test_session_page_links_each_date_to_its_ics(programme: dict) -> None:
    session = programme["before"].session

    page = (
        signed_in(programme["person"])
        .get(reverse("events:session", args=[session.slug]))
        .content.decode()
    )

    for key in ("before", "after"):
        assert f'href="/calendar/occurrences/{programme[key].pk}.ics"' in page


def test_long_non_ascii_text_folds_at_75_octets_and_round_trips() -> None:
    title = "Ünïcödé ✨ " * 30 + "\\n;," + "é" * 80
    occurrence = make_occurrence(session=make_session(title=title[:200]), start=ONLINE)

    text = ical.calendar_text([ical.CalendarEvent.from_occurrence(occurrence)], name="x")

    assert max(len(line.encode()) for line in text.split("\r\n")) <= 75
    [event] = parse(text).walk("VEVENT")
    assert event["SUMMARY"] == title[:200]


def test_person_feed_costs_two_queries_whatever_its_size(
    programme: dict, django_assert_num_queries: object
) -> None:
    person = programme["person"]
    for n in range(15):
        occurrence = make_occurrence(start=ONLINE + timedelta(days=n + 1))
        Registration.objects.create(
            occurrence=occurrence, person=person, status="going", requested_at=ONLINE
        )
    client = Client()

    with django_assert_num_queries(2):  # the secret, then the occurrences
        text = feed_text(client, programme["url"])

    assert len(parse(text).walk("VEVENT")) == 20


def test_api_returns_the_feed_urls_and_regenerates_them(programme: dict) -> None:
    person = programme["person"]
    circle = make_circle()
    client = signed_in(person)

    mine = client.get("/api/v1/calendar/me").json()
    renewed = client.post("/api/v1/calendar/me/regenerate").json()
    circle_feed = client.get(f"/api/v1/calendar/circles/{circle.pk}").json()
    nobody = signed_in(make_person()).get("/api/v1/calendar/me")

    secret = programme["token"].secret
    assert mine["https"] == f"http://127.0.0.1:8000/calendar/feed/{secret}.ics"
    assert mine["webcal"] == f"webcal://127.0.0.1:8000/calendar/feed/{secret}.ics"
    new_secret = selectors.feed_token_for(person=person).secret
    assert renewed["https"] == f"http://127.0.0.1:8000/calendar/feed/{new_secret}.ics"
    assert (
        circle_feed["webcal"]
        == f"webcal://127.0.0.1:8000/calendar/feed/{new_secret}/circles/{circle.slug}.ics"
    )
    assert (nobody.status_code, nobody.json()["detail"]) == (
        404,
        "You have no calendar feed yet: POST /api/v1/calendar/me/regenerate.",
    )


@pytest.mark.parametrize(
    "text",
    ["a;b,c\\d", "two\nlines\r\nand\rmore", "ends with a backslash \\", "x" * 74 + "\\;" * 40],
)
def test_text_escaping_matches_icalendar_and_round_trips(text: str) -> None:
    occurrence = make_occurrence(
        session=make_session(title=text[:200], abstract=text), start=ONLINE
    )

    written = ical.calendar_text([ical.CalendarEvent.from_occurrence(occurrence)], name="x")

    assert ical.text_value(text) == icalendar.vText(text).to_ical().decode()
    assert max(len(line.encode()) for line in written.split("\r\n")) <= 75
    [event] = parse(written).walk("VEVENT")
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    assert event["SUMMARY"] == normalised[:200]
    # DESCRIPTION is the abstract's Markdown rendered to text ("\\;" is an escaped ";").
    assert event["DESCRIPTION"].startswith(markdown_to_text(text))
