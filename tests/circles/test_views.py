"""Pages for circles: list, circle page, join, leave, a champion adding a member."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from knowflow.circles.models import Membership
from knowflow.events.models import Session
from knowflow.library.models import Resource
from tests.conftest import signed_in
from tests.factories import make_circle, make_occurrence, make_person, make_session, make_topic

pytestmark = pytest.mark.django_db


def messages_of(html: str) -> list[str]:
    return re.findall(r'<li class="(?:success|info|error|warning)">([^<]+)</li>', html)


def section(html: str, heading: str) -> list[str]:
    """The link texts of the list that follows an <h2> heading."""
    match = re.search(rf"<h2>{heading}[^<]*</h2>.*?<ul class=\"rows\">(.*?)</ul>", html, re.S)
    assert match, heading
    return re.findall(r'<a href="[^"]+">([^<]+)</a>', match.group(1))


def test_circle_list_shows_member_counts_and_topics() -> None:
    circle = make_circle(name="Data guild")
    circle.topics.set([make_topic("SQL")])
    Membership.objects.create(circle=circle, person=make_person())
    client = signed_in(make_person())

    response = client.get("/circles/")

    html = response.content.decode()
    assert f'<a href="/circles/{circle.slug}/"><strong>Data guild</strong></a>' in html
    assert '<span class="meta">1 member · Open: anyone can join</span>' in html
    assert '<span class="tag">SQL</span>' in html


def test_circle_page_lists_members_upcoming_and_past_sessions() -> None:
    now = timezone.now()
    champion, member = make_person(name="Cara Champion"), make_person(name="Max Member")
    circle = make_circle(name="Frontend", champions=[champion])
    Membership.objects.create(circle=circle, person=member)
    make_occurrence(
        session=make_session(title="Next week", circle=circle), start=now + timedelta(days=7)
    )
    make_occurrence(
        session=make_session(title="Tomorrow", circle=circle), start=now + timedelta(days=1)
    )
    make_occurrence(
        session=make_session(title="Last month", circle=circle), start=now - timedelta(days=30)
    )
    make_occurrence(
        session=make_session(title="Last week", circle=circle), start=now - timedelta(days=7)
    )
    make_occurrence(
        session=make_session(title="Called off", circle=circle, status=Session.Status.CANCELLED),
        start=now + timedelta(days=2),
    )
    make_occurrence(session=make_session(title="Elsewhere"), start=now + timedelta(days=1))
    client = signed_in(make_person())

    response = client.get(f"/circles/{circle.slug}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert section(html, "Upcoming sessions") == ["Tomorrow", "Next week"]
    assert section(html, "Past sessions") == ["Last week", "Last month"]
    assert section(html, "Members") == ["Cara Champion", "Max Member"]
    assert "<h2>Members (2)</h2>" in html
    assert 'Cara Champion</a> <span class="badge">Champion</span>' in html


def test_circle_page_unknown_slug_is_404() -> None:
    response = signed_in(make_person()).get("/circles/nope/")

    assert response.status_code == 404
    assert "<p>There is no such circle.</p>" in response.content.decode()


def test_join_open_circle_from_its_page() -> None:
    person = make_person(name="Jo")
    circle = make_circle(name="Open house")
    client = signed_in(person)

    response = client.post(f"/circles/{circle.slug}/join/", follow=True)

    html = response.content.decode()
    assert messages_of(html) == ["You joined Open house."]
    assert section(html, "Members") == ["Jo"]
    assert "<button>Leave this circle</button>" in html


def test_join_invite_only_circle_is_refused_with_the_message() -> None:
    person = make_person()
    circle = make_circle(visibility="invite_only")
    client = signed_in(person)

    page = client.get(f"/circles/{circle.slug}/")
    response = client.post(f"/circles/{circle.slug}/join/", follow=True)

    assert "<p>This circle is invite-only: ask a champion to add you.</p>" in page.content.decode()
    assert "Join this circle" not in page.content.decode()
    assert messages_of(response.content.decode()) == [
        "This circle is invite-only: ask one of its champions to add you."
    ]
    assert Membership.objects.count() == 0


def test_leave_circle_from_its_page() -> None:
    person = make_person()
    circle = make_circle(name="Open house")
    Membership.objects.create(circle=circle, person=person)

    response = signed_in(person).post(f"/circles/{circle.slug}/leave/", follow=True)

    assert messages_of(response.content.decode()) == ["You left Open house."]
    assert Membership.objects.count() == 0


def test_leave_as_last_champion_is_refused_with_the_message() -> None:
    champion = make_person()
    circle = make_circle(champions=[champion])

    response = signed_in(champion).post(f"/circles/{circle.slug}/leave/", follow=True)

    assert messages_of(response.content.decode()) == [
        "The last champion cannot leave; name another champion first."
    ]
    assert Membership.objects.get().person == champion


def test_member_add_by_a_champion_to_an_invite_only_circle() -> None:
    champion, newcomer = make_person(name="Cara"), make_person(name="Nico Newcomer")
    circle = make_circle(name="Inner circle", visibility="invite_only", champions=[champion])
    client = signed_in(champion)

    page = client.get(f"/circles/{circle.slug}/")
    response = client.post(
        f"/circles/{circle.slug}/members/", {"person": newcomer.slug}, follow=True
    )

    assert f'<form method="post" action="/circles/{circle.slug}/members/"' in page.content.decode()
    assert messages_of(response.content.decode()) == [
        "Nico Newcomer is now a member of Inner circle."
    ]
    assert section(response.content.decode(), "Members") == ["Cara", "Nico Newcomer"]


def test_member_add_unknown_person_shows_the_error() -> None:
    champion = make_person()
    circle = make_circle(visibility="invite_only", champions=[champion])

    response = signed_in(champion).post(
        f"/circles/{circle.slug}/members/", {"person": "nobody"}, follow=True
    )

    assert messages_of(response.content.decode()) == ["No one called “nobody” was found."]
    assert Membership.objects.count() == 1


def test_member_add_by_a_plain_member_is_403_and_writes_nothing() -> None:
    member, other = make_person(), make_person()
    circle = make_circle(visibility="invite_only", champions=[make_person()])
    Membership.objects.create(circle=circle, person=member)
    client = signed_in(member)

    page = client.get(f"/circles/{circle.slug}/")
    response = client.post(f"/circles/{circle.slug}/members/", {"person": other.slug})

    assert "/members/" not in page.content.decode()
    assert response.status_code == 403
    assert (
        "<p>Only the circle&#x27;s champions and enablers can add members.</p>"
        in response.content.decode()
    )
    assert Membership.objects.filter(person=other).count() == 0


def test_circle_page_query_count_does_not_grow_with_members_and_sessions(
    django_assert_num_queries: object,
) -> None:
    circle = make_circle(champions=[make_person()])
    client = signed_in(make_person())
    now = timezone.now()

    def add(n: int) -> None:
        for i in range(n):
            Membership.objects.create(circle=circle, person=make_person())
            make_occurrence(session=make_session(circle=circle), start=now + timedelta(days=i + 1))
            held = make_occurrence(
                session=make_session(circle=circle), start=now - timedelta(days=i + 1)
            )
            held.attendances.create(person=make_person(), mode="room")
            Resource.objects.create(
                kind="note",
                title=f"Note {circle.memberships.count()}",
                circle=circle,
                slug=f"note-{circle.memberships.count()}",
            )

    add(3)
    with CaptureQueriesContext(connection) as small:
        client.get(f"/circles/{circle.slug}/")
    add(27)

    with django_assert_num_queries(len(small)):
        response = client.get(f"/circles/{circle.slug}/")
    assert len(section(response.content.decode(), "Upcoming sessions")) == 20


def test_circle_list_query_count_does_not_grow_with_circles(
    django_assert_num_queries: object,
) -> None:
    client = signed_in(make_person())

    def add(n: int) -> None:
        for _ in range(n):
            circle = make_circle()
            circle.topics.set([make_topic(), make_topic()])

    add(3)
    with CaptureQueriesContext(connection) as small:
        client.get("/circles/")
    add(27)

    with django_assert_num_queries(len(small)):
        client.get("/circles/")
