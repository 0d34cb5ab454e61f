"""Chat notifications end to end: a change made through the services is posted, by the outbound
worker, to a real HTTP server standing in for Slack and Teams; the payloads are checked for
what each tool accepts. A dead channel holds up no other; a removed channel's queued post is
dropped; "starts in 15 minutes" is posted once; a rolled-back change posts nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import jsonschema
import pytest
from django.db import transaction
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.chat.models import ChatChannel
from knowflow.chat.services import (
    chat_channel_remove,
    chat_channel_set_active,
    chat_channel_test,
)
from knowflow.events.models import Session
from knowflow.events.services import (
    occurrence_cancel,
    occurrence_create,
    occurrence_update,
    session_cancel,
)
from knowflow.library.models import Resource
from knowflow.library.services import resource_create
from knowflow.outbound.models import OutboundPost
from knowflow.outbound.services import outbound_deliver_due
from tests.chat.blockkit import block_kit_problems
from tests.chat.helpers import ChatReceiver as Receiver
from tests.chat.helpers import channel_to
from tests.chat.schemas import TEAMS_MESSAGE
from tests.factories import make_circle, make_person, make_session, make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _base_url(settings: object) -> None:
    settings.KNOWFLOW_BASE_URL = "https://knowflow.example.org"


def deliver(*, minutes: int = 0) -> None:
    outbound_deliver_due(now=timezone.now() + timedelta(minutes=minutes))


def slack_headers(received: list) -> list[str]:
    return [request.json()["blocks"][0]["text"]["text"] for request in received]


def teams_headlines(received: list) -> list[str]:
    return [request.json()["attachments"][0]["content"]["body"][0]["text"] for request in received]


def schedule(session: Session, actor: Person, *, days: float = 3, **kwargs: object) -> object:
    start = timezone.now() + timedelta(days=days)
    values = {"online_url": "https://meet.example.org/k8s", "capacity": 20}
    values.update(kwargs)
    return occurrence_create(
        session=session, actor=actor, start=start, end=start + timedelta(hours=1), **values
    )


def test_new_session_reaches_the_circle_slack_and_the_topic_teams_channel(
    receiver: Receiver,
) -> None:
    champion = make_person()
    circle = make_circle(champions=[champion], name="Platform")
    topic = make_topic("Kubernetes")
    channel_to(receiver.url_of("/slack"), circle=circle)
    channel_to(receiver.url_of("/teams"), kind="teams", topic=topic, name="Platform team")
    channel_to(receiver.url_of("/elsewhere"), circle=make_circle())  # another circle's
    session = make_session(title="Operators <in> practice", circle=circle)
    session.topics.set([topic])

    schedule(session, champion)
    deliver()

    [slack] = receiver.to("/slack")
    [teams] = receiver.to("/teams")
    assert receiver.to("/elsewhere") == []
    assert slack.headers["Content-Type"] == "application/json; charset=utf-8"
    assert block_kit_problems(slack.json()) == []
    assert slack_headers([slack]) == ["New session"]
    section = slack.json()["blocks"][1]["text"]["text"]
    assert section.startswith("*Operators &lt;in&gt; practice*\n")
    speaker = session.speakers.get().display_name
    assert section.endswith(f"\nWith: {speaker}")
    assert slack.json()["blocks"][3]["elements"][0]["url"] == (
        f"https://knowflow.example.org/sessions/{session.slug}/"
    )
    jsonschema.validate(teams.json(), TEAMS_MESSAGE)
    assert teams_headlines([teams]) == ["New session"]
    card = teams.json()["attachments"][0]["content"]
    assert card["body"][1]["inlines"][0]["text"] == "Operators <in> practice"
    facts = {fact["title"]: fact["value"] for fact in card["body"][-1]["facts"]}
    assert facts["With"] == speaker
    assert facts["From"] == "Topic: Kubernetes · Knowflow"
    posts = OutboundPost.objects.order_by("kind")
    assert [(p.kind, p.status, p.at_most_once) for p in posts] == [
        ("chat.slack", "sent", True),
        ("chat.teams", "sent", True),
    ]


def test_dates_added_moved_and_cancelled_are_posted(receiver: Receiver) -> None:
    champion = make_person()
    circle = make_circle(champions=[champion])
    channel_to(receiver.url_of("/slack"), circle=circle)
    session = make_session(circle=circle)
    first = schedule(session, champion, days=3)
    deliver()

    second = schedule(session, champion, days=10)
    deliver()
    later = second.start + timedelta(days=1)
    occurrence_update(
        occurrence=second, actor=champion, start=later, end=later + timedelta(hours=1)
    )
    deliver()
    occurrence_cancel(occurrence=first, actor=champion)
    deliver()

    assert slack_headers(receiver.to("/slack")) == [
        "New session",
        "New date added",
        "A date has changed",
        "Date cancelled",
    ]


def test_cancelling_a_session_posts_once_for_all_its_dates(receiver: Receiver) -> None:
    champion = make_person()
    circle = make_circle(champions=[champion])
    session = make_session(circle=circle)
    schedule(session, champion, days=3)
    schedule(session, champion, days=4)
    channel_to(receiver.url_of("/slack"), circle=circle)

    session_cancel(session=session, actor=champion)
    deliver()

    [post] = receiver.to("/slack")
    assert slack_headers([post]) == ["Session cancelled"]
    assert post.json()["blocks"][1]["text"]["text"] == (
        f"*{session.title}*\nAll 2 of its upcoming dates are cancelled."
    )


def test_channel_gets_only_the_notifications_it_wants(receiver: Receiver) -> None:
    champion = make_person()
    circle = make_circle(champions=[champion])
    channel_to(
        receiver.url_of("/slack"),
        circle=circle,
        notify_new_sessions=False,
        notify_date_changes=True,
    )
    session = make_session(circle=circle)

    schedule(session, champion)
    deliver()

    assert receiver.requests == []


def test_dead_channel_does_not_hold_up_another(receiver: Receiver) -> None:
    champion = make_person()
    circle = make_circle(champions=[champion])
    receiver.statuses["/dead"] = 503
    channel_to(receiver.url_of("/dead"), circle=circle, name="#dead")
    channel_to(receiver.url_of("/live"), circle=circle, name="#live")
    session = make_session(circle=circle)
    schedule(session, champion, days=3)
    schedule(session, champion, days=4)

    deliver()

    assert slack_headers(receiver.to("/live")) == ["New session", "New date added"]
    # The dead one was tried once in this pass, then skipped.
    assert len(receiver.to("/dead")) == 1
    dead = OutboundPost.objects.filter(endpoint=f"chat:{ChatChannel.objects.get(name='#dead').pk}")
    assert sorted(p.status for p in dead) == ["pending", "pending"]


def test_removed_channel_queued_post_is_dropped_not_sent(receiver: Receiver) -> None:
    champion = make_person()
    circle = make_circle(champions=[champion])
    channel = channel_to(receiver.url_of("/slack"), circle=circle)
    schedule(make_session(circle=circle), champion)

    chat_channel_remove(actor=champion, channel=channel)
    deliver()

    assert receiver.requests == []
    assert [p.status for p in OutboundPost.objects.all()] == ["cancelled"]


def test_starts_in_15_minutes_is_posted_once_with_the_join_link(receiver: Receiver) -> None:
    champion = make_person(role=Person.Role.ENABLER)
    topic = make_topic("Rust")
    channel_to(receiver.url_of("/teams"), kind="teams", topic=topic, notify_new_sessions=False)
    channel_to(receiver.url_of("/slack"), topic=topic, notify_new_sessions=False)
    session = make_session()
    session.topics.set([topic])
    occurrence = schedule(session, champion, days=1)

    deliver(minutes=24 * 60 - 20)  # 20 minutes before: too early
    deliver(minutes=24 * 60 - 10)
    deliver(minutes=24 * 60 - 9)
    deliver(minutes=24 * 60 - 5)

    [slack] = receiver.to("/slack")
    [teams] = receiver.to("/teams")
    assert slack_headers([slack]) == ["Starts in 10 minutes"]
    buttons = slack.json()["blocks"][3]["elements"]
    assert [(b["text"]["text"], b["url"]) for b in buttons] == [
        ("Open the session", f"https://knowflow.example.org/sessions/{session.slug}/"),
        ("Join online", occurrence.online_url),
    ]
    jsonschema.validate(teams.json(), TEAMS_MESSAGE)
    actions = teams.json()["attachments"][0]["content"]["actions"]
    assert actions[1] == {
        "type": "Action.OpenUrl",
        "title": "Join online",
        "url": "https://meet.example.org/k8s",
    }


def test_recording_available_is_posted(receiver: Receiver) -> None:
    champion = make_person(role=Person.Role.ENABLER)
    circle = make_circle(champions=[champion])
    channel_to(receiver.url_of("/slack"), circle=circle, notify_new_sessions=False)
    session = make_session(circle=circle, title="Tracing")

    resource = resource_create(
        actor=champion,
        kind=Resource.Kind.RECORDING,
        title="Tracing (video)",
        url="https://video.example.org/tracing",
        session=session,
    )
    deliver()

    [post] = receiver.to("/slack")
    assert slack_headers([post]) == ["Recording available"]
    assert post.json()["blocks"][3]["elements"][0] == {
        "type": "button",
        "text": {"type": "plain_text", "text": "Watch the recording", "emoji": True},
        "url": f"https://knowflow.example.org/library/{resource.slug}/",
        "action_id": "knowflow-open",
        "style": "primary",
    }


def test_rolled_back_change_posts_nothing(receiver: Receiver) -> None:
    champion = make_person()
    circle = make_circle(champions=[champion])
    channel_to(receiver.url_of("/slack"), circle=circle)
    session = make_session(circle=circle)

    with pytest.raises(RuntimeError), transaction.atomic():
        schedule(session, champion)
        raise RuntimeError("the change fails after the date was written")
    deliver()

    assert receiver.requests == []
    assert OutboundPost.objects.count() == 0


def test_test_message_arrives(receiver: Receiver) -> None:
    champion = make_person()
    circle = make_circle(champions=[champion], name="Platform")
    channel = channel_to(receiver.url_of("/teams"), kind="teams", circle=circle)

    chat_channel_test(actor=champion, channel=channel)
    deliver()

    [post] = receiver.to("/teams")
    jsonschema.validate(post.json(), TEAMS_MESSAGE)
    card = post.json()["attachments"][0]["content"]
    assert card["body"][0]["text"] == "Knowflow is connected"
    assert card["body"][1]["inlines"][0]["text"] == "Platform will post here"
    assert json.loads(post.body)["type"] == "message"


def test_paused_channel_gets_nothing_until_resumed(receiver: Receiver) -> None:
    champion = make_person()
    circle = make_circle(champions=[champion])
    channel = channel_to(receiver.url_of("/slack"), circle=circle)
    session = make_session(circle=circle)

    chat_channel_set_active(actor=champion, channel=channel, active=False)
    schedule(session, champion, days=3)
    deliver()
    assert receiver.requests == []

    chat_channel_set_active(actor=champion, channel=channel, active=True)
    schedule(session, champion, days=4)
    deliver()
    assert slack_headers(receiver.requests) == ["New date added"]


def test_post_that_may_have_arrived_is_never_sent_twice(
    receiver: Receiver, settings: object
) -> None:
    settings.KNOWFLOW_OUTBOUND_TIMEOUT_SECONDS = 0.3
    champion = make_person()
    circle = make_circle(champions=[champion])
    channel_to(receiver.url_of("/slack"), circle=circle)
    schedule(make_session(circle=circle), champion)
    receiver.delay = 1.0  # Slack got it, but answers after the worker stopped waiting

    deliver()
    receiver.delay = 0
    deliver(minutes=60)
    deliver(minutes=24 * 60)

    assert slack_headers(receiver.to("/slack")) == ["New session"]
    [post] = OutboundPost.objects.all()
    assert post.status == "failed"


def test_a_url_the_worker_cannot_post_to_is_not_written_into_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The path of an incoming-webhook URL is its credential: the failure names the scheme only.
    champion = make_person()
    circle = make_circle(champions=[champion])
    channel = channel_to("ftp://hooks.slack.com/services/T0/B0/s3cr3tpart", circle=circle)
    schedule(make_session(circle=circle), champion)

    deliver()

    [post] = OutboundPost.objects.filter(endpoint=channel.endpoint)
    assert post.last_error == "The address is not an http(s) URL (ftp)."
    assert "s3cr3tpart" not in caplog.text
