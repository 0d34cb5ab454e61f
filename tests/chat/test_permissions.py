"""Who may connect, test and remove chat channels: every role × owner, at the service and the
page. A refusal is a 403 with its message and nothing changes."""

from __future__ import annotations

import pytest

from knowflow.accounts.models import Person
from knowflow.chat.models import ChatChannel
from knowflow.chat.services import chat_channel_add
from knowflow.errors import Forbidden
from tests.conftest import signed_in
from tests.factories import make_circle, make_person, make_topic

pytestmark = pytest.mark.django_db

SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXX"
ROLES = ["admin", "enabler", "leader", "champion", "other_champion", "member"]
# (owner, role) → allowed
ALLOWED = {
    "circle": {"admin", "enabler", "champion"},
    "topic": {"admin", "enabler"},
}


def actor_for(role: str, circle: object) -> Person:
    if role in ("admin", "enabler", "leader"):
        return make_person(role=role)
    person = make_person()
    if role == "champion":
        circle.memberships.create(person=person, role="champion")
    elif role == "other_champion":
        make_circle(champions=[person])
    return person


@pytest.mark.parametrize("owner", ["circle", "topic"])
@pytest.mark.parametrize("role", ROLES)
def test_service_permission(owner: str, role: str) -> None:
    circle, topic = make_circle(), make_topic()
    actor = actor_for(role, circle)
    target = {"circle": circle} if owner == "circle" else {"topic": topic}

    if role in ALLOWED[owner]:
        chat_channel_add(actor=actor, kind="slack", name="#x", webhook_url=SLACK_URL, **target)
        assert ChatChannel.objects.count() == 1
    else:
        with pytest.raises(Forbidden):
            chat_channel_add(actor=actor, kind="slack", name="#x", webhook_url=SLACK_URL, **target)
        assert ChatChannel.objects.count() == 0


@pytest.mark.parametrize("owner", ["circle", "topic"])
@pytest.mark.parametrize("role", ROLES)
def test_page_permission(owner: str, role: str) -> None:
    circle, topic = make_circle(), make_topic()
    client = signed_in(actor_for(role, circle))
    url = f"/chat/circles/{circle.slug}/" if owner == "circle" else f"/chat/topics/{topic.slug}/"

    response = client.post(url, {"kind": "slack", "name": "#x", "webhook_url": SLACK_URL})

    if role in ALLOWED[owner]:
        assert response.status_code == 302
        assert ChatChannel.objects.count() == 1
    else:
        assert response.status_code == 403
        assert ChatChannel.objects.count() == 0


def test_signed_out_visitor_is_sent_to_sign_in() -> None:
    from django.test import Client

    circle = make_circle()
    response = Client().get(f"/chat/circles/{circle.slug}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
