"""Running a conference from its own pages, not the Django admin: create it, change its
details, add tracks, put sessions in as talks and take them out; bad input is refused next to
its field and writes nothing; members are refused."""

from __future__ import annotations

from datetime import date

import pytest

from knowflow.accounts.models import Person
from knowflow.conferences.models import Conference, ConferenceTalk, Track
from knowflow.conferences.services import release_publish
from knowflow.events.models import Session
from tests.conferences.conftest import build_conference
from tests.conftest import signed_in
from tests.factories import make_person, make_session

pytestmark = pytest.mark.django_db


def new(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Platform Days",
        "slug": "",
        "timezone": "Europe/Lisbon",
        "starts_on": "2030-09-15",
        "ends_on": "2030-09-16",
        "description": "Two days on the platform.",
    }
    data.update(overrides)
    return data


def test_an_enabler_creates_a_conference_and_lands_on_running_it() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    client = signed_in(enabler)
    assert "New conference" in client.get("/conferences/").content.decode()
    answer = client.post("/conferences/new/", new())
    assert answer["Location"] == "/conferences/platform-days/manage/"
    conference = Conference.objects.get()
    assert (conference.slug, conference.timezone, conference.starts_on) == (
        "platform-days",
        "Europe/Lisbon",
        date(2030, 9, 15),
    )
    page = client.get(answer["Location"]).content.decode()
    assert "Platform Days is created: add its tracks and talks." in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"slug": "admin"}, "is taken by one of Knowflow"),
        ({"slug": "Bad Slug!"}, "The short name is 4 to 50 lower-case letters"),
        ({"timezone": "Mars/Olympus"}, "Select a valid choice."),
        ({"ends_on": "2030-09-01"}, "The last day cannot be before the first day."),
        ({"ends_on": "2030-12-31"}, "A conference lasts at most 31 days."),
        ({"starts_on": "15/09/2030"}, "Give a date, e.g. 2027-03-09."),
    ],
)
def test_a_bad_conference_is_refused_next_to_its_field(overrides: dict, message: str) -> None:
    client = signed_in(make_person(role=Person.Role.ENABLER))
    answer = client.post("/conferences/new/", new(**overrides))
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert Conference.objects.count() == 0


def test_details_tracks_and_talks_are_changed_on_one_page() -> None:
    built = build_conference(talks=1)
    client = signed_in(built.enabler)
    url = "/conferences/devdays/manage/"

    client.post(
        url,
        {
            "action": "details",
            "name": "DevDays 2030",
            "timezone": "Europe/Berlin",
            "starts_on": "2030-06-04",
            "ends_on": "2030-06-05",
            "description": "Shorter.",
        },
    )
    conference = Conference.objects.get()
    assert (conference.name, conference.ends_on, conference.slug) == (
        "DevDays 2030",
        date(2030, 6, 5),
        "devdays",
    )

    client.post(url, {"action": "track", "name": "Security", "colour": "#aa0000"})
    assert Track.objects.filter(conference=conference, name="Security", colour="#aa0000").exists()
    twice = client.post(url, {"action": "track", "name": "security", "colour": "#aa0000"})
    assert twice.status_code == 400
    assert "already has a track called security" in twice.content.decode()

    session = make_session(title="Threat modelling in an hour", status=Session.Status.PROPOSED)
    security = Track.objects.get(name="Security")
    client.post(url, {"action": "talk", "session": session.title, "track": str(security.pk)})
    talk = ConferenceTalk.objects.get(session=session)
    assert talk.track == security
    again = client.post(url, {"action": "talk", "session": session.title, "track": ""})
    assert again.status_code == 400
    assert "is already a talk of DevDays 2030" in again.content.decode()
    unknown = client.post(url, {"action": "talk", "session": "No such session at all"})
    assert unknown.status_code == 400

    page = client.get(url).content.decode()
    assert "Threat modelling in an hour" in page
    client.post(url, {"action": "remove", "talk": str(talk.pk)})
    assert not ConferenceTalk.objects.filter(session=session).exists()
    assert Session.objects.filter(pk=session.pk).exists()  # the session stays


def test_a_talk_taken_out_leaves_the_programme_at_the_next_release() -> None:
    built = build_conference(talks=2)
    release_publish(actor=built.enabler, conference=built.conference)
    client = signed_in(built.enabler)
    client.post(
        "/conferences/devdays/manage/", {"action": "remove", "talk": str(built.talks[0].pk)}
    )
    preview = client.get("/conferences/devdays/publish/").content.decode()
    assert "“Talk number 1” was taken out of the programme" in preview


def test_members_cannot_create_or_run_a_conference_and_nothing_changes() -> None:
    built = build_conference(talks=1)
    member = signed_in(make_person())
    assert member.get("/conferences/new/").status_code == 403
    assert member.post("/conferences/new/", new()).status_code == 403
    assert member.get("/conferences/devdays/manage/").status_code == 403
    answer = member.post(
        "/conferences/devdays/manage/", {"action": "remove", "talk": str(built.talks[0].pk)}
    )
    assert answer.status_code == 403
    assert Conference.objects.count() == 1 and ConferenceTalk.objects.count() == 1
    assert "New conference" not in member.get("/conferences/").content.decode()


def test_odd_actions_and_ids_are_refused_without_a_server_error() -> None:
    built = build_conference(talks=1)
    other = build_conference(talks=1, slug="otherconf", name="Other")
    client = signed_in(built.enabler)
    url = "/conferences/devdays/manage/"
    assert client.post(url, {"action": "explode"}).status_code == 302
    for talk in ("abc", "9" * 30, str(other.talks[0].pk)):  # another conference's talk
        assert client.post(url, {"action": "remove", "talk": talk}).status_code == 404
    assert ConferenceTalk.objects.count() == 2


def test_the_talks_table_shows_each_talks_date_and_flags_one_off_the_conference_days() -> None:
    from datetime import UTC, datetime

    from tests.factories import make_occurrence

    built = build_conference(talks=1)
    stray = make_session(title="Last year's talk", status=Session.Status.DONE)
    make_occurrence(session=stray, start=datetime(2029, 6, 4, 8, 0, tzinfo=UTC), minutes=45)
    client = signed_in(built.enabler)
    added = client.post("/conferences/devdays/manage/", {"action": "talk", "session": stray.title})
    assert added.status_code == 302, added.content.decode()[-3000:]
    page = client.get("/conferences/devdays/manage/").content.decode()
    assert "Tue 4 Jun 2030 10:00, Hopper" in page
    assert "Mon 4 Jun 2029 10:00" in page and "not on the conference's days" in page
