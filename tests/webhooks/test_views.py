"""The webhook settings pages: admins register, read, change and delete webhooks; the secret is
shown once and kept sealed; everyone else is refused and changes nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowflow import sealing
from knowflow.accounts.models import Person
from knowflow.webhooks.models import Webhook
from knowflow.webhooks.services import webhook_create
from tests.conftest import signed_in
from tests.factories import make_person

pytestmark = pytest.mark.django_db

FORM = {
    "url": "https://lms.example.org/hooks/knowflow",
    "description": "The LMS",
    "events": ["session.scheduled", "registration.created"],
}


def _secret_on(html: str) -> str:
    start = html.index("<code>kfwh_") + len("<code>")
    return html[start : html.index("</code>", start)]


def test_admin_registers_a_webhook_and_sees_its_secret_once() -> None:
    admin = make_person(role=Person.Role.ADMIN)
    client = signed_in(admin)

    response = client.post("/settings/webhooks/new/", FORM)

    html = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = _secret_on(html)
    webhook = Webhook.objects.get()
    assert (webhook.url, webhook.description, webhook.events, webhook.active) == (
        "https://lms.example.org/hooks/knowflow",
        "The LMS",
        ["session.scheduled", "registration.created"],
        True,
    )
    assert webhook.created_by == admin
    assert sealing.unseal(webhook.secret_sealed) == secret
    # Never again: not on the list, not on the webhook's page, not in the edit form.
    for path in (
        "/settings/webhooks/",
        f"/settings/webhooks/{webhook.pk}/",
        f"/settings/webhooks/{webhook.pk}/edit/",
    ):
        page = client.get(path)
        assert page.status_code == 200
        assert secret not in page.content.decode()
    assert "The LMS" in client.get("/settings/webhooks/").content.decode()


def test_the_secret_is_not_stored_in_clear() -> None:
    admin = make_person(role=Person.Role.ADMIN)
    webhook, secret = webhook_create(
        actor=admin, url=FORM["url"], description="", events=["session.scheduled"]
    )

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_sealed FROM webhooks_webhook WHERE id = %s", [webhook.pk])
        (stored,) = cursor.fetchone()
        cursor.execute(
            "SELECT COUNT(*) FROM webhooks_webhook WHERE secret_sealed LIKE %s OR url LIKE %s "
            "OR description LIKE %s",
            [f"%{secret[5:]}%"] * 3,
        )
        (clear,) = cursor.fetchone()

    assert secret.startswith("kfwh_") and len(secret) > 40
    assert secret not in stored
    assert clear == 0


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {**FORM, "url": "ftp://files.example.org/x"},
            "Payload URL must be a web address that starts with http:// or https://.",
        ),
        (
            {**FORM, "url": "http://lms.example.org/hooks"},
            "The payload URL must start with https:// so that nobody can read the deliveries on the way.",
        ),
        ({**FORM, "url": ""}, "Enter the payload URL the deliveries are sent to."),
        ({**FORM, "events": []}, "Choose at least one event to send."),
        (
            {**FORM, "events": ["session.deleted"]},
            "There is no event called session.deleted. Choose from the list.",
        ),
        (
            {**FORM, "description": "x" * 201},
            "Ensure this value has at most 200 characters (it has 201).",
        ),
    ],
)
def test_bad_input_is_shown_on_the_form_and_changes_nothing(
    settings: object, form: dict, message: str
) -> None:
    settings.KNOWFLOW_WEBHOOKS_ALLOW_HTTP = False
    client = signed_in(make_person(role=Person.Role.ADMIN))

    response = client.post("/settings/webhooks/new/", form)

    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert message in html.replace("&#x27;", "'")
    assert Webhook.objects.count() == 0


@pytest.mark.parametrize("role", [Person.Role.MEMBER, Person.Role.ENABLER, Person.Role.LEADER])
def test_only_admins_manage_webhooks_or_read_a_log(role: str) -> None:
    admin = make_person(role=Person.Role.ADMIN)
    webhook, _ = webhook_create(
        actor=admin, url=FORM["url"], description="LMS", events=["session.scheduled"]
    )
    sealed = webhook.secret_sealed
    client = signed_in(make_person(role=role))
    base = f"/settings/webhooks/{webhook.pk}"

    gets = [
        client.get(p)
        for p in (
            "/settings/webhooks/",
            "/settings/webhooks/new/",
            f"{base}/",
            f"{base}/edit/",
            f"{base}/rotate/",
            f"{base}/delete/",
        )
    ]
    posts = [
        client.post("/settings/webhooks/new/", FORM),
        client.post(f"{base}/edit/", {**FORM, "description": "Mine now"}),
        client.post(f"{base}/active/", {"active": "0"}),
        client.post(f"{base}/ping/"),
        client.post(f"{base}/rotate/"),
        client.post(f"{base}/delete/"),
    ]

    for response in gets + posts:
        assert response.status_code == 403
        assert "Only admins manage webhooks." in response.content.decode()
    webhook.refresh_from_db()
    assert Webhook.objects.count() == 1
    assert (webhook.description, webhook.active, webhook.secret_sealed) == ("LMS", True, sealed)


def test_admin_edits_turns_off_and_deletes_a_webhook() -> None:
    admin = make_person(role=Person.Role.ADMIN)
    webhook, _ = webhook_create(
        actor=admin, url=FORM["url"], description="LMS", events=["session.scheduled"]
    )
    client = signed_in(admin)
    base = f"/settings/webhooks/{webhook.pk}"

    edited = client.post(
        f"{base}/edit/",
        {**FORM, "description": "HR", "events": ["person.deactivated"]},
        follow=True,
    )
    off = client.post(f"{base}/active/", {"active": "0"}, follow=True)
    webhook.refresh_from_db()
    state_after_off = (webhook.description, webhook.events, webhook.active)
    confirm = client.get(f"{base}/delete/")
    deleted = client.post(f"{base}/delete/", follow=True)

    assert "Saved. The next deliveries use these settings." in edited.content.decode()
    assert "The webhook is off" in off.content.decode()
    assert state_after_off == ("HR", ["person.deactivated"], False)
    assert "Delete this webhook?" in confirm.content.decode()
    assert "Deleted the webhook “HR”. Nothing more is sent to it." in deleted.content.decode()
    assert Webhook.objects.count() == 0


def test_rotating_the_secret_shows_the_new_one_once() -> None:
    admin = make_person(role=Person.Role.ADMIN)
    webhook, old = webhook_create(
        actor=admin, url=FORM["url"], description="", events=["session.scheduled"]
    )
    client = signed_in(admin)

    confirm = client.get(f"/settings/webhooks/{webhook.pk}/rotate/")
    response = client.post(f"/settings/webhooks/{webhook.pk}/rotate/")

    new = _secret_on(response.content.decode())
    webhook.refresh_from_db()
    assert "Make a new signing secret?" in confirm.content.decode()
    assert new != old
    assert sealing.unseal(webhook.secret_sealed) == new
    assert "The old secret no longer works" in response.content.decode()


def test_the_list_page_reads_in_a_fixed_number_of_queries() -> None:
    admin = make_person(role=Person.Role.ADMIN)
    client = signed_in(admin)
    client.get("/settings/webhooks/")
    for n in range(3):
        webhook_create(
            actor=make_person(role=Person.Role.ADMIN),
            url=f"{FORM['url']}/{n}",
            description="",
            events=["session.scheduled"],
        )
    with CaptureQueriesContext(connection) as few:
        client.get("/settings/webhooks/")
    for n in range(5):
        webhook_create(
            actor=make_person(role=Person.Role.ADMIN),
            url=f"{FORM['url']}/more{n}",
            description="",
            events=["session.scheduled"],
        )
    with CaptureQueriesContext(connection) as more:
        response = client.get("/settings/webhooks/")

    assert response.content.decode().count('href="/settings/webhooks/') >= 9
    assert len(more) == len(few)
