"""Conference pages: the list, the published programme in the viewer's zone with its filters
and changelog, the page before publication, and the enabler's publish page."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from knowflow.accounts.models import Person
from knowflow.conferences.models import Release
from knowflow.conferences.services import release_publish
from knowflow.events.models import Session
from knowflow.events.services import occurrence_update
from tests.conferences.conftest import Built, build_conference
from tests.conftest import signed_in
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def published(talks: int = 3, slug: str = "devdays") -> Built:
    built = build_conference(talks=talks, slug=slug)
    release_publish(actor=built.enabler, conference=built.conference)
    return built


def talk_rows(html: str) -> list[tuple[str, str, str]]:
    """(title, time, where) of each talk on the page, in order."""
    return re.findall(
        r'<li class="row"[^>]*><a href="/sessions/[^"]+/"><strong>([^<]+)</strong></a>\s*'
        r'<time datetime="[^"]+">([^<]+)</time>\s*<span class="meta">([^<]+)</span>',
        html,
    )


def day_headings(html: str) -> list[str]:
    return re.findall(r'<h2 id="day-\d+">([^<]+)</h2>', html)


def test_programme_shows_days_and_talks_in_the_viewers_zone() -> None:
    published(talks=3)
    new_yorker = make_person(tz="America/New_York")
    berliner = make_person(tz="Europe/Berlin")

    in_new_york = signed_in(new_yorker).get("/conferences/devdays/").content.decode()
    in_berlin = signed_in(berliner).get("/conferences/devdays/").content.decode()

    assert talk_rows(in_new_york) == [
        ("Talk number 1", "Tue 4 Jun, 04:00–04:45 EDT", "Hopper and online · Talk · by Speaker 1"),
        ("Talk number 2", "Tue 4 Jun, 04:00–04:45 EDT", "Lovelace · Talk · by Speaker 2"),
        ("Talk number 3", "Tue 4 Jun, 05:00–05:45 EDT", "Hopper · Talk · by Speaker 3"),
    ]
    assert "times in <strong>America/New_York</strong> (the conference runs on Europe/Berlin" in (
        in_new_york
    )
    assert [time for _, time, _ in talk_rows(in_berlin)] == [
        "Tue 4 Jun, 10:00–10:45 CEST",
        "Tue 4 Jun, 10:00–10:45 CEST",
        "Tue 4 Jun, 11:00–11:45 CEST",
    ]


def test_programme_groups_talks_by_the_viewers_day() -> None:
    built = published(talks=1)
    # 23:30 in Berlin is the same day there, but the next day in Tokyo.
    occurrence_update(
        occurrence=built.talks[0].session.occurrences.get(),
        actor=built.enabler,
        start=datetime(2030, 6, 4, 21, 30, tzinfo=UTC),
        end=datetime(2030, 6, 4, 22, 0, tzinfo=UTC),
    )
    release_publish(actor=built.enabler, conference=built.conference)

    in_tokyo = signed_in(make_person(tz="Asia/Tokyo")).get("/conferences/devdays/")
    in_berlin = signed_in(make_person(tz="Europe/Berlin")).get("/conferences/devdays/")

    assert day_headings(in_tokyo.content.decode()) == ["Wednesday 5 June 2030"]
    assert day_headings(in_berlin.content.decode()) == ["Tuesday 4 June 2030"]


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("?track=data", ["Talk number 2", "Talk number 4"]),
        ("?room=Hopper", ["Talk number 1", "Talk number 3", "Talk number 5"]),
        ("?room=Hopper&track=platform", ["Talk number 1", "Talk number 3", "Talk number 5"]),
        ("?format=talk&room=Lovelace", ["Talk number 2", "Talk number 4"]),
        ("?track=data&room=Hopper", []),
    ],
)
def test_programme_filters_by_track_room_and_format(query: str, titles: list[str]) -> None:
    published(talks=5)

    response = signed_in(make_person()).get(f"/conferences/devdays/{query}")

    html = response.content.decode()
    assert response.status_code == 200
    assert [title for title, _, _ in talk_rows(html)] == titles
    assert f"{len(titles)} of 5 talks" in html


def test_programme_filter_by_format_lists_the_formats_in_plain_words() -> None:
    built = published(talks=2)
    built.talks[1].session.format = Session.Format.WORKSHOP
    built.talks[1].session.save()
    release_publish(actor=built.enabler, conference=built.conference)

    html = signed_in(make_person()).get("/conferences/devdays/?format=workshop").content.decode()

    assert [title for title, _, _ in talk_rows(html)] == ["Talk number 2"]
    assert '<option value="workshop" selected>Workshop</option>' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?track=nope", "There is no track “nope” in this programme."),
        ("?room=Cellar", "There is no room “Cellar” in this programme."),
        ("?format=opera", "No talk in this programme has the format “opera”."),
    ],
)
def test_programme_refuses_an_unknown_filter_with_a_message(query: str, message: str) -> None:
    published(talks=2)

    response = signed_in(make_person()).get(f"/conferences/devdays/{query}")

    html = response.content.decode()
    assert response.status_code == 400
    assert re.findall(r'<li><a href="#id_\w+">([^<]+)</a></li>', html) == [message]
    # The whole programme stays on the page under the message.
    assert [title for title, _, _ in talk_rows(html)] == ["Talk number 1", "Talk number 2"]


def test_programme_lists_the_changelog_newest_first() -> None:
    built = published(talks=2)
    occurrence_update(
        occurrence=built.talks[0].session.occurrences.get(),
        actor=built.enabler,
        start=datetime(2030, 6, 5, 12, 0, tzinfo=UTC),
        end=datetime(2030, 6, 5, 12, 45, tzinfo=UTC),
    )
    release_publish(actor=built.enabler, conference=built.conference)

    html = signed_in(make_person()).get("/conferences/devdays/").content.decode()

    releases = re.findall(r'<h3 id="release-(\d+)">.*?<ul>(.*?)</ul>', html, re.S)
    assert [(n, re.findall(r"<li>([^<]+)</li>", lines)) for n, lines in releases] == [
        ("2", ["“Talk number 1” moved from Tue 10:00 to Wed 14:00."]),
        ("1", ["First release: 2 talks on 1 day."]),
    ]


def test_programme_links_the_exports_and_the_viewers_own_feed_addresses() -> None:
    from knowflow.integrations.services import calendar_feed_token_regenerate

    published(talks=1)
    member = make_person()
    token = calendar_feed_token_regenerate(person=member, actor=member)

    html = signed_in(member).get("/conferences/devdays/").content.decode()

    assert re.findall(r'<li><a href="(/devdays/schedule\.\w+)">', html) == [
        "/devdays/schedule.ics",
        "/devdays/schedule.json",
        "/devdays/schedule.xml",
    ]
    assert (
        f'<a href="webcal://127.0.0.1:8000/devdays/schedule.ics?key={token.secret}">'
        "Subscribe in your calendar</a>"
    ) in html


def test_programme_before_publication_says_so() -> None:
    built = build_conference(talks=2)

    as_member = signed_in(make_person()).get("/conferences/devdays/").content.decode()
    as_enabler = signed_in(built.enabler).get("/conferences/devdays/").content.decode()

    notice = re.compile(r'<p class="notice" id="not-published">([^<]+)')
    assert notice.findall(as_member) == [
        "The programme of DevDays is not published yet. Come back later: it appears here as "
        "soon as the organisers publish it."
    ]
    assert notice.findall(as_enabler) == ["The programme of DevDays is not published yet."]
    assert 'href="/conferences/devdays/publish/">Check and publish the first release' in as_enabler
    assert "publish/" not in as_member


def test_unknown_conference_is_not_found() -> None:
    response = signed_in(make_person()).get("/conferences/nosuchconf/")

    assert response.status_code == 404


def test_pages_need_sign_in() -> None:
    published(talks=1)

    response = Client().get("/conferences/devdays/")

    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/login/?next=/conferences/devdays/",
    )


def test_conference_list_says_which_programmes_are_published() -> None:
    published(talks=1)
    build_conference(talks=0, slug="nextconf", name="NextConf")

    html = signed_in(make_person()).get("/conferences/").content.decode()

    rows = re.findall(
        r'<strong>([^<]+)</strong></a>.*?<span class="badge[^"]*">([^<]+)', html, re.S
    )
    assert rows == [
        ("DevDays", "Programme published (release 1)"),
        ("NextConf", "Programme not published yet"),
    ]


def test_publish_page_shows_the_changes_then_publishes() -> None:
    built = published(talks=2)
    occurrence_update(
        occurrence=built.talks[1].session.occurrences.get(),
        actor=built.enabler,
        start=datetime(2030, 6, 6, 7, 0, tzinfo=UTC),
        end=datetime(2030, 6, 6, 7, 45, tzinfo=UTC),
    )
    client = signed_in(built.enabler)

    check = client.get("/conferences/devdays/publish/").content.decode()
    done = client.post("/conferences/devdays/publish/", follow=True)

    assert re.findall(r'<ul class="rows" id="changes"><li>([^<]+)</li>', check) == [
        "“Talk number 2” moved from Tue 10:00 to Thu 09:00."
    ]
    assert "<button>Publish release 2</button>" in check
    assert 'name="csrfmiddlewaretoken"' in check
    assert list(Release.objects.values_list("number", flat=True)) == [2, 1]
    assert done.redirect_chain == [("/conferences/devdays/", 302)]
    assert re.findall(r'<li class="success">([^<]+)</li>', done.content.decode()) == [
        "Release 2 of DevDays is published: the programme and its exports show it now."
    ]


def test_publish_page_refuses_a_member_and_writes_nothing() -> None:
    build_conference(talks=1)
    member = signed_in(make_person(role=Person.Role.MEMBER))

    looked = member.get("/conferences/devdays/publish/")
    posted = member.post("/conferences/devdays/publish/")

    assert (looked.status_code, posted.status_code) == (403, 403)
    assert "Only enablers run conferences." in posted.content.decode()
    assert Release.objects.count() == 0


def test_publish_needs_the_csrf_token() -> None:
    built = build_conference(talks=1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(built.enabler.user)

    response = client.post("/conferences/devdays/publish/")

    assert response.status_code == 403
    assert Release.objects.count() == 0


def test_programme_page_takes_the_same_queries_for_3_and_30_talks() -> None:
    viewer = make_person()
    counts = {}
    for size, slug in ((3, "small-conf"), (30, "large-conf")):
        published(talks=size, slug=slug)
        client = signed_in(viewer)
        client.get(f"/conferences/{slug}/")
        cache.clear()
        with CaptureQueriesContext(connection) as cold:
            assert client.get(f"/conferences/{slug}/?room=Hopper").status_code == 200
        cold_queries = len(cold.captured_queries)  # before the next request empties the log
        with CaptureQueriesContext(connection) as warm:
            client.get(f"/conferences/{slug}/")
        counts[size] = (cold_queries, len(warm.captured_queries))

    assert counts[3] == counts[30]
    assert counts[30][1] < counts[30][0]
