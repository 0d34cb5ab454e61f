"""Only http(s) links: every way in refuses another scheme naming the field and writes nothing,
and a link stored before the rule is never rendered as a live link."""

from __future__ import annotations

import html
import importlib
import io
import json
import re
import zipfile
from datetime import UTC, timedelta

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.events.models import Occurrence, Registration, Session
from knowflow.events.services import registration_create
from knowflow.library.models import Resource
from knowflow.mail.services import outbox_deliver_due
from tests.conftest import signed_in
from tests.factories import make_occurrence, make_person, make_room, make_session
from tests.integrations.test_org_data import _empty_database
from tests.smtp import Inbox, calendar_part, only_event

pytestmark = pytest.mark.django_db

# What an attacker types; browsers ignore the case of a scheme and leading blanks.
BAD_LINKS = [
    "javascript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "  JaVaScRiPt:alert(1)",
    "\tjava\nscript:alert(1)",
    "ftp://files.example.org/talk.mp4",
]

ONLINE_LINK_REFUSED = "The online link must be a web address that starts with http:// or https://."
LINK_REFUSED = "The link must be a web address that starts with http:// or https://."


def _field_errors(page: str, field: str) -> list[str]:
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    return (
        [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", match.group(1))] if match else []
    )


def _messages(page: str) -> list[str]:
    found = re.findall(r'<li class="(?:success|info|error|warning)">([^<]+)</li>', page)
    return [html.unescape(m) for m in found]


def _api(person: Person) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


# --- a date's online link ----------------------------------------------------------------


@pytest.mark.parametrize("bad", BAD_LINKS)
def test_add_date_page_refuses_a_link_that_is_not_http_naming_the_field(bad: str) -> None:
    speaker = make_person()
    session = make_session(speakers=[speaker])

    response = signed_in(speaker).post(
        f"/sessions/{session.slug}/occurrences/new/",
        {
            "start": "2030-06-03T14:30",
            "end": "2030-06-03T15:30",
            "zone": "UTC",
            "online_url": bad,
            "capacity": "40",
        },
    )

    assert response.status_code == 200
    assert _field_errors(response.content.decode(), "online_url") == [
        "Online link must be a web address that starts with http:// or https://."
    ]
    assert Occurrence.objects.count() == 0


def test_change_date_page_refuses_a_bad_link_and_keeps_the_stored_one() -> None:
    speaker = make_person()
    occurrence = make_occurrence(
        session=make_session(speakers=[speaker]), online_url="https://meet.example.org/a"
    )
    local = occurrence.start.astimezone(UTC)

    response = signed_in(speaker).post(
        f"/sessions/occurrences/{occurrence.pk}/edit/",
        {
            "start": f"{local:%Y-%m-%dT%H:%M}",
            "end": f"{local + timedelta(hours=1):%Y-%m-%dT%H:%M}",
            "zone": "UTC",
            "online_url": "  JaVaScRiPt:alert(1)",
            "capacity": "10",
        },
    )

    assert _field_errors(response.content.decode(), "online_url") == [
        "Online link must be a web address that starts with http:// or https://."
    ]
    assert Occurrence.objects.get().online_url == "https://meet.example.org/a"


@pytest.mark.parametrize("bad", BAD_LINKS)
def test_api_refuses_a_date_with_a_bad_link_naming_the_field(bad: str) -> None:
    speaker = make_person()
    session = make_session(speakers=[speaker])

    response = _api(speaker).post(
        "/api/v1/occurrences/",
        {
            "session_id": session.pk,
            "start": "2030-06-03T10:00:00Z",
            "end": "2030-06-03T11:00:00Z",
            "online_url": bad,
            "capacity": 5,
        },
        content_type="application/json",
    )

    assert (response.status_code, response.json()["field"]) == (422, "online_url")
    assert response.json()["detail"] == f"online_url: {ONLINE_LINK_REFUSED}"
    assert Occurrence.objects.count() == 0


def test_api_refuses_changing_a_date_to_a_bad_link_and_keeps_the_stored_one() -> None:
    speaker = make_person()
    occurrence = make_occurrence(
        session=make_session(speakers=[speaker]), online_url="https://meet.example.org/a"
    )

    response = _api(speaker).patch(
        f"/api/v1/occurrences/{occurrence.pk}",
        {"online_url": "vbscript:msgbox(1)"},
        content_type="application/json",
    )

    assert (response.status_code, response.json()["detail"]) == (
        422,
        f"online_url: {ONLINE_LINK_REFUSED}",
    )
    assert Occurrence.objects.get().online_url == "https://meet.example.org/a"


def test_api_and_page_plan_refuse_a_bad_link_and_create_no_date() -> None:
    speaker = make_person()
    session = make_session(speakers=[speaker])
    start = (timezone.now() + timedelta(days=10)).replace(microsecond=0)

    api = _api(speaker).post(
        f"/api/v1/planning/sessions/{session.pk}/occurrences",
        {
            "starts": [start.isoformat()],
            "duration_min": 60,
            "capacity": 10,
            "online_url": "data:text/html,hi",
        },
        content_type="application/json",
    )
    page = signed_in(speaker).post(
        f"/sessions/{session.slug}/find-a-time/create/",
        {
            "start": [start.isoformat()],
            "duration": "60",
            "capacity": "10",
            "online_url": "javascript:alert(1)",
        },
        follow=True,
    )

    assert (api.status_code, api.json()["detail"]) == (422, f"online_url: {ONLINE_LINK_REFUSED}")
    assert _messages(page.content.decode()) == [ONLINE_LINK_REFUSED]
    assert Occurrence.objects.count() == 0


def test_admin_refuses_a_bad_online_link_and_keeps_the_stored_one() -> None:
    admin = make_person(role=Person.Role.ADMIN)
    occurrence = make_occurrence(online_url="https://meet.example.org/a")
    start, end = occurrence.start, occurrence.end

    response = signed_in(admin).post(
        f"/admin/events/occurrence/{occurrence.pk}/change/",
        {
            "session": occurrence.session_id,
            "start_0": f"{start:%Y-%m-%d}",
            "start_1": f"{start:%H:%M:%S}",
            "end_0": f"{end:%Y-%m-%d}",
            "end_1": f"{end:%H:%M:%S}",
            "room": "",
            "online_url": "javascript:alert(1)",
            "capacity": "10",
            "sequence": "0",
            "cancelled_at_0": "",
            "cancelled_at_1": "",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert re.findall(r'<ul class="errorlist"[^>]*><li>(.*?)</li>', page) == [
        "Online link must be a web address that starts with http:// or https://.",
    ]
    assert Occurrence.objects.get().online_url == "https://meet.example.org/a"


# --- a resource's link -----------------------------------------------------------------


@pytest.mark.parametrize("bad", BAD_LINKS)
def test_add_resource_page_refuses_a_bad_link_naming_the_field(bad: str) -> None:
    response = signed_in(make_person()).post(
        "/library/add/",
        {"kind": "article", "title": "Threat models", "url": bad, "language": "en"},
    )

    assert response.status_code == 200
    assert _field_errors(response.content.decode(), "url") == [
        "Link must be a web address that starts with http:// or https://."
    ]
    assert Resource.objects.count() == 0


@pytest.mark.parametrize("bad", BAD_LINKS)
def test_api_refuses_a_resource_with_a_bad_link_naming_the_field(bad: str) -> None:
    response = _api(make_person()).post(
        "/api/v1/library/resources",
        {"kind": "article", "title": "Threat models", "url": bad},
        content_type="application/json",
    )

    assert (response.status_code, response.json()["detail"]) == (422, f"url: {LINK_REFUSED}")
    assert Resource.objects.count() == 0


def test_api_and_page_refuse_changing_a_resource_to_a_bad_link() -> None:
    owner = make_person()
    created = _api(owner).post(
        "/api/v1/library/resources",
        {"kind": "article", "title": "Threat models", "url": "https://e.org/tm"},
        content_type="application/json",
    )
    resource = Resource.objects.get(pk=created.json()["id"])

    api = _api(owner).patch(
        f"/api/v1/library/resources/{resource.pk}",
        {"url": " JAVASCRIPT:alert(1)"},
        content_type="application/json",
    )
    page = signed_in(owner).post(
        f"/library/{resource.slug}/edit/",
        {"title": "Threat models", "url": "data:text/html,x", "language": "en"},
    )

    assert (api.status_code, api.json()["detail"]) == (422, f"url: {LINK_REFUSED}")
    assert _field_errors(page.content.decode(), "url") == [
        "Link must be a web address that starts with http:// or https://."
    ]
    assert Resource.objects.get().url == "https://e.org/tm"


def test_csv_import_reports_a_bad_link_and_imports_nothing_from_that_row(tmp_path) -> None:
    path = tmp_path / "resources.csv"
    path.write_text(
        "title,kind,url\n"
        "Threat models,article,https://e.org/tm\n"
        "Evil,article,javascript:alert(1)\n"
        "Shouting,article,HTTPS://e.org/loud\n"
    )
    err = io.StringIO()

    call_command("import_resources_csv", str(path), stdout=io.StringIO(), stderr=err)

    assert sorted(Resource.objects.values_list("title", "url")) == [
        ("Shouting", "HTTPS://e.org/loud"),
        ("Threat models", "https://e.org/tm"),
    ]
    assert "line 3: 'url' is not a web address: 'javascript:alert(1)'" in err.getvalue()


# --- links stored before the rule --------------------------------------------------------


def test_a_stored_bad_online_link_is_not_rendered_as_a_link_nor_returned_by_the_api() -> None:
    member = make_person()
    occurrence = make_occurrence(online_url="javascript:alert(1)")  # written before the rule
    Registration.objects.create(
        occurrence=occurrence,
        person=member,
        status=Registration.Status.GOING,
        requested_at=timezone.now(),
    )
    good = make_occurrence(session=occurrence.session, online_url="https://meet.example.org/b")
    Registration.objects.create(
        occurrence=good,
        person=member,
        status=Registration.Status.GOING,
        requested_at=timezone.now(),
    )

    page = signed_in(member).get(f"/sessions/{occurrence.session.slug}/").content.decode()
    api = _api(member).get(f"/api/v1/occurrences/?session_id={occurrence.session_id}").json()

    assert re.findall(r'<a href="([^"]*)">join online</a>', page) == ["https://meet.example.org/b"]
    assert "javascript:" not in page
    assert [item["online_url"] for item in api["items"]] == ["", "https://meet.example.org/b"]


def test_a_stored_bad_resource_link_is_not_rendered_as_a_link() -> None:
    owner = make_person()
    resource = Resource.objects.create(
        kind="article", title="Old", slug="old", url="javascript:alert(1)", owner=owner
    )

    page = signed_in(owner).get(f"/library/{resource.slug}/").content.decode()
    api = _api(owner).get(f"/api/v1/library/resources/{resource.pk}").json()

    assert ("Open the link" in page, "javascript:" in page) == (False, False)
    assert api["url"] == ""


def test_migrations_blank_stored_links_that_are_not_web_addresses() -> None:
    events = importlib.import_module(
        "knowflow.events.migrations.0007_occurrence_online_url_web_only"
    )
    library = importlib.import_module("knowflow.library.migrations.0003_resource_url_web_only")
    with_room = make_occurrence(room=make_room(), online_url="javascript:alert(1)")
    online_only = make_occurrence(online_url="javascript:alert(2)")
    fine = make_occurrence(online_url="https://meet.example.org/c")
    Resource.objects.create(kind="article", title="Bad", slug="bad", url="data:text/html,x")
    Resource.objects.create(kind="article", title="Good", slug="good", url="https://e.org/g")

    events.blank_links_that_are_not_web_addresses(django_apps, None)
    library.blank_links_that_are_not_web_addresses(django_apps, None)

    urls = dict(Occurrence.objects.values_list("pk", "online_url"))
    assert [urls[with_room.pk], urls[online_only.pk], urls[fine.pk]] == [
        "",
        "javascript:alert(2)",  # kept: an online-only date needs a link; pages don't render it
        "https://meet.example.org/c",
    ]
    assert dict(Resource.objects.values_list("slug", "url")) == {
        "bad": "",
        "good": "https://e.org/g",
    }


def test_good_links_still_pass_everywhere() -> None:
    speaker = make_person()
    session = make_session(speakers=[speaker])

    response = _api(speaker).post(
        "/api/v1/occurrences/",
        {
            "session_id": session.pk,
            "start": "2030-06-03T10:00:00Z",
            "end": "2030-06-03T11:00:00Z",
            "online_url": "  https://meet.example.org/x?id=1  ",
            "capacity": 5,
        },
        content_type="application/json",
    )

    assert response.status_code == 201
    assert json.loads(response.content)["online_url"] == "https://meet.example.org/x?id=1"


@pytest.mark.django_db(transaction=True)
def test_organisation_import_refuses_an_export_with_a_bad_link_and_imports_nothing(
    tmp_path,
) -> None:
    occurrence = make_occurrence(online_url="https://meet.example.org/a")
    exported, edited = tmp_path / "org.zip", tmp_path / "edited.zip"
    call_command("export_org", str(exported))
    with zipfile.ZipFile(exported) as zipped:
        document = json.loads(zipped.read("data.json"))
    for block in document["models"]:
        for row in block["rows"]:
            if block["model"] == "events.Occurrence":
                row["fields"]["online_url"] = " JaVaScRiPt:alert(1)"
    with zipfile.ZipFile(edited, "w") as zipped:
        zipped.writestr("data.json", json.dumps(document))
    _empty_database()

    with pytest.raises(CommandError) as refused:
        call_command("import_org", str(edited))

    assert str(refused.value) == (
        f"events.Occurrence {occurrence.pk}: the online link ' JaVaScRiPt:alert(1)' is not a web "
        "address that starts with http:// or https://; nothing was imported."
    )
    assert (Occurrence.objects.count(), Session.objects.count(), Person.objects.count()) == (
        0,
        0,
        0,
    )


def test_a_stored_bad_online_link_is_left_out_of_the_invitation_email_and_calendar(
    smtp: Inbox,
) -> None:
    member = make_person(name="Ines Invitee")
    occurrence = make_occurrence(online_url="javascript:alert(1)")  # online only, stored before

    registration_create(occurrence=occurrence, person=member, actor=member)
    outbox_deliver_due()

    [message] = smtp.messages
    text = message.get_body(preferencelist=("plain",)).get_content()
    event = only_event(calendar_part(message)[1])
    session_page = f"{settings.KNOWFLOW_BASE_URL}/sessions/{occurrence.session.slug}/"
    assert [line for line in text.splitlines() if line.startswith(("Join:", "About:"))] == [
        f"About: {session_page}"
    ]
    assert (str(event["URL"]), "CONFERENCE" in event) == (session_page, False)
