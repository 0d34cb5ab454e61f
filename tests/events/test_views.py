"""Pages for sessions: catalogue, session page, propose, edit, add a date, register, cancel."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.circles.models import Membership
from knowflow.events.models import Occurrence, Registration, Session
from knowflow.events.services import registration_create
from tests.conftest import signed_in
from tests.factories import (
    make_circle,
    make_occurrence,
    make_person,
    make_room,
    make_session,
    make_topic,
)

pytestmark = pytest.mark.django_db

START = datetime(2030, 6, 3, 9, 0, tzinfo=UTC)  # a Monday


def titles(html: str) -> list[str]:
    """Session titles in the order the list shows them."""
    return re.findall(r'<a href="/sessions/[^"]+/"><strong>([^<]+)</strong></a>', html)


def messages_of(html: str) -> list[str]:
    return re.findall(r'<li class="(?:success|info|error|warning)">([^<]+)</li>', html)


def next_weekday(weekday: int, *, weeks_ahead: int = 1) -> date:
    today = timezone.now().date() + timedelta(weeks=weeks_ahead)
    return today + timedelta(days=(weekday - today.weekday()) % 7)


# --- catalogue --------------------------------------------------------------------------


def test_catalogue_lists_upcoming_occurrences_soonest_first() -> None:
    now = timezone.now()
    make_occurrence(session=make_session(title="Later"), start=now + timedelta(days=9))
    make_occurrence(session=make_session(title="Sooner"), start=now + timedelta(days=2))
    make_occurrence(session=make_session(title="Gone"), start=now - timedelta(days=2))
    make_occurrence(
        session=make_session(title="Called off", status=Session.Status.CANCELLED),
        start=now + timedelta(days=1),
    )
    client = signed_in(make_person())

    response = client.get("/sessions/")

    assert response.status_code == 200
    assert titles(response.content.decode()) == ["Sooner", "Later"]


def test_catalogue_past_lists_most_recent_first() -> None:
    now = timezone.now()
    make_occurrence(session=make_session(title="Last month"), start=now - timedelta(days=30))
    make_occurrence(session=make_session(title="Last week"), start=now - timedelta(days=7))
    make_occurrence(session=make_session(title="Next week"), start=now + timedelta(days=7))
    client = signed_in(make_person())

    response = client.get("/sessions/?when=past")

    assert titles(response.content.decode()) == ["Last week", "Last month"]


def test_catalogue_proposed_lists_sessions_without_a_date() -> None:
    make_session(title="An idea", speakers=[make_person(name="Ida Idea")])
    make_occurrence(session=make_session(title="Scheduled one", status=Session.Status.SCHEDULED))
    client = signed_in(make_person())

    response = client.get("/sessions/?when=proposed")

    html = response.content.decode()
    assert titles(html) == ["An idea"]
    assert '<span class="meta">Talk · proposed · by Ida Idea</span>' in html


def test_catalogue_filters_by_topic_format_and_circle() -> None:
    rust, go = make_topic("Rust"), make_topic("Go")
    guild = make_circle(name="Backend guild")
    rust_talk = make_session(title="Rust talk")
    rust_talk.topics.set([rust])
    go_workshop = make_session(title="Go workshop", format=Session.Format.WORKSHOP, circle=guild)
    go_workshop.topics.set([go])
    for session in (rust_talk, go_workshop):
        make_occurrence(session=session)
    client = signed_in(make_person())

    by_topic = client.get(f"/sessions/?topic={rust.slug}")
    by_format = client.get("/sessions/?format=workshop")
    by_circle = client.get(f"/sessions/?circle={guild.slug}")
    by_nothing = client.get("/sessions/?topic=no-such-topic")

    assert titles(by_topic.content.decode()) == ["Rust talk"]
    assert titles(by_format.content.decode()) == ["Go workshop"]
    assert titles(by_circle.content.decode()) == ["Go workshop"]
    assert titles(by_nothing.content.decode()) == []
    assert '<p class="empty">No sessions match these filters.</p>' in by_nothing.content.decode()


def test_catalogue_within_my_working_hours_for_a_viewer_in_kolkata() -> None:
    # Kolkata 09:00–17:00 is 03:30–11:30 UTC.
    wednesday = next_weekday(2)
    saturday = next_weekday(5)

    def at(day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=UTC)

    make_occurrence(
        session=make_session(title="Kolkata morning"), start=at(wednesday, 4), minutes=60
    )
    make_occurrence(
        session=make_session(title="Starts too early"), start=at(wednesday, 3), minutes=60
    )
    make_occurrence(
        session=make_session(title="Ends at five IST"), start=at(wednesday, 10, 30), minutes=60
    )
    make_occurrence(
        session=make_session(title="Kolkata evening"), start=at(wednesday, 13), minutes=60
    )
    make_occurrence(session=make_session(title="Saturday"), start=at(saturday, 5), minutes=60)
    viewer = make_person(tz="Asia/Kolkata")
    client = signed_in(viewer)

    mine = client.get("/sessions/?mine=1")
    everything = client.get("/sessions/")

    assert titles(mine.content.decode()) == ["Kolkata morning", "Ends at five IST"]
    assert len(titles(everything.content.decode())) == 5
    assert '<input type="checkbox" name="mine" value="1" checked>' in mine.content.decode()


def test_catalogue_shows_times_in_the_viewer_zone() -> None:
    make_occurrence(session=make_session(title="Morning UTC"), start=START, minutes=90)
    client = signed_in(make_person(tz="Asia/Kolkata"))

    response = client.get("/sessions/")

    assert (
        '<time datetime="2030-06-03T14:30:00+05:30">Mon 3 Jun 2030, 14:30–16:00 IST</time>'
        in response.content.decode()
    )


def test_catalogue_paginates_twenty_per_page() -> None:
    base = timezone.now() + timedelta(days=1)
    for i in range(25):
        make_occurrence(
            session=make_session(title=f"Session {i:02d}"), start=base + timedelta(hours=i)
        )
    client = signed_in(make_person())

    first = client.get("/sessions/")
    second = client.get("/sessions/?page=2")
    nonsense = client.get("/sessions/?page=abc")

    assert titles(first.content.decode()) == [f"Session {i:02d}" for i in range(20)]
    assert '<a rel="next" href="?page=2">Next →</a>' in first.content.decode()
    assert 'rel="prev"' not in first.content.decode()
    assert titles(second.content.decode()) == [f"Session {i:02d}" for i in range(20, 25)]
    assert '<a rel="prev" href="?page=1">← Previous</a>' in second.content.decode()
    assert 'rel="next"' not in second.content.decode()
    assert titles(nonsense.content.decode()) == titles(first.content.decode())


def test_catalogue_lists_dates_under_way_first_and_pages_across_them_without_repeats() -> None:
    # Dates under way (started, not ended) are read apart from those still to start: the
    # pages must still read as one list by start, with nothing repeated or skipped.
    now = timezone.now()
    for i in range(3):
        make_occurrence(
            session=make_session(title=f"Under way {i}"),
            start=now - timedelta(hours=3 - i),
            minutes=600,
        )
    make_occurrence(session=make_session(title="Ended"), start=now - timedelta(hours=2))
    for i in range(19):
        make_occurrence(
            session=make_session(title=f"To come {i:02d}"), start=now + timedelta(hours=i + 1)
        )
    client = signed_in(make_person())

    first = titles(client.get("/sessions/").content.decode())
    second = titles(client.get("/sessions/?page=2").content.decode())

    expected = [f"Under way {i}" for i in range(3)] + [f"To come {i:02d}" for i in range(19)]
    assert first == expected[:20]
    assert second == expected[20:]


# --- session page -----------------------------------------------------------------------


def test_session_page_shows_times_in_viewer_zone_and_each_speaker_local_time() -> None:
    speakers = [
        make_person(name="Nia NewYork", tz="America/New_York"),
        make_person(name="Kai Kolkata", tz="Asia/Kolkata"),
    ]
    session = make_session(title="Across zones", speakers=speakers)
    make_occurrence(session=session, start=START)
    client = signed_in(make_person(tz="Asia/Kolkata"))

    response = client.get(f"/sessions/{session.slug}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<th scope="col">When (your time, Asia/Kolkata)</th>' in html
    assert (
        '<time datetime="2030-06-03T14:30:00+05:30">Mon 3 Jun 2030, 14:30–15:30 IST</time>' in html
    )
    assert "<div>Kai Kolkata: Mon 14:30 IST</div>" in html
    assert "<div>Nia NewYork: Mon 05:00 EDT</div>" in html


def test_session_page_tz_parameter_shows_another_zone() -> None:
    session = make_session(title="Across zones")
    make_occurrence(session=session, start=START)
    client = signed_in(make_person(tz="Asia/Kolkata"))

    response = client.get(f"/sessions/{session.slug}/?tz=Europe/Berlin")

    assert "Mon 3 Jun 2030, 11:00–12:00 CEST" in response.content.decode()


def test_session_page_sanitises_the_markdown_abstract() -> None:
    abstract = (
        "Hello **world** <script>alert('x')</script>\n\n"
        "[click me](javascript:alert(1))\n\n"
        '<a href="javascript:alert(2)">raw link</a> <img src=x onerror="alert(3)">\n\n'
        "[docs](https://example.org/docs)"
    )
    session = make_session(title="Safe", abstract=abstract)
    client = signed_in(make_person())

    response = client.get(f"/sessions/{session.slug}/")

    html = response.content.decode()
    # Raw HTML and the javascript: link stay visible as text, never as markup.
    # The page's own scripts are files (tables.js); none comes from the abstract.
    assert re.findall(r"<script(?! src=\"/static/)", html) == []
    assert re.findall(r"<a [^>]*javascript:", html) == []
    assert "<img" not in html
    assert "<p>[click me](javascript:alert(1))</p>" in html
    assert "Hello <strong>world</strong> &lt;script&gt;alert('x')&lt;/script&gt;</p>" in html
    assert "<strong>world</strong>" in html
    assert '<a href="https://example.org/docs" rel="noopener noreferrer nofollow">docs</a>' in html


def test_session_page_unknown_slug_is_404() -> None:
    client = signed_in(make_person())

    response = client.get("/sessions/no-such-session/")

    assert response.status_code == 404
    assert "<p>There is no such session.</p>" in response.content.decode()


def test_session_page_shows_edit_links_only_to_those_who_may_edit() -> None:
    speaker = make_person()
    session = make_session(speakers=[speaker])

    as_speaker = signed_in(speaker).get(f"/sessions/{session.slug}/")
    as_member = signed_in(make_person()).get(f"/sessions/{session.slug}/")

    edit_link = f'<a class="button secondary" href="/sessions/{session.slug}/edit/">Edit</a>'
    assert edit_link in as_speaker.content.decode()
    assert edit_link not in as_member.content.decode()


# --- propose, edit, add a date -----------------------------------------------------------


def test_propose_page_creates_a_session_with_the_proposer_as_speaker() -> None:
    person = make_person(name="Pia Proposer")
    topic = make_topic("Observability")
    client = signed_in(person)

    response = client.post(
        "/sessions/propose/",
        {
            "title": "Tracing 101",
            "abstract": "Spans",
            "format": "workshop",
            "level": "introductory",
            "language": "en",
            "topics": "observability",
        },
        follow=True,
    )

    session = Session.objects.get()
    assert response.redirect_chain == [(f"/sessions/{session.slug}/", 302)]
    assert messages_of(response.content.decode()) == [
        "Session proposed. Add a date when it is scheduled."
    ]
    assert (session.title, session.format, session.status) == (
        "Tracing 101",
        "workshop",
        "proposed",
    )
    assert list(session.speakers.all()) == [person]
    assert list(session.topics.all()) == [topic]
    assert session.proposed_by == person


def test_propose_page_without_a_title_shows_the_error_and_writes_nothing() -> None:
    client = signed_in(make_person())

    response = client.post(
        "/sessions/propose/",
        {"title": "", "format": "talk", "level": "introductory", "language": "en"},
    )

    assert response.status_code == 200
    assert (
        '<ul class="errorlist" id="id_title_error"><li>This field is required.</li></ul>'
        in response.content.decode()
    )
    assert Session.objects.count() == 0


def test_edit_page_by_a_speaker_saves_changes_including_speakers() -> None:
    speaker, co_speaker = make_person(), make_person()
    session = make_session(speakers=[speaker], title="Before")
    client = signed_in(speaker)
    form = client.get(f"/sessions/{session.slug}/edit/")

    response = client.post(
        f"/sessions/{session.slug}/edit/",
        {
            "title": "After",
            "abstract": "",
            "format": "demo",
            "level": "advanced",
            "language": "de",
            "speakers": f"{speaker.slug}, {co_speaker.slug}",
            "status": "scheduled",
        },
    )

    assert form.status_code == 200
    assert 'value="Before"' in form.content.decode()
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.title, session.format, session.level, session.language) == (
        "After",
        "demo",
        "advanced",
        "de",
    )
    assert set(session.speakers.all()) == {speaker, co_speaker}


def test_edit_page_for_someone_elses_session_is_403_and_writes_nothing() -> None:
    session = make_session(title="Theirs")
    client = signed_in(make_person())

    get = client.get(f"/sessions/{session.slug}/edit/")
    post = client.post(
        f"/sessions/{session.slug}/edit/",
        {
            "title": "Mine",
            "format": "talk",
            "level": "introductory",
            "language": "en",
            "status": "proposed",
        },
    )

    message = "<p>Only the session&#x27;s speakers, its circle&#x27;s champions and enablers can edit it.</p>"
    assert (get.status_code, post.status_code) == (403, 403)
    assert message in post.content.decode()
    assert Session.objects.get(pk=session.pk).title == "Theirs"


def test_add_occurrence_page_reads_wall_clock_time_in_the_chosen_zone() -> None:
    speaker = make_person(tz="America/New_York")
    session = make_session(speakers=[speaker])
    client = signed_in(speaker)

    response = client.post(
        f"/sessions/{session.slug}/occurrences/new/",
        {
            "start": "2030-06-03T14:30",
            "end": "2030-06-03T15:30",
            "zone": "Asia/Kolkata",
            "online_url": "https://meet.example.org/abc",
            "capacity": "40",
        },
        follow=True,
    )

    occurrence = Occurrence.objects.get()
    assert response.redirect_chain == [(f"/sessions/{session.slug}/", 302)]
    assert messages_of(response.content.decode()) == ["Date added."]
    assert (occurrence.start, occurrence.end) == (START, START + timedelta(hours=1))
    assert Session.objects.get(pk=session.pk).status == Session.Status.SCHEDULED


def test_add_occurrence_page_end_before_start_shows_the_error_on_end() -> None:
    speaker = make_person()
    session = make_session(speakers=[speaker])
    client = signed_in(speaker)

    response = client.post(
        f"/sessions/{session.slug}/occurrences/new/",
        {
            "start": "2030-06-03T14:30",
            "end": "2030-06-03T13:30",
            "zone": "UTC",
            "online_url": "https://x.example.org",
            "capacity": "5",
        },
    )

    assert response.status_code == 200
    assert (
        '<ul class="errorlist" id="id_end_error"><li>The end must be after the start.</li></ul>'
        in response.content.decode()
    )
    assert Occurrence.objects.count() == 0


def test_add_occurrence_page_double_booked_room_shows_the_error_on_room() -> None:
    speaker = make_person()
    room = make_room(name="Hopper", capacity=50)
    make_occurrence(session=make_session(title="Earlier booking"), room=room, start=START)
    session = make_session(speakers=[speaker])
    client = signed_in(speaker)

    response = client.post(
        f"/sessions/{session.slug}/occurrences/new/",
        {
            "start": "2030-06-03T09:30",
            "end": "2030-06-03T10:30",
            "zone": "UTC",
            "room": room.pk,
            "capacity": "5",
        },
    )

    assert response.status_code == 200
    assert (
        '<ul class="errorlist" id="id_room_error"><li>Hopper is already booked for “Earlier booking” '
        "from 2030-06-03 09:00 to 10:00 UTC.</li></ul>"
    ) in response.content.decode()
    assert Occurrence.objects.filter(session=session).count() == 0


# --- register and cancel ----------------------------------------------------------------


def test_register_page_gives_a_place_then_the_waitlist() -> None:
    occurrence = make_occurrence(capacity=1)
    first, second = make_person(), make_person()
    url = f"/sessions/occurrences/{occurrence.pk}/register/"

    one = signed_in(first).post(url, follow=True)
    two = signed_in(second).post(url, follow=True)

    assert messages_of(one.content.decode()) == ["You are registered."]
    assert messages_of(two.content.decode()) == ["This date is full: you are on the waiting list."]
    assert '<span class="badge">Waitlisted</span>' in two.content.decode()
    assert "<td>1 / 1 going, 1 waiting</td>" in two.content.decode()


def test_session_page_offers_its_speaker_no_register_and_refuses_a_forged_post() -> None:
    speaker, member = make_person(name="Sam Speaker"), make_person()
    occurrence = make_occurrence(session=make_session(speakers=[speaker]))
    register = f'action="/sessions/occurrences/{occurrence.pk}/register/"'

    as_speaker = signed_in(speaker).get(f"/sessions/{occurrence.session.slug}/")
    as_member = signed_in(member).get(f"/sessions/{occurrence.session.slug}/")
    posted = signed_in(speaker).post(
        f"/sessions/occurrences/{occurrence.pk}/register/", follow=True
    )

    assert register not in as_speaker.content.decode()
    assert '<span class="badge">You speak</span>' in as_speaker.content.decode()
    assert register in as_member.content.decode()
    assert posted.status_code == 200
    assert messages_of(posted.content.decode()) == [
        "You are a speaker of this session: speakers do not register for it."
    ]
    assert Registration.objects.count() == 0


def test_register_page_twice_shows_the_error_and_writes_nothing() -> None:
    person = make_person(name="Rita Repeat")
    occurrence = make_occurrence()
    client = signed_in(person)
    url = f"/sessions/occurrences/{occurrence.pk}/register/"
    client.post(url, follow=True)

    response = client.post(url, follow=True)

    assert messages_of(response.content.decode()) == ["Rita Repeat is already registered (going)."]
    assert Registration.objects.count() == 1


def test_register_page_only_answers_post() -> None:
    occurrence = make_occurrence()
    client = signed_in(make_person())

    response = client.get(f"/sessions/occurrences/{occurrence.pk}/register/")

    assert response.status_code == 405
    assert Registration.objects.count() == 0


def test_cancel_page_frees_the_place_for_the_waitlist() -> None:
    occurrence = make_occurrence(capacity=1)
    going, waiting = make_person(), make_person()
    registration_create(occurrence=occurrence, person=going, actor=going)
    registration_create(occurrence=occurrence, person=waiting, actor=waiting)

    response = signed_in(going).post(f"/sessions/occurrences/{occurrence.pk}/cancel/", follow=True)

    assert messages_of(response.content.decode()) == ["Your registration is cancelled."]
    assert Registration.objects.get(person=waiting).status == Registration.Status.GOING
    assert Registration.objects.get(person=going).status == Registration.Status.CANCELLED


def test_cancel_page_without_a_registration_shows_the_error() -> None:
    occurrence = make_occurrence()
    person = make_person(name="Nora None")

    response = signed_in(person).post(f"/sessions/occurrences/{occurrence.pk}/cancel/", follow=True)

    assert messages_of(response.content.decode()) == ["Nora None is not registered for this date."]


# --- query counts: the pages cost the same whatever the size of the data -------------------


def count_queries(client: object, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def fill_catalogue(n: int, *, topic: object, circle: object) -> None:
    office_room = make_room(capacity=100)
    base = datetime.combine(timezone.now().date() + timedelta(days=2), time(8), tzinfo=UTC)
    for i in range(n):
        session = make_session(
            title=f"Row {i}",
            speakers=[make_person(), make_person()],
            circle=circle,
            status=Session.Status.SCHEDULED,
        )
        session.topics.set([topic, make_topic()])
        make_occurrence(
            session=session,
            start=base + timedelta(hours=2 * i),
            room=office_room if i % 2 else None,
        )


@pytest.mark.parametrize(
    "url",
    ["/sessions/", "/sessions/?topic={topic}", "/sessions/?when=proposed", "/sessions/?mine=1"],
)
def test_catalogue_query_count_does_not_grow_with_rows(
    url: str, django_assert_num_queries: object
) -> None:
    topic, circle = make_topic("Shared"), make_circle()
    # Working every day from 00:30 to 00:00 (crossing midnight): every row below fits it.
    client = signed_in(make_person(working_hours=[["00:30", "00:00"]] * 7))
    url = url.format(topic=topic.slug)
    fill_catalogue(3, topic=topic, circle=circle)
    for i in range(3):
        make_session(title=f"Idea {i}", speakers=[make_person()]).topics.set([topic])
    small = count_queries(client, url)

    fill_catalogue(27, topic=topic, circle=circle)
    for i in range(27):
        make_session(title=f"More idea {i}", speakers=[make_person()]).topics.set([topic])

    with django_assert_num_queries(small):
        response = client.get(url)
    assert response.status_code == 200
    assert len(titles(response.content.decode())) == 20


def test_session_page_query_count_does_not_grow_with_speakers_and_dates(
    django_assert_num_queries: object,
) -> None:
    enabler = make_person(role=Person.Role.ENABLER)  # sees the attendance forms as well
    client = signed_in(enabler)
    session = make_session(speakers=[make_person() for _ in range(3)])
    session.topics.set([make_topic() for _ in range(3)])
    room = make_room(capacity=100)
    for i in range(3):
        occurrence = make_occurrence(session=session, start=START + timedelta(days=i), room=room)
        registration_create(occurrence=occurrence, person=enabler, actor=enabler)
    small = count_queries(client, f"/sessions/{session.slug}/")

    session.speakers.add(*[make_person() for _ in range(27)])
    session.topics.add(*[make_topic() for _ in range(27)])
    for i in range(3, 30):
        occurrence = make_occurrence(session=session, start=START + timedelta(days=i), room=room)
        registration_create(occurrence=occurrence, person=enabler, actor=enabler)

    with django_assert_num_queries(small):
        response = client.get(f"/sessions/{session.slug}/")
    assert response.content.decode().count("<div>Person ") == 30 * 30


def test_home_page_query_count_does_not_grow_with_registrations_and_suggestions(
    django_assert_num_queries: object,
) -> None:
    viewer = make_person()
    circle, skill = make_circle(), make_topic()
    Membership.objects.create(circle=circle, person=viewer)
    viewer.skills.set([skill])
    client = signed_in(viewer)

    def add(n: int) -> None:
        base = timezone.now() + timedelta(days=1)
        for i in range(n):
            by_circle = make_occurrence(
                session=make_session(circle=circle, speakers=[make_person()]),
                start=base + timedelta(hours=i),
            )
            by_skill = make_session(speakers=[make_person()])
            by_skill.topics.set([skill])
            make_occurrence(session=by_skill, start=base + timedelta(hours=i, minutes=30))
            registration_create(occurrence=by_circle, person=viewer, actor=viewer)

    add(3)
    small = count_queries(client, "/")
    add(27)

    with django_assert_num_queries(small):
        response = client.get("/")
    html = response.content.decode()
    assert html.count('<span class="badge">Going</span>') == 10
    assert html.count('<li class="row">') == 10


def test_attendance_checklist_offers_the_registered_people() -> None:
    speaker, learner = make_person(), make_person(name="Lee Learner")
    make_person(name="Not Registered")
    session = make_session(speakers=[speaker])
    occurrence = make_occurrence(session=session)
    registration_create(occurrence=occurrence, person=learner, actor=learner)
    # The date begins (attendance is offered only then).
    now = timezone.now()
    Occurrence.objects.filter(pk=occurrence.pk).update(
        start=now - timedelta(minutes=5), end=now + timedelta(minutes=55)
    )

    html = signed_in(speaker).get(f"/sessions/occurrences/{occurrence.pk}/checklist/")

    assert re.findall(
        r'<input type="hidden" name="person" value="(\d+)">([^<]*)', html.content.decode()
    ) == [(str(learner.pk), "Lee Learner")]


def test_session_page_online_link_only_for_people_with_a_place() -> None:
    session = make_session()
    occurrence = make_occurrence(
        session=session, capacity=1, online_url="https://meet.example.org/room-42"
    )
    going, waiting, stranger = make_person(), make_person(), make_person()
    registration_create(occurrence=occurrence, person=going, actor=going)
    registration_create(occurrence=occurrence, person=waiting, actor=waiting)
    link = '<a href="https://meet.example.org/room-42">join online</a>'

    pages = {
        who: signed_in(p).get(f"/sessions/{session.slug}/").content.decode()
        for who, p in {"going": going, "waiting": waiting, "stranger": stranger}.items()
    }

    assert {who: link in html for who, html in pages.items()} == {
        "going": True,
        "waiting": False,
        "stranger": False,
    }


def test_add_occurrence_page_time_valid_in_the_chosen_zone_but_not_the_viewers() -> None:
    # 02:30 on 31 March 2030 does not exist in Berlin (clocks go forward) but does in Kolkata.
    speaker = make_person(tz="Europe/Berlin")
    session = make_session(speakers=[speaker])

    response = signed_in(speaker).post(
        f"/sessions/{session.slug}/occurrences/new/",
        {
            "start": "2030-03-31T02:30",
            "end": "2030-03-31T03:30",
            "zone": "Asia/Kolkata",
            "online_url": "https://x.example.org",
            "capacity": "5",
        },
    )

    assert response.status_code == 302
    assert Occurrence.objects.get().start == datetime(2030, 3, 30, 21, 0, tzinfo=UTC)


def test_add_occurrence_page_time_in_the_dst_gap_is_refused_with_a_message() -> None:
    speaker = make_person(tz="UTC")
    session = make_session(speakers=[speaker])

    response = signed_in(speaker).post(
        f"/sessions/{session.slug}/occurrences/new/",
        {
            "start": "2030-03-31T02:30",
            "end": "2030-03-31T04:00",
            "zone": "Europe/Berlin",
            "online_url": "https://x.example.org",
            "capacity": "5",
        },
    )

    assert response.status_code == 200
    assert (
        '<ul class="errorlist" id="id_start_error"><li>02:30 does not exist in Europe/Berlin on '
        "31 Mar 2030: the clocks go forward then.</li></ul>"
    ) in response.content.decode()
    assert Occurrence.objects.count() == 0


@pytest.mark.django_db
def test_propose_page_names_unknown_speakers_and_writes_nothing() -> None:
    proposer = make_person(name="Pia Proposer")
    client = signed_in(proposer)

    response = client.post(
        "/sessions/propose/",
        {
            "title": "Ghost talk",
            "format": "talk",
            "level": "introductory",
            "language": "en",
            "speakers": "no-such-person, another-ghost",
        },
    )

    assert response.status_code == 200
    assert (
        "No one called “no-such-person” was found. No one called “another-ghost” was found."
        in response.content.decode()
    )
    assert not Session.objects.filter(title="Ghost talk").exists()
