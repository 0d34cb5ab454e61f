"""A member's agenda: starring talks on the programme, "only my agenda", the agenda's calendar
file (signed in or with the calendar secret), and the counts organisers see — never who."""

from __future__ import annotations

import uuid

import icalendar
import pytest
from django.test import Client

from knowflow.conferences import selectors
from knowflow.conferences.models import Star
from knowflow.conferences.services import release_publish, star_set
from knowflow.errors import Forbidden
from knowflow.integrations.services import calendar_feed_token_regenerate
from tests.conferences.conftest import Built, build_conference
from tests.conftest import signed_in
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def published(talks: int = 4) -> Built:
    built = build_conference(talks=talks)
    release_publish(actor=built.enabler, conference=built.conference)
    return built


def star_url(built: Built, n: int) -> str:
    return f"/conferences/devdays/talks/{built.talks[n].guid}/star/"


def test_a_member_adds_a_talk_to_their_agenda_and_comes_back_to_it() -> None:
    built = published()
    member = make_person(name="Max Member")
    client = signed_in(member)

    answer = client.post(
        star_url(built, 1), {"starred": "1", "next": "/conferences/devdays/?track=data"}
    )

    assert answer.status_code == 302
    assert answer["Location"] == f"/conferences/devdays/?track=data#talk-{built.talks[1].guid}"
    page = client.get(answer["Location"]).content.decode()
    assert "“Talk number 2” is in your agenda." in page
    assert "1 in your agenda" in page
    assert "Remove “Talk number 2” from my agenda" in page
    assert "Add “Talk number 1” to my agenda" not in page  # filtered to the Data track
    mine = client.get("/conferences/devdays/?mine=on").content.decode()
    assert "1 of 4 talks" in mine
    assert "Talk number 2" in mine and "Talk number 3" not in mine


def test_starring_twice_is_one_star_and_removing_takes_it_out() -> None:
    built = published()
    member = make_person()
    client = signed_in(member)
    client.post(star_url(built, 0), {"starred": "1"})
    client.post(star_url(built, 0), {"starred": "1"})
    assert Star.objects.filter(person=member).count() == 1

    client.post(star_url(built, 0), {"starred": "0"})
    assert Star.objects.filter(person=member).count() == 0


@pytest.mark.parametrize(
    ("url", "data", "status"),
    [
        ("/conferences/devdays/talks/not-a-uuid/star/", {"starred": "1"}, 404),
        (f"/conferences/devdays/talks/{uuid.uuid4()}/star/", {"starred": "1"}, 404),
        ("/conferences/other/talks/{guid}/star/", {"starred": "1"}, 404),
        ("/conferences/devdays/talks/{guid}/star/", {"starred": "yes"}, 302),
        ("/conferences/devdays/talks/{guid}/star/", {}, 302),
    ],
)
def test_bad_star_requests_change_nothing(url: str, data: dict, status: int) -> None:
    built = published()
    client = signed_in(make_person())
    answer = client.post(url.replace("{guid}", str(built.talks[0].guid)), data)
    assert answer.status_code == status
    assert Star.objects.count() == 0


def test_star_sends_nobody_to_another_site() -> None:
    built = published()
    client = signed_in(make_person())
    for next_url in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        answer = client.post(star_url(built, 0), {"starred": "1", "next": next_url})
        assert answer["Location"].startswith("/conferences/devdays/#talk-")


def test_star_needs_sign_in_post_and_an_active_member() -> None:
    built = published()
    assert Client().post(star_url(built, 0), {"starred": "1"}).status_code == 302  # to sign in
    assert signed_in(make_person()).get(star_url(built, 0)).status_code == 405
    gone = make_person()
    gone.deactivated_at = gone.created_at
    gone.save()
    with pytest.raises(Forbidden):
        star_set(actor=gone, talk=built.talks[0], starred=True)
    assert Star.objects.count() == 0


def test_agenda_calendar_holds_only_the_starred_talks_with_the_programmes_uids() -> None:
    built = published()
    member = make_person(name="Max Member")
    for n in (0, 3):
        star_set(actor=member, talk=built.talks[n], starred=True)
    token = calendar_feed_token_regenerate(person=member, actor=member)

    signed = signed_in(member).get("/devdays/agenda.ics")
    keyed = Client().get(f"/devdays/agenda.ics?key={token.secret}")

    assert signed.status_code == keyed.status_code == 200
    assert signed.content == keyed.content
    calendar = icalendar.Calendar.from_ical(keyed.content)
    events = calendar.walk("VEVENT")
    assert sorted(str(e["UID"]) for e in events) == sorted(str(built.talks[n].guid) for n in (0, 3))
    assert str(calendar["X-WR-CALNAME"]) == "DevDays: Max Member's agenda"
    whole = icalendar.Calendar.from_ical(signed_in(member).get("/devdays/schedule.ics").content)
    assert {str(e["UID"]) for e in events} <= {str(e["UID"]) for e in whole.walk("VEVENT")}


def test_an_empty_agenda_is_a_valid_empty_calendar_and_someone_elses_stars_are_not_in_it() -> None:
    built = published()
    star_set(actor=make_person(), talk=built.talks[0], starred=True)
    content = signed_in(make_person()).get("/devdays/agenda.ics").content
    assert icalendar.Calendar.from_ical(content).walk("VEVENT") == []


def test_organisers_see_how_many_want_each_talk_and_nobody_sees_who() -> None:
    built = published()
    for _ in range(3):
        star_set(actor=make_person(), talk=built.talks[0], starred=True)
    star_set(actor=make_person(name="Secret Starrer"), talk=built.talks[1], starred=True)

    organiser = signed_in(built.enabler).get("/conferences/devdays/").content.decode()
    member = signed_in(make_person()).get("/conferences/devdays/").content.decode()

    assert "3 want to see it" in organiser
    assert "1 wants to see it" in organiser
    assert "want to see it" not in member and "wants to see it" not in member
    assert "Secret Starrer" not in organiser
    assert selectors.interest_of(conference=built.conference) == {
        person: {session}
        for person, session in Star.objects.values_list("person_id", "talk__session_id")
    }
