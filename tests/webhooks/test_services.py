"""The webhooks' services: admins only (every other role refused, nothing changed), and the
rules on what a webhook may be, whichever surface calls them."""

from __future__ import annotations

import pytest

from knowflow.accounts.models import Person
from knowflow.errors import DomainError, Forbidden
from knowflow.outbound.models import OutboundPost
from knowflow.webhooks import selectors, services
from knowflow.webhooks.models import Webhook
from knowflow.webhooks.services import webhook_create
from tests.factories import make_person

pytestmark = pytest.mark.django_db

URL = "https://hr.example.org/knowflow"

ACTIONS = {
    "create": lambda hook, actor: services.webhook_create(
        actor=actor, url=URL, description="", events=["session.scheduled"]
    ),
    "update": lambda hook, actor: services.webhook_update(
        webhook=hook, actor=actor, url=URL + "/x", description="x", events=["ping"]
    ),
    "turn off": lambda hook, actor: services.webhook_set_active(
        webhook=hook, actor=actor, active=False
    ),
    "delete": lambda hook, actor: services.webhook_delete(webhook=hook, actor=actor),
    "rotate": lambda hook, actor: services.webhook_rotate_secret(webhook=hook, actor=actor),
    "ping": lambda hook, actor: services.webhook_ping(webhook=hook, actor=actor),
    "redeliver": lambda hook, actor: services.webhook_redeliver(
        webhook=hook, actor=actor, post_id=1
    ),
    "list": lambda hook, actor: selectors.webhook_list(viewer=actor),
    "read": lambda hook, actor: selectors.webhook_get(id=hook.pk, viewer=actor),
    "read the log": lambda hook, actor: selectors.webhook_deliveries(webhook=hook, viewer=actor),
}


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("role", [Person.Role.MEMBER, Person.Role.ENABLER, Person.Role.LEADER])
def test_every_webhook_action_is_refused_to_anyone_but_an_admin(action: str, role: str) -> None:
    webhook, _ = webhook_create(
        actor=make_person(role=Person.Role.ADMIN),
        url=URL,
        description="HR",
        events=["session.scheduled"],
    )
    before = list(Webhook.objects.values())

    with pytest.raises(Forbidden) as refused:
        ACTIONS[action](webhook, make_person(role=role))

    assert refused.value.message == "Only admins manage webhooks."
    assert list(Webhook.objects.values()) == before
    assert OutboundPost.objects.count() == 0


def test_events_are_kept_in_the_catalogue_order_once_each() -> None:
    webhook, _ = webhook_create(
        actor=make_person(role=Person.Role.ADMIN),
        url=URL,
        description="  HR  ",
        events=["person.deactivated", "session.scheduled", "person.deactivated"],
    )

    assert webhook.events == ["session.scheduled", "person.deactivated"]
    assert webhook.description == "HR"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "javascript:alert(1)",
            "The payload URL must be a web address that starts with http:// or https://.",
        ),
        (
            "http://hr.example.org/x",
            "The payload URL must start with https:// so that nobody can read the deliveries on "
            "the way.",
        ),
        (
            "https://hr.example.org/" + "x" * 500,
            "The payload URL is too long: at most 500 characters.",
        ),
    ],
)
def test_a_bad_address_is_refused_by_the_service(settings: object, url: str, message: str) -> None:
    settings.KNOWFLOW_WEBHOOKS_ALLOW_HTTP = False

    with pytest.raises(DomainError) as refused:
        webhook_create(
            actor=make_person(role=Person.Role.ADMIN),
            url=url,
            description="",
            events=["session.scheduled"],
        )

    assert (refused.value.message, refused.value.field) == (message, "url")
    assert Webhook.objects.count() == 0


def test_plain_http_is_accepted_when_the_setting_allows_it(settings: object) -> None:
    settings.KNOWFLOW_WEBHOOKS_ALLOW_HTTP = True

    webhook, _ = webhook_create(
        actor=make_person(role=Person.Role.ADMIN),
        url="http://10.0.0.5:8080/hook",
        description="",
        events=["session.scheduled"],
    )

    assert webhook.url == "http://10.0.0.5:8080/hook"
