"""Choosing the room when a date is added or changed by hand: the form offers the rooms free at
the typed time and large enough for the expected in-room audience, best first, each with why;
the service still refuses a taken room posted anyway, naming the booking in the viewer's zone."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowflow.circles.models import Membership
from knowflow.events.models import Occurrence
from knowflow.events.planning.audience import Audience
from knowflow.events.planning.rooms import room_options, suggested_room
from knowflow.events.services import occurrence_cancel, occurrence_create, registration_create
from knowflow.mail.models import OutboxMessage
from tests.conftest import signed_in
from tests.factories import (
    make_circle,
    make_occurrence,
    make_office,
    make_person,
    make_room,
    make_session,
)

pytestmark = pytest.mark.django_db

START = datetime(2030, 6, 3, 10, 0, tzinfo=UTC)  # a Monday; 11:00 in Lisbon (WEST)
OPTION = re.compile(r'<option value="([^"]*)"([^>]*)>([^<]*)</option>')
GROUP = re.compile(r'<optgroup label="([^"]*)">(.*?)</optgroup>', re.S)


def room_groups(page: str) -> dict[str, list[str]]:
    """The room select as the viewer reads it: each group's option labels, in order."""
    select = re.search(r'<select name="room"[^>]*>(.*?)</select>', page, re.S).group(1)
    return {
        html.unescape(label): [html.unescape(text) for _, _, text in OPTION.findall(body)]
        for label, body in GROUP.findall(select)
    }


def selected_room(page: str) -> str:
    select = re.search(r'<select name="room"[^>]*>(.*?)</select>', page, re.S).group(1)
    [label] = [html.unescape(t) for _, attrs, t in OPTION.findall(select) if "selected" in attrs]
    return label


def disabled_rooms(page: str) -> list[str]:
    select = re.search(r'<select name="room"[^>]*>(.*?)</select>', page, re.S).group(1)
    return [html.unescape(t) for _, attrs, t in OPTION.findall(select) if "disabled" in attrs]


def room_help(page: str) -> str:
    return html.unescape(
        re.search(r'<div class="helptext" id="id_room_helptext">([^<]*)</div>', page).group(1)
    )


def room_errors(page: str) -> list[str]:
    errors = re.search(r'<ul class="errorlist" id="id_room_error">(.*?)</ul>', page, re.S)
    return (
        [html.unescape(e) for e in re.findall(r"<li>([^<]*)</li>", errors.group(1))]
        if errors
        else []
    )


@pytest.fixture
def lisbon_setup() -> dict:
    """A circle's session whose audience works mostly in Lisbon (4 people) and in Berlin (1)."""
    lisbon = make_office("Lisbon", tz="Europe/Lisbon")
    berlin = make_office("Berlin", tz="Europe/Berlin")
    speaker = make_person(name="Sofia Speaker", tz="Europe/Lisbon", office=lisbon)
    circle = make_circle(name="Data guild")
    for person in [
        *(make_person(office=lisbon) for _ in range(3)),
        make_person(office=berlin),
        make_person(),  # no office: counted nowhere
    ]:
        Membership.objects.create(circle=circle, person=person)
    session = make_session(speakers=[speaker], title="Lakehouse patterns", circle=circle)
    rooms = {
        "Tagus": make_room(office=lisbon, name="Tagus", capacity=30),
        "Alfama": make_room(office=lisbon, name="Alfama", capacity=6),
        "Box": make_room(office=lisbon, name="Box", capacity=2),
        "Belem": make_room(office=lisbon, name="Belem", capacity=50),
        "Spree": make_room(office=berlin, name="Spree", capacity=10),
    }
    booking = make_occurrence(
        session=make_session(title="Kafka basics"),
        start=START - timedelta(minutes=30),
        room=rooms["Belem"],
    )
    return {"speaker": speaker, "session": session, "rooms": rooms, "booking": booking}


def form_data(**changes: object) -> dict:
    data = {
        "start": "2030-06-03T10:00",
        "end": "2030-06-03T11:00",
        "zone": "UTC",
        "room": "",
        "online_url": "https://meet.example.org/lakehouse",
        "capacity": "20",
    }
    data.update(changes)
    return data


def test_check_rooms_offers_free_large_enough_rooms_best_first_with_reasons(
    lisbon_setup: dict,
) -> None:
    session = lisbon_setup["session"]
    client = signed_in(lisbon_setup["speaker"])

    response = client.post(f"/sessions/{session.slug}/occurrences/new/", form_data(check_rooms="1"))

    page = response.content.decode()
    assert response.status_code == 200
    assert room_groups(page) == {
        "Free and large enough, best first": [
            "Alfama, Lisbon · 6 seats · free · 4 people of the audience here · suggested",
            "Tagus, Lisbon · 30 seats · free · 4 people of the audience here",
            "Spree, Berlin · 10 seats · free · 1 person of the audience here",
        ],
        "Not available then": [
            "Belem, Lisbon · 50 seats · taken: “Kafka basics” Mon 3 Jun 10:30–11:30 "
            "(Europe/Lisbon) · 4 people of the audience here",
            "Box, Lisbon · 2 seats · too small: 4 seats needed · 4 people of the audience here",
        ],
    }
    assert disabled_rooms(page) == room_groups(page)["Not available then"]
    assert selected_room(page) == (
        "Alfama, Lisbon · 6 seats · free · 4 people of the audience here · suggested"
    )
    # Typed in UTC, shown in the viewer's zone (Lisbon is UTC+1 in June).
    assert room_help(page) == (
        "3 of 5 rooms are free and large enough on Mon 3 Jun 2030, 11:00–12:00 "
        "(Europe/Lisbon): in the office where most of the expected audience works first, "
        "then the smallest that fits."
    )
    assert room_errors(page) == []
    assert Occurrence.objects.filter(session=session).count() == 0


def test_without_an_online_link_every_place_needs_a_seat(lisbon_setup: dict) -> None:
    session = lisbon_setup["session"]
    client = signed_in(lisbon_setup["speaker"])

    response = client.post(
        f"/sessions/{session.slug}/occurrences/new/",
        form_data(online_url="", check_rooms="1"),
    )

    groups = room_groups(response.content.decode())
    assert groups["Free and large enough, best first"] == [
        "Tagus, Lisbon · 30 seats · free · 4 people of the audience here · suggested"
    ]
    assert groups["Not available then"] == [
        "Alfama, Lisbon · 6 seats · too small: 20 seats needed · 4 people of the audience here",
        "Belem, Lisbon · 50 seats · taken: “Kafka basics” Mon 3 Jun 10:30–11:30 "
        "(Europe/Lisbon) · 4 people of the audience here",
        "Box, Lisbon · 2 seats · too small: 20 seats needed · 4 people of the audience here",
        "Spree, Berlin · 10 seats · too small: 20 seats needed · 1 person of the audience here",
    ]


def test_checking_with_a_taken_room_chosen_says_why_and_picks_the_suggested_one(
    lisbon_setup: dict,
) -> None:
    session = lisbon_setup["session"]
    client = signed_in(lisbon_setup["speaker"])

    response = client.post(
        f"/sessions/{session.slug}/occurrences/new/",
        form_data(room=lisbon_setup["rooms"]["Belem"].pk, check_rooms="1"),
    )

    page = response.content.decode()
    assert room_errors(page) == [
        "Belem is taken: “Kafka basics” Mon 3 Jun 10:30–11:30 (Europe/Lisbon). "
        "Suggested instead: Alfama, Lisbon."
    ]
    assert selected_room(page).startswith("Alfama, Lisbon")
    assert Occurrence.objects.filter(session=session).count() == 0


def test_posting_a_taken_room_anyway_is_refused_naming_the_booking_and_writes_nothing(
    lisbon_setup: dict,
) -> None:
    session = lisbon_setup["session"]
    client = signed_in(lisbon_setup["speaker"])

    response = client.post(
        f"/sessions/{session.slug}/occurrences/new/",
        form_data(room=lisbon_setup["rooms"]["Belem"].pk),
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert room_errors(page) == [
        "Belem is already booked for “Kafka basics” from 2030-06-03 10:30 to 11:30 Europe/Lisbon."
    ]
    # The list is shown again for that time, so the next choice is an available room.
    assert selected_room(page).startswith("Alfama, Lisbon · 6 seats · free")
    assert Occurrence.objects.filter(session=session).count() == 0
    assert OutboxMessage.objects.count() == 0


def test_scheduling_the_suggested_room_saves_it(lisbon_setup: dict) -> None:
    session = lisbon_setup["session"]
    client = signed_in(lisbon_setup["speaker"])
    alfama = lisbon_setup["rooms"]["Alfama"]

    response = client.post(
        f"/sessions/{session.slug}/occurrences/new/", form_data(room=alfama.pk), follow=True
    )

    assert response.redirect_chain == [(f"/sessions/{session.slug}/", 302)]
    occurrence = Occurrence.objects.get(session=session)
    assert (occurrence.room, occurrence.start) == (alfama, START)


def test_check_rooms_with_the_end_before_the_start_says_so_and_lists_nothing_new(
    lisbon_setup: dict,
) -> None:
    session = lisbon_setup["session"]
    client = signed_in(lisbon_setup["speaker"])

    response = client.post(
        f"/sessions/{session.slug}/occurrences/new/",
        form_data(end="2030-06-03T09:00", check_rooms="1"),
    )

    page = response.content.decode()
    assert (
        '<ul class="errorlist" id="id_end_error"><li>The end must be after the start.</li></ul>'
        in page
    )
    assert room_groups(page) == {}
    assert Occurrence.objects.filter(session=session).count() == 0


def test_the_add_page_before_a_time_is_typed_lists_rooms_and_says_how_to_check(
    lisbon_setup: dict,
) -> None:
    session = lisbon_setup["session"]

    page = signed_in(lisbon_setup["speaker"]).get(f"/sessions/{session.slug}/occurrences/new/")

    text = page.content.decode()
    assert room_help(text) == (
        "Type the time, then press “Check rooms for this time”: the rooms free then and large "
        "enough come first."
    )
    assert (
        '<button>Schedule</button> <button name="check_rooms" value="1">Check rooms for this time</button>'
        in text
    )


def test_a_cancelled_date_no_longer_holds_its_room(lisbon_setup: dict) -> None:
    session = lisbon_setup["session"]
    speaker = lisbon_setup["speaker"]
    booking = lisbon_setup["booking"]
    booking.session.speakers.add(speaker)
    occurrence_cancel(occurrence=booking, actor=speaker)

    response = signed_in(speaker).post(
        f"/sessions/{session.slug}/occurrences/new/",
        form_data(online_url="", capacity="40", check_rooms="1"),
    )
    occurrence = occurrence_create(
        session=session,
        actor=speaker,
        start=START,
        end=START + timedelta(hours=1),
        room=lisbon_setup["rooms"]["Belem"],
        capacity=40,
    )

    assert room_groups(response.content.decode())["Free and large enough, best first"] == [
        "Belem, Lisbon · 50 seats · free · 4 people of the audience here · suggested"
    ]
    assert occurrence.room.name == "Belem"


def test_change_a_date_offers_rooms_for_its_time_for_the_people_registered(
    lisbon_setup: dict,
) -> None:
    # Registrations replace the circle as the expected audience: here they work in Berlin.
    session, speaker = lisbon_setup["session"], lisbon_setup["speaker"]
    rooms = lisbon_setup["rooms"]
    berlin = rooms["Spree"].office
    occurrence = make_occurrence(
        session=session, start=START + timedelta(days=1), room=rooms["Tagus"], capacity=20
    )
    for _ in range(3):
        person = make_person(office=berlin)
        registration_create(occurrence=occurrence, person=person, actor=person)

    page = signed_in(speaker).get(f"/sessions/occurrences/{occurrence.pk}/edit/").content.decode()

    assert room_groups(page)["Free and large enough, best first"] == [
        "Spree, Berlin · 10 seats · free · 3 people of the audience here · suggested",
        "Box, Lisbon · 2 seats · free · 1 person of the audience here",
        "Alfama, Lisbon · 6 seats · free · 1 person of the audience here",
        "Tagus, Lisbon · 30 seats · free · 1 person of the audience here",
        "Belem, Lisbon · 50 seats · free · 1 person of the audience here",
    ]
    # Its own room is free (a date does not clash with itself) and stays chosen.
    assert selected_room(page).startswith("Tagus, Lisbon")
    assert room_help(page).endswith(
        "on Tue 4 Jun 2030, 11:00–12:00 (Europe/Lisbon): in the office where most of the "
        "expected audience works first, then the smallest that fits."
    )
    assert '<input type="datetime-local" name="start" value="2030-06-04T11:00"' in page


def test_change_a_date_into_a_taken_room_is_refused_and_moving_it_saves(
    lisbon_setup: dict,
) -> None:
    session, speaker = lisbon_setup["session"], lisbon_setup["speaker"]
    rooms = lisbon_setup["rooms"]
    occurrence = make_occurrence(session=session, start=START + timedelta(days=1), capacity=20)
    client = signed_in(speaker)
    url = f"/sessions/occurrences/{occurrence.pk}/edit/"

    refused = client.post(url, form_data(room=rooms["Belem"].pk))
    saved = client.post(
        url, form_data(start="2030-06-04T09:00", end="2030-06-04T10:00", room=rooms["Tagus"].pk)
    )

    assert room_errors(refused.content.decode()) == [
        "Belem is already booked for “Kafka basics” from 2030-06-03 10:30 to 11:30 Europe/Lisbon."
    ]
    assert saved.status_code == 302
    occurrence.refresh_from_db()
    assert (occurrence.start, occurrence.room, occurrence.sequence) == (
        datetime(2030, 6, 4, 9, 0, tzinfo=UTC),
        rooms["Tagus"],
        1,
    )


def test_the_check_costs_the_same_queries_however_many_rooms(lisbon_setup: dict) -> None:
    session = lisbon_setup["session"]
    client = signed_in(lisbon_setup["speaker"])
    url = f"/sessions/{session.slug}/occurrences/new/"
    client.post(url, form_data(check_rooms="1"))  # warm the session and the user

    with CaptureQueriesContext(connection) as few:
        client.post(url, form_data(check_rooms="1"))
    office = lisbon_setup["rooms"]["Spree"].office
    for _ in range(10):
        make_room(office=office)
    with CaptureQueriesContext(connection) as many:
        client.post(url, form_data(check_rooms="1"))

    assert len(many) == len(few)


# --- the one rule shared with "find a time" ------------------------------------------------


def test_room_options_ranks_by_audience_office_then_smallest_that_fits(
    lisbon_setup: dict,
) -> None:
    rooms = lisbon_setup["rooms"]
    lisbon, berlin = rooms["Tagus"].office, rooms["Spree"].office

    options = room_options(
        audience_by_office={lisbon.pk: 4, berlin.pk: 1},
        start=START,
        end=START + timedelta(hours=1),
    )

    assert [(o.room.name, o.offered, o.suggested) for o in options] == [
        ("Alfama", True, True),
        ("Tagus", True, False),
        ("Spree", True, False),
        ("Belem", False, False),
        ("Box", False, False),
    ]
    assert options[3].clash == lisbon_setup["booking"]
    assert (options[4].seats_needed, options[4].large_enough) == (4, False)


def test_find_a_time_suggests_the_first_offered_room_in_the_audience_office(
    lisbon_setup: dict,
) -> None:
    rooms = lisbon_setup["rooms"]
    later = START + timedelta(hours=3)
    make_occurrence(session=make_session(title="Busy"), start=later, room=rooms["Alfama"])
    people = [make_person(office=rooms["Tagus"].office) for _ in range(4)]
    audience = Audience(people=people, speaker_ids=set())

    suggested = suggested_room(audience, START, START + timedelta(hours=1))
    when_alfama_is_taken = suggested_room(audience, later, later + timedelta(hours=1))

    assert (suggested, when_alfama_is_taken) == (rooms["Alfama"], rooms["Tagus"])


def test_a_cancelled_date_cannot_be_changed_and_nothing_is_sent(lisbon_setup: dict) -> None:
    session, speaker = lisbon_setup["session"], lisbon_setup["speaker"]
    occurrence = make_occurrence(session=session, start=START + timedelta(days=1), capacity=20)
    occurrence_cancel(occurrence=occurrence, actor=speaker)
    OutboxMessage.objects.all().delete()

    response = signed_in(speaker).post(
        f"/sessions/occurrences/{occurrence.pk}/edit/",
        form_data(start="2030-06-05T09:00", end="2030-06-05T10:00"),
    )

    assert (
        '<ul class="errorlist nonfield"><li>This date is cancelled; it cannot be changed.</li></ul>'
        in response.content.decode()
    )
    occurrence.refresh_from_db()
    assert (occurrence.start, occurrence.sequence) == (START + timedelta(days=1), 1)
    assert OutboxMessage.objects.count() == 0


def test_saving_a_date_in_the_repeated_hour_unchanged_keeps_it_and_tells_nobody() -> None:
    # 01:30 UTC on 25 Oct 2026 is 02:30 in Berlin on the second pass of that hour (clocks go
    # back at 03:00 CEST). The form shows 02:30, which alone would read as the first pass.
    speaker = make_person(tz="Europe/Berlin")
    session = make_session(speakers=[speaker])
    start = datetime(2026, 10, 25, 1, 30, 20, tzinfo=UTC)  # seconds too: the field has none
    occurrence = make_occurrence(session=session, start=start, capacity=20)
    client = signed_in(speaker)
    url = f"/sessions/occurrences/{occurrence.pk}/edit/"
    page = client.get(url).content.decode()
    shown = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page)
    }
    assert shown["start"].startswith("2026-10-25T02:30")

    saved = client.post(
        url,
        {
            "start": shown["start"],
            "end": shown["end"],
            "zone": "Europe/Berlin",
            "room": "",
            "online_url": shown.get("online_url", ""),
            "capacity": shown["capacity"],
        },
    )

    assert saved.status_code == 302
    occurrence.refresh_from_db()
    assert (occurrence.start, occurrence.sequence) == (start, 0)
    assert not OutboxMessage.objects.filter(kind="events.update").exists()
