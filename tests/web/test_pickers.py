"""Pickers without JavaScript (names typed in a plain field, resolved on the server) and the
suggestions a picker asks for (``/pick/<kind>/``)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils.html import escape

from knowflow.accounts.models import OrgUnit
from knowflow.circles.models import Membership
from knowflow.events.models import Session
from knowflow.library.models import Resource
from tests.conftest import signed_in
from tests.factories import make_circle, make_person, make_session, make_topic

pytestmark = pytest.mark.django_db


def errors_of(html: str, field: str) -> list[str]:
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1)) if match else []


def propose(client: Client, **changes: str) -> object:
    data = {
        "title": "Tracing 101",
        "abstract": "",
        "format": "talk",
        "level": "introductory",
        "language": "en",
        "topics": "",
        "speakers": "",
        "circle": "",
    }
    data.update(changes)
    return client.post("/sessions/propose/", data)


def test_speakers_typed_by_name_slug_and_email_are_the_session_speakers() -> None:
    ada, grace, alan = (
        make_person(name="Ada Lovelace"),
        make_person(name="Grace Hopper"),
        make_person(name="Alan Turing"),
    )
    topic = make_topic("Observability")

    response = propose(
        signed_in(make_person()),
        speakers=f"ada lovelace, {grace.slug}, {alan.email.upper()}",
        topics="observability",
        circle="",
    )

    session = Session.objects.get()
    assert response.status_code == 302
    assert sorted(p.display_name for p in session.speakers.all()) == [
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
    ]
    assert list(session.topics.all()) == [topic]
    assert {ada, grace, alan} == set(session.speakers.all())


def test_two_people_with_the_typed_name_are_named_and_nothing_is_saved() -> None:
    platform = OrgUnit.objects.create(name="Platform", slug="platform")
    first = make_person(name="Alex Kim", tz="Europe/Berlin", org_unit=platform)
    second = make_person(name="Alex Kim", tz="Asia/Tokyo")

    response = propose(signed_in(make_person()), speakers="alex kim")

    assert response.status_code == 200
    assert errors_of(response.content.decode(), "speakers") == [
        escape(
            f"Two people are called Alex Kim: Alex Kim (Platform, Europe/Berlin, {first.slug}); "
            f"Alex Kim (Asia/Tokyo, {second.slug}). Type the address (slug) of the one you mean."
        )
    ]
    assert Session.objects.count() == 0


def test_unknown_and_vague_names_are_all_named_in_one_message_and_nothing_is_saved() -> None:
    make_person(name="Sam Rivera")
    make_person(name="Sam Okafor")

    response = propose(signed_in(make_person()), speakers="Sam, Nobody Here")

    assert errors_of(response.content.decode(), "speakers") == [
        escape(
            "Several people match “Sam”: Sam Okafor (UTC, sam-okafor); "
            "Sam Rivera (UTC, sam-rivera). Type the full name. "
            "No one called “Nobody Here” was found."
        )
    ]
    assert Session.objects.count() == 0


def test_an_unknown_topic_is_refused_with_its_name() -> None:
    make_topic("Kotlin")

    response = propose(signed_in(make_person()), topics="Kotlin, Cobol")

    assert errors_of(response.content.decode(), "topics") == [
        escape("No topic called “Cobol” was found.")
    ]
    assert Session.objects.count() == 0


def test_a_deactivated_person_is_neither_suggested_nor_accepted() -> None:
    gone = make_person(name="Robin Gone")
    gone.user.is_active = False
    gone.user.save()
    make_person(name="Robin Here")
    client = signed_in(make_person())

    suggestions = client.get("/pick/people/", {"q": "robin"}).json()
    response = propose(client, speakers=gone.slug)

    assert [r["label"] for r in suggestions["results"]] == ["Robin Here"]
    assert errors_of(response.content.decode(), "speakers") == [
        escape(f"No one called “{gone.slug}” was found.")
    ]
    assert Session.objects.count() == 0


def test_people_suggestions_put_names_starting_with_the_text_first_with_unit_and_zone() -> None:
    team = OrgUnit.objects.create(name="Data team", slug="data-team")
    make_person(name="Kim Alvarez", tz="America/Bogota")
    make_person(name="Alma Ruiz", tz="Europe/Madrid", org_unit=team)
    make_person(name="Bo Chen")

    answer = signed_in(make_person()).get("/pick/people/", {"q": "al"})

    assert answer.status_code == 200
    assert answer.json() == {
        "results": [
            {
                "value": "alma-ruiz",
                "label": "Alma Ruiz",
                "detail": "Data team · Europe/Madrid",
                "initials": "AR",
            },
            {
                "value": "kim-alvarez",
                "label": "Kim Alvarez",
                "detail": "America/Bogota",
                "initials": "KA",
            },
        ]
    }


def test_suggestions_for_topics_circles_and_sessions_by_name() -> None:
    make_topic("Rust")
    make_circle(name="Rustaceans")
    make_session(title="Rust for the curious")
    cancelled = make_session(title="Rust, cancelled")
    cancelled.status = Session.Status.CANCELLED
    cancelled.save()
    client = signed_in(make_person())

    def labels(kind: str) -> list[str]:
        return [r["label"] for r in client.get(f"/pick/{kind}/", {"q": "rust"}).json()["results"]]

    assert labels("topics") == ["Rust"]
    assert labels("circles") == ["Rustaceans"]
    assert labels("sessions") == ["Rust for the curious"]


def test_suggestions_need_a_signed_in_person_and_a_known_picker() -> None:
    make_person(name="Ada Lovelace")

    anonymous = Client().get("/pick/people/", {"q": "ada"})
    unknown = signed_in(make_person()).get("/pick/secrets/", {"q": "ada"})

    assert (anonymous.status_code, anonymous.json()) == (
        401,
        {"detail": "Sign in to pick people and things."},
    )
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "There is no such picker."})


def test_profile_skills_typed_by_name() -> None:
    person = make_person(tz="UTC")
    kotlin, rust = make_topic("Kotlin"), make_topic("Rust")
    data = {"display_name": person.display_name, "timezone": "UTC", "office": "", "org_unit": ""}
    data.update({f"hours_{i}": text for i, text in enumerate(person.hours.to_text())})

    response = signed_in(person).post("/accounts/profile/", {**data, "skills": "kotlin, Rust"})

    assert response.status_code == 302
    assert set(person.skills.all()) == {kotlin, rust}


def test_champion_adds_a_member_by_name() -> None:
    champion = make_person()
    circle = make_circle(visibility="invite_only", champions=[champion])
    newcomer = make_person(name="Nia Newcomer")

    response = signed_in(champion).post(
        f"/circles/{circle.slug}/members/", {"person": "nia newcomer"}, follow=True
    )

    assert "Nia Newcomer is now a member of" in response.content.decode()
    assert Membership.objects.filter(circle=circle, person=newcomer).exists()


def test_picker_field_is_marked_for_the_script_and_keeps_names() -> None:
    speaker = make_person(name="Ada Lovelace")
    session = make_session(title="Engines", speakers=[speaker])

    html = signed_in(speaker).get(f"/sessions/{session.slug}/edit/").content.decode()

    assert (
        '<input type="text" name="speakers" value="Ada Lovelace" data-picker="people" '
        'data-picker-multiple="true" autocomplete="off" aria-describedby="id_speakers_helptext" '
        'id="id_speakers" data-picker-url="/pick/people/">'
    ) in html


def test_resource_added_from_a_session_page_is_attached_and_listed_there() -> None:
    speaker = make_person(name="Ada Lovelace")
    session = make_session(title="Engines", speakers=[speaker])
    client = signed_in(speaker)

    page = client.get(f"/sessions/{session.slug}/").content.decode()
    link = re.search(r'<a href="([^"]+)">Add a resource to this session</a>', page).group(1)
    form = client.get(link.replace("&amp;", "&")).content.decode()
    created = client.post(
        link,
        {
            "kind": "recording",
            "title": "Engines, recorded",
            "url": "https://video.example.org/engines",
            "language": "en",
            "session": "Engines",
        },
    )
    client.post(
        "/library/add/",
        {
            "kind": "article",
            "title": "Further reading",
            "url": "https://example.org/a",
            "language": "en",
        },
    )
    after = client.get(f"/sessions/{session.slug}/").content.decode()

    assert link == f"/library/add/?session={session.slug}"
    assert 'name="session" value="Engines"' in form
    assert created.status_code == 302
    assert Resource.objects.get(title="Engines, recorded").session == session
    assert Resource.objects.get(title="Further reading").session is None
    listed = re.search(r'<section class="session-resources".*?</section>', after, re.S).group(0)
    assert re.findall(r'<a href="/library/[^"]+/">([^<]+)</a> <span class="badge">', listed) == [
        "Engines, recorded"
    ]


def test_suggestions_cost_the_same_queries_however_many_match(django_assert_num_queries) -> None:
    client = signed_in(make_person())
    for n in range(12):
        make_person(name=f"Robin {n:02d}")
        make_session(title=f"Robin's session {n:02d}")
    client.get("/pick/people/", {"q": "robin"})  # the session and the viewer are cached after

    with django_assert_num_queries(4):  # session, user, person; the people
        people = client.get("/pick/people/", {"q": "robin"}).json()["results"]
    with django_assert_num_queries(5):  # session, user, person; the sessions, their dates
        sessions = client.get("/pick/sessions/", {"q": "robin"}).json()["results"]

    assert len(people) == len(sessions) == 8
