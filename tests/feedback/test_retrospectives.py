"""Retrospectives keep their history, anyone can own an action (picked by name, no script
needed), owners see and close their actions, and enablers see every open action."""

from __future__ import annotations

import html
import importlib
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from knowflow.accounts.models import OrgUnit, Person
from knowflow.feedback.models import Retrospective, RetrospectiveAction, RetrospectiveVersion
from knowflow.feedback.services.requests import survey_request_create
from knowflow.feedback.services.retrospectives import (
    RetrospectiveChanged,
    retrospective_action_add,
    retrospective_action_set_done,
    retrospective_save,
)
from tests.conftest import signed_in
from tests.factories import make_person
from tests.feedback.helpers import ended_occurrence

pytestmark = pytest.mark.django_db


@pytest.fixture
def retro() -> dict:
    speaker = make_person(name="Sol Speaker")
    # Five days ago, so an action can be due (and late) a few days before today.
    occurrence = ended_occurrence(speakers=[speaker], days_ago=5)
    # Whole seconds, so the API's timestamp can be compared exactly.
    occurrence.start = occurrence.start.replace(microsecond=0)
    occurrence.save(update_fields=["start"])
    return {"speaker": speaker, "occurrence": occurrence, "session": occurrence.session}


def edit_url(occurrence: object) -> str:
    return f"/feedback/occurrences/{occurrence.pk}/retrospective/"


def textarea(page: str, name: str) -> str:
    match = re.search(rf'<textarea name="{name}"[^>]*>\n?(.*?)</textarea>', page, re.S)
    assert match, name
    return html.unescape(match.group(1))


def hidden(page: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    assert match, name
    return match.group(1)


def messages_of(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<li class="[^"]*">([^<]+)</li>', page)]


# --- history ------------------------------------------------------------------------------------


def test_editing_shows_the_current_text_and_saving_keeps_the_earlier_version(retro: dict) -> None:
    client = signed_in(retro["speaker"])
    first = {"went_well": "Demo worked", "to_change": "Start on time", "based_on": "0"}
    client.post(edit_url(retro["occurrence"]), first)

    page = client.get(edit_url(retro["occurrence"])).content.decode()
    assert (textarea(page, "went_well"), textarea(page, "to_change")) == (
        "Demo worked",
        "Start on time",
    )
    assert hidden(page, "based_on") == "1"

    form = {"went_well": "Demo worked", "to_change": "Start on time; test the mic", "based_on": "1"}
    done = client.post(edit_url(retro["occurrence"]), form, follow=True)

    assert messages_of(done.content.decode()) == ["Retrospective saved (version 2)."]
    assert list(
        RetrospectiveVersion.objects.values_list("number", "to_change", "saved_by__display_name")
    ) == [(2, "Start on time; test the mic", "Sol Speaker"), (1, "Start on time", "Sol Speaker")]
    results = done.content.decode()
    section = results.split('<section id="retrospective">', 1)[1]
    assert "<strong>To change:</strong> Start on time; test the mic</p>" in section
    earlier = section.split('<details class="versions"><summary>Earlier versions (1)</summary>')[1]
    assert (
        earlier.split("</details>")[0].count("<strong>To change:</strong> Start on time</p>") == 1
    )
    versions = client.get(edit_url(retro["occurrence"])).content.decode().split('id="versions"')[1]
    assert re.findall(r"<h3>(Version \d+(?: \(current\))?), saved by Sol Speaker", versions) == [
        "Version 2 (current)",
        "Version 1",
    ]


def test_saving_the_same_text_again_writes_no_version(retro: dict) -> None:
    client = signed_in(retro["speaker"])
    form = {"went_well": "Fine", "to_change": "", "based_on": "0"}
    client.post(edit_url(retro["occurrence"]), form)
    client.post(edit_url(retro["occurrence"]), {**form, "based_on": "1"})
    assert RetrospectiveVersion.objects.count() == 1


def test_an_edit_of_an_older_version_is_refused_and_keeps_both_texts(retro: dict) -> None:
    enabler = make_person(role=Person.Role.ENABLER, name="Eli Enabler")
    speaker = signed_in(retro["speaker"])
    speaker.post(edit_url(retro["occurrence"]), {"went_well": "v1", "based_on": "0"})
    # Both open the edit page at version 1; the enabler saves first.
    signed_in(enabler).post(edit_url(retro["occurrence"]), {"went_well": "Eli's", "based_on": "1"})

    page = speaker.post(edit_url(retro["occurrence"]), {"went_well": "Sol's", "based_on": "1"})

    text = page.content.decode()
    assert page.status_code == 409
    assert (
        "Eli Enabler saved a newer version (version 2) while you were editing. Nothing was "
        "saved: compare your text with theirs below and save again."
    ) in html.unescape(text)
    assert textarea(text, "went_well") == "Sol's"  # the input is kept…
    assert hidden(text, "based_on") == "2"  # …and the next save knowingly replaces version 2
    assert "<strong>Went well:</strong> Eli&#x27;s</p>" in text  # theirs, in the history
    assert Retrospective.objects.get().went_well == "Eli's"
    assert RetrospectiveVersion.objects.count() == 2


def test_the_history_is_for_those_who_keep_the_retrospective(retro: dict) -> None:
    retrospective_save(
        occurrence=retro["occurrence"], actor=retro["speaker"], went_well="x", to_change=""
    )
    for person in (make_person(), make_person(role=Person.Role.LEADER)):
        page = signed_in(person).get(edit_url(retro["occurrence"]))
        assert page.status_code == 403
        assert (
            "<h1>Not allowed</h1><p>Only the session&#x27;s speakers and enablers keep its "
            "retrospective.</p>"
        ) in page.content.decode()


def test_retrospectives_written_before_versions_become_version_one(retro: dict) -> None:
    old = Retrospective.objects.create(
        occurrence=retro["occurrence"],
        went_well="Kept",
        to_change="Also kept",
        updated_by=retro["speaker"],
        updated_at=timezone.now(),
    )
    migration = importlib.import_module(
        "knowflow.feedback.migrations.0008_retrospective_versions_and_action_due"
    )
    migration.first_versions(apps, None)

    old.refresh_from_db()
    assert old.version == 1
    assert list(
        old.versions.values_list("number", "went_well", "to_change", "saved_by", "saved_at")
    ) == [(1, "Kept", "Also kept", retro["speaker"].pk, old.updated_at)]


# --- actions: any owner, picked by name ---------------------------------------------------------


def add_action(client: object, occurrence: object, **form: str) -> object:
    return client.post(f"/feedback/occurrences/{occurrence.pk}/actions/", form)


def test_anyone_can_own_an_action_and_sees_it_at_home_and_closes_it(retro: dict) -> None:
    ada = make_person(name="Ada Lovelace")  # not a speaker, a plain member
    speaker = signed_in(retro["speaker"])
    due = timezone.localdate() + timedelta(days=7)

    done = add_action(
        speaker,
        retro["occurrence"],
        text="Book a better mic",
        owner="ada lovelace",
        due_on=due.isoformat(),
    )

    assert done.status_code == 302
    assert list(RetrospectiveAction.objects.values_list("text", "owner", "due_on", "done")) == [
        ("Book a better mic", ada.pk, due, False)
    ]
    action = RetrospectiveAction.objects.get()
    ada_client = signed_in(ada)
    home = ada_client.get("/").content.decode()
    section = home.split("<h2>Actions you own</h2>", 1)[1].split("</section>")[0]
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section)).strip() == (
        f"Book a better mic from the retrospective of {retro['session'].title} · due "
        f"{due.day} {due:%b %Y} Mark done"
    )

    # The home page's button posts with its CSRF token and comes back home.
    assert 'name="csrfmiddlewaretoken"' in section
    assert '<input type="hidden" name="next" value="/">' in section

    outsider = signed_in(make_person())
    refused = outsider.post(f"/feedback/actions/{action.pk}/done/", {"done": "1", "next": "/"})
    assert refused.status_code == 403
    assert RetrospectiveAction.objects.get().done is False

    closed = ada_client.post(f"/feedback/actions/{action.pk}/done/", {"done": "1", "next": "/"})

    assert (closed.status_code, closed["Location"]) == (302, "/")
    assert RetrospectiveAction.objects.get().done is True
    assert "<h2>Actions you own</h2>" not in ada_client.get("/").content.decode()


def test_a_name_that_matches_several_people_is_answered_on_the_field(retro: dict) -> None:
    team = OrgUnit.objects.create(name="Platform", slug="platform")
    make_person(name="Sam Rivera", org_unit=team, tz="Europe/Lisbon")
    make_person(name="Sam Rivera", tz="Asia/Tokyo")
    speaker = signed_in(retro["speaker"])

    page = add_action(speaker, retro["occurrence"], text="Share the slides", owner="Sam Rivera")

    text = html.unescape(page.content.decode())
    assert page.status_code == 400
    assert (
        "Several people match “Sam Rivera”: Sam Rivera (Platform, Europe/Lisbon, sam-rivera); "
        "Sam Rivera (Asia/Tokyo, sam-rivera-2). Type the full name or the slug."
    ) in text
    assert '<a href="#id_owner">Several people match' in text  # the error summary links the field
    assert 'name="text" value="Share the slides"' in text  # input kept
    assert RetrospectiveAction.objects.count() == 0

    add_action(speaker, retro["occurrence"], text="Share the slides", owner="sam-rivera-2")
    assert list(RetrospectiveAction.objects.values_list("owner__timezone", flat=True)) == [
        "Asia/Tokyo"
    ]


def test_a_name_that_matches_nobody_writes_nothing(retro: dict) -> None:
    page = add_action(
        signed_in(retro["speaker"]), retro["occurrence"], text="Fix it", owner="Nobody Here"
    )
    assert page.status_code == 400
    assert (
        "Nobody called “Nobody Here” was found; check the spelling in the people directory."
    ) in html.unescape(page.content.decode())
    assert RetrospectiveAction.objects.count() == 0


def test_the_add_action_page_works_without_a_script(retro: dict) -> None:
    page = signed_in(retro["speaker"]).get(
        f"/feedback/occurrences/{retro['occurrence'].pk}/actions/"
    )
    text = page.content.decode()
    assert '<input type="text" name="owner" list="owner-suggestions"' in text
    assert (
        '<datalist id="owner-suggestions"><option value="Sol Speaker"></option></datalist>' in text
    )
    assert "<script" not in text.split("<main", 1)[1]


# --- every open action ------------------------------------------------------------------------


def _actions(retro: dict) -> dict:
    speaker, occurrence = retro["speaker"], retro["occurrence"]
    ada = make_person(name="Ada Lovelace")
    today = timezone.localdate()
    later = retrospective_action_add(
        occurrence=occurrence,
        actor=speaker,
        text="Later",
        owner=ada,
        due_on=today + timedelta(days=30),
    )
    undated = retrospective_action_add(
        occurrence=occurrence, actor=speaker, text="Some day", owner=None
    )
    late = retrospective_action_add(
        occurrence=occurrence,
        actor=speaker,
        text="Late one",
        owner=speaker,
        due_on=today - timedelta(days=2),
    )
    closed = retrospective_action_add(
        occurrence=occurrence, actor=speaker, text="Closed", owner=ada
    )
    retrospective_action_set_done(action=closed, actor=speaker, done=True)
    return {"later": later, "undated": undated, "late": late, "ada": ada, "today": today}


def test_enablers_see_every_open_action_soonest_due_first_and_close_one(retro: dict) -> None:
    made = _actions(retro)
    enabler = signed_in(make_person(role=Person.Role.ENABLER))

    page = enabler.get("/feedback/actions/").content.decode()

    body = page.split("<tbody>", 1)[1].split("</tbody>")[0]
    rows = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in body.split("</tr>")[:-1]
    ]
    date_of = retro["occurrence"].start
    when = f"{date_of.day} {date_of:%b %Y}"
    late, later = made["today"] - timedelta(days=2), made["today"] + timedelta(days=30)
    title = retro["session"].title
    assert rows == [
        f"Late one Sol Speaker {title} {when} {late.day} {late:%b %Y} late Mark done “Late one”",
        f"Later Ada Lovelace {title} {when} {later.day} {later:%b %Y} Mark done “Later”",
        f"Some day no owner {title} {when} — Mark done “Some day”",
    ]
    closed = enabler.post(
        f"/feedback/actions/{made['late'].pk}/done/",
        {"done": "1", "next": "/feedback/actions/"},
        follow=True,
    )
    assert messages_of(closed.content.decode()) == ["“Late one” is done."]
    assert "Late one" not in closed.content.decode().split("<tbody>", 1)[1]


def test_open_actions_are_reachable_by_links(retro: dict) -> None:
    enabler = signed_in(make_person(role=Person.Role.ENABLER))
    for url in (
        "/insights/",
        "/feedback/programme/",
        f"/feedback/sessions/{retro['session'].slug}/",
    ):
        assert 'href="/feedback/actions/"' in enabler.get(url).content.decode(), url


def test_open_actions_page_query_count_does_not_grow(retro: dict) -> None:
    enabler = signed_in(make_person(role=Person.Role.ENABLER))
    _actions(retro)
    with CaptureQueriesContext(connection) as few:
        enabler.get("/feedback/actions/")
    other = ended_occurrence(speakers=[make_person()])
    for n in range(10):
        retrospective_action_add(
            occurrence=other,
            actor=retro["speaker"] if False else other.session.speakers.get(),
            text=f"More {n}",
            owner=make_person(),
        )
    with CaptureQueriesContext(connection) as many:
        enabler.get("/feedback/actions/")
    assert len(many) == len(few)


def test_open_actions_in_the_api(retro: dict) -> None:
    made = _actions(retro)
    enabler = signed_in(make_person(role=Person.Role.ENABLER))

    body = enabler.get("/api/v1/feedback/actions").json()

    occurrence = retro["occurrence"]
    common = {
        "done": False,
        "session_id": retro["session"].pk,
        "session_title": retro["session"].title,
        "occurrence_id": occurrence.pk,
        "occurrence_start": occurrence.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert body == {
        "total": 3,
        "actions": [
            {
                **common,
                "id": made["late"].pk,
                "text": "Late one",
                "due_on": (made["today"] - timedelta(days=2)).isoformat(),
                "owner_id": retro["speaker"].pk,
                "owner_name": "Sol Speaker",
            },
            {
                **common,
                "id": made["later"].pk,
                "text": "Later",
                "due_on": (made["today"] + timedelta(days=30)).isoformat(),
                "owner_id": made["ada"].pk,
                "owner_name": "Ada Lovelace",
            },
            {
                **common,
                "id": made["undated"].pk,
                "text": "Some day",
                "due_on": None,
                "owner_id": None,
                "owner_name": None,
            },
        ],
    }
    ada = signed_in(made["ada"])
    assert [a["text"] for a in ada.get("/api/v1/feedback/actions/mine").json()] == ["Later"]
    refused = ada.get("/api/v1/feedback/actions")
    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "The list of every open action is for enablers.", "field": None},
    )
    closed = ada.post(
        f"/api/v1/feedback/actions/{made['later'].pk}/done",
        data={"done": True},
        content_type="application/json",
    )
    assert (closed.status_code, closed.json()["done"]) == (200, True)
    assert RetrospectiveAction.objects.get(pk=made["later"].pk).done is True


def test_the_admin_shows_the_history_and_cannot_overwrite_the_text(retro: dict) -> None:
    retrospective_save(
        occurrence=retro["occurrence"], actor=retro["speaker"], went_well="Kept", to_change=""
    )
    admin = make_person(role=Person.Role.ADMIN)
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    client = signed_in(admin)
    url = f"/admin/feedback/retrospective/{Retrospective.objects.get().pk}/change/"

    page = client.get(url).content.decode()
    client.post(url, {"went_well": "Overwritten", "occurrence": retro["occurrence"].pk})

    assert 'name="went_well"' not in page  # shown, not editable
    assert '<div class="readonly">Kept</div>' in page
    assert Retrospective.objects.get().went_well == "Kept"
    assert RetrospectiveVersion.objects.count() == 1


def test_the_admin_refuses_to_add_a_retrospective_and_adds_nothing(retro: dict) -> None:
    admin = make_person(role=Person.Role.ADMIN)
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    client = signed_in(admin)
    form = {
        "occurrence": retro["occurrence"].pk,
        "actions-TOTAL_FORMS": "0",
        "actions-INITIAL_FORMS": "0",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
    }

    added = client.post("/admin/feedback/retrospective/add/", form)
    listing = client.get("/admin/feedback/retrospective/").content.decode()

    # Refused (not a server error), nothing written, and the list offers no "Add" button.
    assert added.status_code == 403
    assert Retrospective.objects.count() == 0
    assert "/admin/feedback/retrospective/add/" not in listing


# --- refused saves ------------------------------------------------------------------------------


def test_a_save_that_names_no_version_overwrites_nothing(retro: dict) -> None:
    retrospective_save(
        occurrence=retro["occurrence"], actor=retro["speaker"], went_well="Kept", to_change=""
    )
    client = signed_in(retro["speaker"])

    page = client.post(edit_url(retro["occurrence"]), {"went_well": "Blind", "to_change": ""})

    assert page.status_code == 400
    assert (
        "Open the retrospective's page and save from there: the form did not say which version "
        "it started from, so nothing was saved."
    ) in html.unescape(page.content.decode())
    assert Retrospective.objects.get().went_well == "Kept"
    assert RetrospectiveVersion.objects.count() == 1
    # Called directly without a version, the service refuses too once a version exists.
    with pytest.raises(RetrospectiveChanged):
        retrospective_save(
            occurrence=retro["occurrence"], actor=retro["speaker"], went_well="Blind", to_change=""
        )
    assert Retrospective.objects.get().went_well == "Kept"


def test_a_date_still_to_come_takes_no_retrospective_and_no_action(retro: dict) -> None:
    occurrence = retro["occurrence"]
    occurrence.start = timezone.now() + timedelta(days=2)
    occurrence.end = occurrence.start + timedelta(hours=1)
    occurrence.save(update_fields=["start", "end"])
    client = signed_in(retro["speaker"])
    refusal = "A retrospective (and its actions) can be written once the date has started."

    saved = client.post(
        edit_url(occurrence), {"went_well": "Early", "to_change": "", "based_on": "0"}
    )
    action = add_action(client, occurrence, text="Book a room", owner="", due_on="")

    assert (saved.status_code, action.status_code) == (400, 400)
    assert refusal in html.unescape(saved.content.decode())
    assert refusal in html.unescape(action.content.decode())
    assert (Retrospective.objects.count(), RetrospectiveAction.objects.count()) == (0, 0)


def test_an_action_cannot_be_due_before_its_date(retro: dict) -> None:
    client = signed_in(retro["speaker"])
    day = timezone.localdate(retro["occurrence"].start)

    refused = add_action(
        client,
        retro["occurrence"],
        text="Too early",
        owner="",
        due_on=(day - timedelta(days=1)).isoformat(),
    )
    kept = add_action(
        client, retro["occurrence"], text="Same day", owner="", due_on=day.isoformat()
    )

    assert refused.status_code == 400
    assert (
        f"The due date cannot be before the session date ({day.day} {day:%b %Y})."
        in html.unescape(refused.content.decode())
    )
    assert kept.status_code == 302
    assert list(RetrospectiveAction.objects.values_list("text", "due_on")) == [("Same day", day)]


def test_writing_the_retrospective_on_its_page_clears_the_request_from_home(retro: dict) -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    request = survey_request_create(
        occurrence=retro["occurrence"], person=retro["speaker"], kind="retrospective", actor=enabler
    )
    # As the worker leaves it once the email has gone.
    request.status, request.sent_at = "sent", timezone.now()
    request.expires_at = timezone.now() + timedelta(days=14)
    request.save()
    client = signed_in(retro["speaker"])
    title = retro["session"].title
    assert title in client.get("/").content.decode().split("Write your retrospective", 1)[1]

    client.post(
        edit_url(retro["occurrence"]),
        {"went_well": "Demo worked", "to_change": "Start on time", "based_on": "0"},
    )

    request.refresh_from_db()
    assert (request.status, request.next_action_at) == ("answered", None)
    assert "Write your retrospective" not in client.get("/").content.decode()
