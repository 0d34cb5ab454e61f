"""The pages: find an expert, a person's expertise with confirmations, my expertise."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowflow.expertise import services
from knowflow.expertise.models import SkillConfirmation
from knowflow.search.engine import invalidate
from tests.conftest import signed_in
from tests.factories import make_occurrence, make_person, make_session, make_topic

pytestmark = pytest.mark.django_db
WEDNESDAY_10_UTC = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).strip()


def gave(person, topic, days_ago=30):
    session = make_session(speakers=[person], title=f"{topic.name} in practice")
    session.topics.add(topic)
    make_occurrence(session=session, start=WEDNESDAY_10_UTC - timedelta(days=days_ago))


@pytest.fixture
def sql():
    return make_topic("SQL")


@time_machine.travel(WEDNESDAY_10_UTC, tick=False)
def test_find_shows_zone_local_time_working_hours_and_the_evidence(sql):
    berlin = make_person(name="Bea Berlin", tz="Europe/Berlin")
    tokyo = make_person(name="Taro Tokyo", tz="Asia/Tokyo")
    gave(berlin, sql)
    gave(tokyo, sql, days_ago=400)
    viewer = make_person(name="Vi")
    invalidate()

    response = signed_in(viewer).get("/experts/", {"q": "sql"})

    page = text_of(response)
    assert response.status_code == 200
    assert (
        "Bea Berlin Europe/Berlin · 11:00 there now Within working hours now "
        "Taught 1 session on SQL, last in November 2026. Ask by email"
    ) in page
    assert (
        "Taro Tokyo Asia/Tokyo · 19:00 there now Outside working hours now "
        "Taught 1 session on SQL, last in October 2025."
    ) in page
    assert page.index("Bea Berlin") < page.index("Taro Tokyo")
    assert f'href="mailto:{berlin.email}?subject=sql"' in response.content.decode()


def test_find_never_shows_opted_out_or_hidden_people(sql):
    shown, shy, hider = (
        make_person(name=n) for n in ("Shown Person", "Shy Person", "Hider Person")
    )
    for person in (shown, shy, hider):
        gave(person, sql)
    services.expert_opt_out(person=shy, actor=shy)
    services.expertise_topic_hide(person=hider, topic=sql, actor=hider)
    invalidate()
    client = signed_in(make_person(name="Vi"))

    by_text = text_of(client.get("/experts/", {"q": "SQL"}))
    by_topic = text_of(client.get("/experts/", {"topic": sql.slug}))
    shy_page = text_of(client.get(f"/experts/people/{shy.slug}/"))
    hider_page = text_of(client.get(f"/experts/people/{hider.slug}/"))

    for page in (by_text, by_topic):
        assert ("Shown Person" in page, "Shy Person" in page, "Hider Person" in page) == (
            True, False, False)  # fmt: skip
    assert "Shy Person asked not to be listed as an expert." in shy_page
    assert (
        "SQL" not in hider_page.split("What Hider Person knows", 1)[1].split("Confirm another")[0]
    )


def test_find_with_an_unknown_topic_or_no_word_says_so(sql):
    client = signed_in(make_person(name="Vi"))

    unknown = client.get("/experts/", {"topic": "no-such-topic"})
    empty = client.get("/experts/", {"q": "???"})

    assert unknown.status_code == empty.status_code == 200
    assert "There is no topic “no-such-topic”." in text_of(unknown)
    assert "“???” holds no word to look for: try a topic’s name." in text_of(empty)


def test_find_query_count_does_not_grow_with_the_experts(sql):
    viewer = make_person(name="Vi")
    client = signed_in(viewer)

    def count() -> int:
        invalidate()
        client.get("/experts/", {"q": "sql"})  # warm: the engine's vocabulary
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/experts/", {"q": "sql"})
        assert response.status_code == 200
        return len(queries)

    for n in range(2):
        gave(make_person(name=f"Expert {n}"), sql)
    few = count()
    for n in range(2, 12):
        gave(make_person(name=f"Expert {n}"), sql)
    assert count() == few


def test_a_colleague_confirms_a_skill_on_the_profile_page(sql):
    ada, bob = make_person(name="Ada"), make_person(name="Bob")
    gave(ada, sql)
    client = signed_in(bob)

    response = client.post(f"/experts/people/{ada.slug}/confirm/", {"topic": sql.slug}, follow=True)

    assert "You confirmed that Ada knows SQL." in text_of(response)
    assert "1 colleague confirmed SQL" in text_of(response)
    assert "Withdraw my confirmation" in text_of(response)
    again = client.post(f"/experts/people/{ada.slug}/confirm/", {"topic": sql.slug}, follow=True)
    assert "You already confirmed that Ada knows SQL." in text_of(again)
    assert SkillConfirmation.objects.count() == 1


def test_my_expertise_hides_adds_and_opts_out(sql):
    go = make_topic("Go")
    ada = make_person(name="Ada")
    gave(ada, sql)
    client = signed_in(ada)

    hidden = client.post("/experts/mine/hide/", {"topic": sql.slug}, follow=True)
    added = client.post("/experts/mine/add/", {"topic": go.slug}, follow=True)
    out = client.post("/experts/mine/listed/", {"listed": "no"}, follow=True)
    refused = client.post("/experts/mine/add/", {"topic": "nope"}, follow=True)

    assert "You are no longer listed for SQL." in text_of(hidden)
    assert "SQL Hidden Taught 1 session on SQL" in text_of(hidden)
    assert "Go Says they know Go." in text_of(added)
    assert "You are not listed as an expert anywhere (pages, API, command line)." in text_of(out)
    assert "There is no topic “nope”." in text_of(refused)
    assert list(ada.skills.values_list("name", flat=True)) == ["Go"]
    assert signed_in(ada).get(f"/experts/people/{ada.slug}/").url == "/experts/mine/"


def test_the_main_navigation_links_to_find_an_expert():
    response = signed_in(make_person(name="Vi")).get("/")

    assert '<a href="/experts/">Experts</a>' in response.content.decode()


def test_the_api_ranks_as_the_page_and_hides_who_opted_out(sql):
    shown, shy = make_person(name="Shown Person"), make_person(name="Shy Person")
    gave(shown, sql)
    gave(shy, sql)
    services.expert_opt_out(person=shy, actor=shy)
    invalidate()
    client = signed_in(make_person(name="Vi"))

    found = client.get("/api/v1/experts/", {"q": "sql"})
    empty = client.get("/api/v1/experts/", {"q": ""})
    unknown = client.get("/api/v1/experts/", {"topic": "nope"})

    assert found.status_code == 200
    assert [(e["name"], e["evidence"][0][:22]) for e in found.json()] == [
        ("Shown Person", "taught 1 session on SQ")
    ]
    assert (empty.status_code, empty.json()["detail"]) == (
        400, "Type a topic or a question, such as “SQL” or “kubernetes operators”.")  # fmt: skip
    assert (unknown.status_code, unknown.json()["detail"]) == (404, "There is no topic “nope”.")
