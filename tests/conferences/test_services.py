"""Conferences: creating one, its tracks and talks, publishing releases and their changelog;
refusals that name the field and write nothing; a constant number of queries to publish."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowflow.accounts.models import Person
from knowflow.conferences.models import Conference, ConferenceTalk, Release, Track
from knowflow.conferences.schedule import published_talks
from knowflow.conferences.services import (
    conference_create,
    release_publish,
    reserved_slugs,
    talk_add,
    track_create,
)
from knowflow.errors import Conflict, DomainError, Forbidden
from knowflow.events.models import Session
from knowflow.events.services import occurrence_update, session_cancel, session_update
from tests.conferences.conftest import TUESDAY_10_BERLIN, Built, build_conference
from tests.factories import make_occurrence, make_person, make_room, make_session

pytestmark = pytest.mark.django_db


def create(actor: Person, **changes: object) -> Conference:
    fields: dict[str, object] = {
        "name": "Platform Days",
        "timezone": "Europe/Berlin",
        "starts_on": date(2030, 6, 4),
        "ends_on": date(2030, 6, 6),
    }
    return conference_create(actor=actor, **{**fields, **changes})


def occurrence_of(built: Built, n: int):  # noqa: ANN201 - the talk's one date
    return built.talks[n].session.occurrences.get()


# Creating --------------------------------------------------------------------------------------


def test_conference_create_by_an_enabler_derives_slug_and_acronym() -> None:
    enabler = make_person(role=Person.Role.ENABLER)

    made = [
        create(enabler),
        create(enabler, name="Data", slug="devconf-2030-berlin"),
        create(enabler, name="Other", slug="dev-days"),
    ]

    assert [(c.name, c.slug, c.acronym, c.created_by) for c in made] == [
        ("Platform Days", "platform-days", "platform_days", enabler),
        ("Data", "devconf-2030-berlin", "devconf-2030-berlin", enabler),
        ("Other", "dev-days", "dev_days", enabler),
    ]


@pytest.mark.parametrize("role", [Person.Role.MEMBER, Person.Role.LEADER])
def test_every_service_refuses_a_non_enabler_and_writes_nothing(role: str) -> None:
    built = build_conference(talks=1)
    someone = make_person(role=role)
    session = make_session()
    refusals = [
        lambda: create(someone, slug="theirs"),
        lambda: track_create(actor=someone, conference=built.conference, name="Mine"),
        lambda: talk_add(actor=someone, conference=built.conference, session=session),
        lambda: release_publish(actor=someone, conference=built.conference),
    ]

    messages = []
    for refused in refusals:
        with pytest.raises(Forbidden) as error:
            refused()
        messages.append(error.value.message)

    assert messages == ["Only enablers run conferences."] * 4
    assert (
        Conference.objects.count(),
        Track.objects.count(),
        ConferenceTalk.objects.count(),
        Release.objects.count(),
    ) == (1, 2, 1, 0)


def test_reserved_words_are_the_first_segments_of_the_root_urlconf() -> None:
    words = reserved_slugs()

    assert {
        "admin",
        "api",
        "sessions",
        "circles",
        "conferences",
        "accounts",
        "search",  # from the library's URLs, included at the root
        "library",
        "healthz",
        "static",
    } <= words
    assert not any(word.startswith("<") for word in words)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"slug": "admin"},
            "slug",
            "“admin” is taken by one of Knowflow's own addresses (/admin/): choose another "
            "short name.",
        ),
        (
            {"slug": "search"},
            "slug",
            "“search” is taken by one of Knowflow's own addresses (/search/): choose another "
            "short name.",
        ),
        (
            {"slug": "Dev Days!"},
            "slug",
            "The short name is 4 to 50 lower-case letters, digits and single hyphens (e.g. "
            "devdays-2025): it is the start of the programme's addresses.",
        ),
        (
            {"slug": "abc"},
            "slug",
            "The short name is 4 to 50 lower-case letters, digits and single hyphens (e.g. "
            "devdays-2025): it is the start of the programme's addresses.",
        ),
        (
            {"timezone": "Mars/Olympus_Mons"},
            "timezone",
            "'Mars/Olympus_Mons' is not a known time zone (e.g. Europe/Berlin).",
        ),
        (
            {"ends_on": date(2030, 6, 3)},
            "ends_on",
            "The last day cannot be before the first day.",
        ),
        (
            {"ends_on": date(2030, 8, 1)},
            "ends_on",
            "A conference lasts at most 31 days.",
        ),
        ({"name": "  "}, "name", "A conference needs a name."),
    ],
)
def test_conference_create_refuses_bad_input_naming_the_field(
    changes: dict[str, object], field: str, message: str
) -> None:
    enabler = make_person(role=Person.Role.ENABLER)

    with pytest.raises(DomainError) as error:
        create(enabler, **changes)

    assert (error.value.field, error.value.message) == (field, message)
    assert Conference.objects.count() == 0


def test_conference_create_refuses_a_slug_taken_by_another_conference() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    create(enabler, slug="devdays")

    with pytest.raises(Conflict) as error:
        create(enabler, name="Another", slug="devdays")

    assert (error.value.field, error.value.message) == (
        "slug",
        "Another conference already has the short name “devdays”.",
    )
    assert Conference.objects.count() == 1


def test_track_create_makes_a_slug_apps_accept_and_checks_the_colour() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    conference = create(enabler)

    track = track_create(actor=enabler, conference=conference, name="2030 Ideas", colour="#A0B1C2")
    with pytest.raises(DomainError) as error:
        track_create(actor=enabler, conference=conference, name="Data", colour="blue")

    assert (track.slug, track.colour) == ("track-2030-ideas", "#a0b1c2")
    assert (error.value.field, error.value.message) == (
        "colour",
        "The colour is written #rrggbb, e.g. #1f5fbf.",
    )
    assert list(Track.objects.values_list("name", flat=True)) == ["2030 Ideas"]


def test_talk_add_refuses_a_track_of_another_conference_and_a_session_taken() -> None:
    built = build_conference(talks=1)
    other = create(built.enabler, slug="otherconf")
    foreign_track = track_create(actor=built.enabler, conference=other, name="Elsewhere")

    with pytest.raises(DomainError) as wrong_track:
        talk_add(
            actor=built.enabler,
            conference=built.conference,
            session=make_session(),
            track=foreign_track,
        )
    with pytest.raises(Conflict) as taken:
        talk_add(actor=built.enabler, conference=other, session=built.talks[0].session)

    assert (wrong_track.value.field, wrong_track.value.message) == (
        "track",
        "Elsewhere is a track of another conference.",
    )
    assert (taken.value.field, taken.value.message) == (
        "session",
        "“Talk number 1” is already a talk of DevDays.",
    )
    assert ConferenceTalk.objects.count() == 1


# Publishing ------------------------------------------------------------------------------------


def test_first_release_holds_every_talk_with_its_berlin_time() -> None:
    built = build_conference(talks=3)

    release = release_publish(actor=built.enabler, conference=built.conference)

    assert (release.number, release.published_by, release.changes) == (
        1,
        built.enabler,
        ["First release: 3 talks on 1 day."],
    )
    talks = published_talks(release.schedule)
    assert [(t.title, t.start.isoformat(), t.room, t.track) for t in talks] == [
        ("Talk number 1", "2030-06-04T10:00:00+02:00", "Hopper", "Platform"),
        ("Talk number 2", "2030-06-04T10:00:00+02:00", "Lovelace", "Data"),
        ("Talk number 3", "2030-06-04T11:00:00+02:00", "Hopper", "Platform"),
    ]


def test_guids_stay_the_same_across_releases() -> None:
    built = build_conference(talks=3)
    first = release_publish(actor=built.enabler, conference=built.conference)
    occurrence_update(
        occurrence=occurrence_of(built, 0),
        actor=built.enabler,
        start=TUESDAY_10_BERLIN + timedelta(days=1),
        end=TUESDAY_10_BERLIN + timedelta(days=1, minutes=45),
    )

    second = release_publish(actor=built.enabler, conference=built.conference)

    def guids(release: Release) -> dict[str, str]:
        return {t.title: t.guid for t in published_talks(release.schedule)}

    assert (
        guids(second)
        == guids(first)
        == {t.session.title: str(t.guid) for t in ConferenceTalk.objects.select_related("session")}
    )
    speaker = built.talks[0].session.speakers.get()
    [event] = [
        e
        for day in second.schedule["schedule"]["conference"]["days"]
        for events in day["rooms"].values()
        for e in events
        if e["title"] == "Talk number 1"
    ]
    assert event["persons"][0]["guid"] == str(
        uuid.uuid5(uuid.NAMESPACE_URL, "acct:" + speaker.email)
    )


def test_changelog_says_when_a_talk_moved_in_the_conference_zone() -> None:
    built = build_conference(talks=3)
    release_publish(actor=built.enabler, conference=built.conference)
    # Tue 10:00 Berlin → Wed 14:00 Berlin.
    occurrence_update(
        occurrence=occurrence_of(built, 0),
        actor=built.enabler,
        start=datetime(2030, 6, 5, 12, 0, tzinfo=UTC),
        end=datetime(2030, 6, 5, 12, 45, tzinfo=UTC),
    )

    release = release_publish(actor=built.enabler, conference=built.conference)

    assert (release.number, release.changes) == (
        2,
        ["“Talk number 1” moved from Tue 10:00 to Wed 14:00."],
    )


def test_changelog_names_rooms_titles_additions_and_cancellations() -> None:
    built = build_conference(talks=3)
    release_publish(actor=built.enabler, conference=built.conference)
    babbage = make_room(office=built.rooms[0].office, name="Babbage")
    occurrence_update(occurrence=occurrence_of(built, 1), actor=built.enabler, room=babbage)
    session_update(session=built.talks[2].session, actor=built.enabler, title="Streams, really")
    session_cancel(session=built.talks[0].session, actor=built.enabler)
    added = make_session(title="Late addition", status=Session.Status.SCHEDULED)
    make_occurrence(
        session=added,
        start=datetime(2030, 6, 6, 13, 0, tzinfo=UTC),
        room=make_room(name="Turing"),
        minutes=30,
    )
    talk_add(actor=built.enabler, conference=built.conference, session=added)

    release = release_publish(actor=built.enabler, conference=built.conference)

    assert release.changes == [
        "“Talk number 2” moved from Lovelace to Babbage.",
        "“Talk number 1” was cancelled (it was on Tue 10:00, Hopper).",
        "“Talk number 3” is now called “Streams, really”.",
        "“Late addition” added: Thu 15:00, Turing.",
    ]


def test_publishing_twice_without_a_change_is_refused_and_writes_nothing() -> None:
    built = build_conference(talks=2)
    release_publish(actor=built.enabler, conference=built.conference)

    with pytest.raises(Conflict) as error:
        release_publish(actor=built.enabler, conference=built.conference)

    assert (
        error.value.message == "Nothing has changed since release 1: there is nothing to publish."
    )
    assert list(Release.objects.values_list("number", flat=True)) == [1]


def test_a_talk_without_a_date_stays_out_of_the_programme() -> None:
    built = build_conference(talks=1)
    undated = make_session(title="Not yet scheduled")
    talk_add(actor=built.enabler, conference=built.conference, session=undated)

    release = release_publish(actor=built.enabler, conference=built.conference)

    assert [t.title for t in published_talks(release.schedule)] == ["Talk number 1"]


def test_publish_takes_the_same_number_of_queries_for_3_and_30_talks() -> None:
    counts = []
    for size, slug in ((3, "small-conf"), (30, "large-conf")):
        built = build_conference(talks=size, slug=slug)
        with CaptureQueriesContext(connection) as queries:
            release = release_publish(actor=built.enabler, conference=built.conference)
        assert len(published_talks(release.schedule)) == size
        counts.append(len(queries.captured_queries))

    assert counts[0] == counts[1]
    assert counts[0] <= 10
