"""Connecting a chat channel: who may, which URLs are taken, and that the URL is kept sealed."""

from __future__ import annotations

import pytest

from knowflow.accounts.models import Person
from knowflow.chat.models import ChatChannel
from knowflow.chat.services import (
    chat_channel_add,
    chat_channel_remove,
    chat_channel_test,
    chat_webhook_url_check,
)
from knowflow.errors import DomainError, Forbidden
from knowflow.sealing import unseal
from tests.factories import make_circle, make_person, make_topic

pytestmark = pytest.mark.django_db

SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX"
TEAMS_URL = (
    "https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke"
    "?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=s3cr3t"
)


def add(actor: Person, **overrides: object) -> ChatChannel:
    values: dict = {"kind": "slack", "name": "#data-eng", "webhook_url": SLACK_URL}
    values.update(overrides)
    return chat_channel_add(actor=actor, **values)


def test_champion_connects_a_slack_channel_to_their_circle_with_the_url_sealed() -> None:
    champion = make_person()
    circle = make_circle(champions=[champion])

    channel = add(champion, circle=circle)

    stored = ChatChannel.objects.get()
    assert stored.circle == circle and stored.topic is None
    assert stored.name == "#data-eng"
    assert stored.webhook_host == "hooks.slack.com"
    assert SLACK_URL not in stored.webhook_url_sealed
    assert "XXXXXXXXXXXXXXXX" not in stored.webhook_url_sealed
    assert unseal(stored.webhook_url_sealed) == SLACK_URL
    assert stored.created_by == champion
    assert channel.endpoint == f"chat:{stored.pk}"


def test_member_cannot_add_a_channel_to_a_circle_they_do_not_champion() -> None:
    member = make_person()
    circle = make_circle(champions=[make_person()])

    with pytest.raises(Forbidden) as refused:
        add(member, circle=circle)

    assert refused.value.message == "Only the circle's champions can connect a chat channel here."
    assert ChatChannel.objects.count() == 0


def test_champion_of_another_circle_cannot_add_a_channel() -> None:
    champion = make_person()
    make_circle(champions=[champion])
    other = make_circle(champions=[make_person()])

    with pytest.raises(Forbidden):
        add(champion, circle=other)
    assert ChatChannel.objects.count() == 0


def test_enabler_connects_a_teams_channel_to_a_topic_but_a_member_cannot() -> None:
    topic = make_topic("Kubernetes")
    enabler = make_person(role=Person.Role.ENABLER)
    with pytest.raises(Forbidden) as refused:
        add(make_person(), topic=topic, kind="teams", webhook_url=TEAMS_URL)
    assert refused.value.message == "Only the enablers can connect a chat channel here."

    channel = add(enabler, topic=topic, kind="teams", webhook_url=TEAMS_URL, name="Platform")

    assert (channel.topic, channel.kind) == (topic, "teams")
    assert channel.webhook_host == "prod-12.westeurope.logic.azure.com"
    assert ChatChannel.objects.count() == 1


@pytest.mark.parametrize(
    ("kind", "url", "message"),
    [
        ("slack", "", "Paste the channel's webhook URL."),
        (
            "slack",
            "http://hooks.slack.com/services/T/B/x",
            "The webhook URL must start with https:// (the chat tool gives it to you).",
        ),
        (
            "slack",
            "https://hooks.slack.com.evil.example/services/T/B/x",
            "A Slack incoming webhook URL starts with https://hooks.slack.com/services/.",
        ),
        (
            "slack",
            "https://example.org/services/T/B/x",
            "A Slack incoming webhook URL starts with https://hooks.slack.com/services/.",
        ),
        (
            "slack",
            "https://hooks.slack.com/api/chat.postMessage",
            "A Slack incoming webhook URL starts with https://hooks.slack.com/services/.",
        ),
        (
            "teams",
            "https://10.0.0.8/workflows/x",
            "A Teams Workflows webhook URL is on a Microsoft host, such as …logic.azure.com or "
            "…powerplatform.com.",
        ),
        (
            "teams",
            "https://127.1/workflows/x",
            "A Teams Workflows webhook URL is on a Microsoft host, such as …logic.azure.com or "
            "…powerplatform.com.",
        ),
        (
            "teams",
            "https://0x7f.0.0.1/workflows/x",
            "A Teams Workflows webhook URL is on a Microsoft host, such as …logic.azure.com or "
            "…powerplatform.com.",
        ),
        (
            "teams",
            "https://10.8/workflows/x",
            "A Teams Workflows webhook URL is on a Microsoft host, such as …logic.azure.com or "
            "…powerplatform.com.",
        ),
        (
            "teams",
            "https://localhost./workflows/x",
            "A Teams Workflows webhook URL is on a Microsoft host, such as …logic.azure.com or "
            "…powerplatform.com.",
        ),
        (
            "teams",
            "https://db.localhost/workflows/x",
            "A Teams Workflows webhook URL is on a Microsoft host, such as …logic.azure.com or "
            "…powerplatform.com.",
        ),
        (
            "teams",
            "https://metadata.google.internal./x",
            "A Teams Workflows webhook URL is on a Microsoft host, such as …logic.azure.com or "
            "…powerplatform.com.",
        ),
        (
            "teams",
            "https://intranet/hook",
            "A Teams Workflows webhook URL is on a Microsoft host, such as …logic.azure.com or "
            "…powerplatform.com.",
        ),
        (
            "teams",
            "javascript:alert(1)",
            "The webhook URL must start with https:// (the chat tool gives it to you).",
        ),
        (
            "teams",
            "https://user:pw@x.logic.azure.com/a",
            "The webhook URL must not contain a user name.",
        ),
        ("teams", "https://x.logic.azure.com:99999/a", "This is not a webhook URL."),
        ("teams", "https://x.logic.azure.com/a b", "This is not a webhook URL."),
    ],
)
def test_webhook_url_refused_with_a_clear_message_and_nothing_stored(
    kind: str, url: str, message: str
) -> None:
    champion = make_person()
    circle = make_circle(champions=[champion])

    with pytest.raises(DomainError) as refused:
        add(champion, circle=circle, kind=kind, webhook_url=url)

    assert (refused.value.message, refused.value.field) == (message, "webhook_url")
    assert ChatChannel.objects.count() == 0


def test_teams_url_on_power_platform_is_accepted() -> None:
    url = "https://default0a1b.ab.environment.api.powerplatform.com/powerautomate/automations/x"
    assert chat_webhook_url_check(kind="teams", url=f"  {url} ") == url


def test_name_and_kind_are_checked() -> None:
    champion = make_person()
    circle = make_circle(champions=[champion])
    with pytest.raises(DomainError) as no_name:
        add(champion, circle=circle, name="   ")
    with pytest.raises(DomainError) as bad_kind:
        add(champion, circle=circle, kind="irc")

    assert (no_name.value.field, bad_kind.value.field) == ("name", "kind")
    assert ChatChannel.objects.count() == 0


def test_only_who_manages_the_circle_removes_or_tests_its_channel() -> None:
    champion = make_person()
    circle = make_circle(champions=[champion])
    channel = add(champion, circle=circle)
    outsider = make_person()

    with pytest.raises(Forbidden):
        chat_channel_remove(actor=outsider, channel=channel)
    with pytest.raises(Forbidden):
        chat_channel_test(actor=outsider, channel=channel)
    assert ChatChannel.objects.count() == 1

    chat_channel_remove(actor=make_person(role=Person.Role.ENABLER), channel=channel)
    assert ChatChannel.objects.count() == 0
