"""The chat channels pages: who sees them, connecting a channel, the URL never shown again,
and removing one after a confirmation."""

from __future__ import annotations

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowflow.accounts.models import Person
from knowflow.chat.models import ChatChannel
from knowflow.outbound.services import Post, outbound_enqueue_many
from tests.chat.helpers import channel_to
from tests.conftest import signed_in
from tests.factories import make_circle, make_person, make_topic

pytestmark = pytest.mark.django_db

SLACK_URL = "https://hooks.slack.com/services/T000/B000/SECRETPARTOFURL1"


def form(**overrides: str) -> dict[str, str]:
    data = {
        "kind": "slack",
        "name": "#data-eng",
        "webhook_url": SLACK_URL,
        "notify_new_sessions": "on",
        "notify_starting_soon": "on",
    }
    data.update(overrides)
    return data


def text(response: object) -> str:
    words = re.sub(r"<[^>]+>", " ", response.content.decode())
    return html.unescape(re.sub(r"\s+", " ", words)).strip()


def test_champion_connects_a_channel_and_never_sees_its_url_again() -> None:
    champion = make_person()
    circle = make_circle(champions=[champion], name="Data engineering")
    client = signed_in(champion)

    circle_page = client.get(f"/circles/{circle.slug}/")
    assert f'href="/chat/circles/{circle.slug}/"' in circle_page.content.decode()

    response = client.post(f"/chat/circles/{circle.slug}/", form(), follow=True)

    channel = ChatChannel.objects.get()
    assert (channel.name, channel.kind, channel.circle) == ("#data-eng", "slack", circle)
    assert (channel.notify_new_sessions, channel.notify_date_changes) == (True, False)
    assert (channel.notify_starting_soon, channel.notify_recordings) == (True, False)
    page = response.content.decode()
    assert "SECRETPARTOFURL1" not in page
    assert "#data-eng is connected. Send a test message to check that it arrives." in text(response)
    assert "Slack · hooks.slack.com/…" in text(response)
    assert "Nothing posted yet." in text(response)


def test_refused_url_is_shown_next_to_the_field_and_nothing_is_stored() -> None:
    champion = make_person()
    circle = make_circle(champions=[champion])

    response = signed_in(champion).post(
        f"/chat/circles/{circle.slug}/", form(webhook_url="https://example.org/hook")
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert (
        '<a href="#id_webhook_url">A Slack incoming webhook URL starts with '
        "https://hooks.slack.com/services/.</a>" in page
    )
    assert ChatChannel.objects.count() == 0


def test_a_refused_form_does_not_show_the_url_it_was_given_again() -> None:
    # The URL posts to the channel: once typed it is never on a page, not even the same one.
    champion = make_person()
    circle = make_circle(champions=[champion])

    response = signed_in(champion).post(f"/chat/circles/{circle.slug}/", form(name="   "))

    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert "SECRETPARTOFURL1" not in response.content.decode()
    assert ChatChannel.objects.count() == 0


def test_member_is_refused_the_page_and_the_post() -> None:
    member = make_person()
    circle = make_circle(champions=[make_person()])
    client = signed_in(member)

    assert 'href="/chat/circles/' not in client.get(f"/circles/{circle.slug}/").content.decode()
    page = client.get(f"/chat/circles/{circle.slug}/")
    post = client.post(f"/chat/circles/{circle.slug}/", form())

    assert (page.status_code, post.status_code) == (403, 403)
    assert "Only the circle's champions and the enablers manage its chat channels." in text(post)
    assert ChatChannel.objects.count() == 0


def test_topic_channels_are_for_enablers() -> None:
    topic = make_topic("Kubernetes")
    enabler = make_person(role=Person.Role.ENABLER)

    member_page = signed_in(make_person()).get(f"/chat/topics/{topic.slug}/")
    topic_page = signed_in(enabler).get(f"/topics/{topic.slug}/")
    signed_in(enabler).post(f"/chat/topics/{topic.slug}/", form(name="#k8s"))

    assert member_page.status_code == 403
    assert f'href="/chat/topics/{topic.slug}/"' in topic_page.content.decode()
    assert ChatChannel.objects.get().topic == topic


def test_removing_a_channel_asks_first_then_removes_it() -> None:
    champion = make_person()
    circle = make_circle(champions=[champion])
    client = signed_in(champion)
    client.post(f"/chat/circles/{circle.slug}/", form())
    channel = ChatChannel.objects.get()

    confirm = client.get(f"/chat/channels/{channel.pk}/remove/")
    assert "Remove #data-eng?" in text(confirm)
    assert ChatChannel.objects.count() == 1

    done = client.post(f"/chat/channels/{channel.pk}/remove/", follow=True)
    assert "#data-eng is disconnected: nothing more is posted there." in text(done)
    assert ChatChannel.objects.count() == 0


def test_champion_pauses_and_resumes_a_channel() -> None:
    champion = make_person()
    circle = make_circle(champions=[champion])
    client = signed_in(champion)
    client.post(f"/chat/circles/{circle.slug}/", form())
    channel = ChatChannel.objects.get()

    paused = client.post(f"/chat/channels/{channel.pk}/active/", {"active": "0"}, follow=True)
    channel.refresh_from_db()
    assert channel.active is False
    assert "#data-eng is paused: nothing is posted there." in text(paused)
    assert "Paused" in text(paused)
    assert f'action="/chat/channels/{channel.pk}/test/"' not in paused.content.decode()

    client.post(f"/chat/channels/{channel.pk}/active/", {"active": "1"})
    channel.refresh_from_db()
    assert channel.active is True


def test_outsider_cannot_remove_or_test_a_channel() -> None:
    champion = make_person()
    circle = make_circle(champions=[champion])
    signed_in(champion).post(f"/chat/circles/{circle.slug}/", form())
    channel = ChatChannel.objects.get()
    outsider = signed_in(make_person())

    assert outsider.post(f"/chat/channels/{channel.pk}/remove/").status_code == 403
    assert outsider.post(f"/chat/channels/{channel.pk}/test/").status_code == 403
    assert outsider.post(f"/chat/channels/{channel.pk}/active/", {"active": "0"}).status_code == 403
    assert outsider.post("/chat/channels/999999/test/").status_code == 404
    assert ChatChannel.objects.count() == 1
    assert ChatChannel.objects.get().active is True


def _queue(channel: ChatChannel, count: int) -> None:
    outbound_enqueue_many(
        Post(
            kind="chat.slack",
            endpoint=channel.endpoint,
            body="{}",
            dedupe_key=f"t:{channel.pk}:{n}",
            at_most_once=True,
        )
        for n in range(count)
    )


def test_channels_page_shows_each_channel_latest_posts_in_a_constant_number_of_queries() -> None:
    champion = make_person()
    circle = make_circle(champions=[champion])
    client = signed_in(champion)
    first = channel_to("https://example.org/a", circle=circle, name="#a")
    _queue(first, 7)
    with CaptureQueriesContext(connection) as one:
        page = client.get(f"/chat/circles/{circle.slug}/")
    assert text(page).count("Waiting") == 5  # the newest five of seven

    for name in ("#b", "#c", "#d"):
        _queue(channel_to("https://example.org/b", circle=circle, name=name), 2)
    with CaptureQueriesContext(connection) as four:
        page = client.get(f"/chat/circles/{circle.slug}/")

    assert text(page).count("Waiting") == 5 + 3 * 2
    assert len(four.captured_queries) == len(one.captured_queries)
