"""Slack's slash command `/knowflow <words>`: answered only to requests Slack signed with our
secret, recently; the answer is an ephemeral Block Kit message with results and dates."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from knowflow.events.models import Session
from knowflow.search.index import index_write
from tests.chat.blockkit import block_kit_problems
from tests.factories import make_occurrence, make_session

pytestmark = pytest.mark.django_db

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
URL = "/chat/slack/command"


def slack_request(
    client: Client,
    text: str,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    signature: str | None = None,
) -> object:
    body = urlencode(
        {
            "token": "legacy",
            "team_id": "T0001",
            "command": "/knowflow",
            "text": text,
            "user_id": "U2147483697",
            "response_url": "https://hooks.slack.com/commands/1234/5678",
        }
    )
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    mac = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return client.post(
        URL,
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature if signature is not None else f"v0={mac}",
        },
    )


@pytest.fixture
def configured(settings: object) -> None:
    settings.KNOWFLOW_SLACK_SIGNING_SECRET = SECRET
    settings.KNOWFLOW_BASE_URL = "https://knowflow.example.org"


def indexed_session(title: str, *, days: int = 3) -> Session:
    session = make_session(title=title, status=Session.Status.SCHEDULED)
    make_occurrence(session=session, start=timezone.now() + timedelta(days=days))
    index_write(kind="session", object_ids=[session.pk])
    return session


def test_signed_command_answers_with_results_and_upcoming_dates(configured: None) -> None:
    session = indexed_session("Kubernetes operators in practice")
    indexed_session("Baking sourdough bread")

    response = slack_request(Client(), "kubernetes")

    assert response.status_code == 200
    answer = response.json()
    assert answer["response_type"] == "ephemeral"
    assert block_kit_problems(answer) == []
    texts = [block["text"]["text"] for block in answer["blocks"] if block["type"] == "section"]
    link = f"<https://knowflow.example.org/sessions/{session.slug}/|{session.title}>"
    assert texts[0] == "*Knowflow: kubernetes*"
    assert texts[1] == f"• {link} — Session"
    start = session.occurrences.get().start.astimezone(UTC)
    fallback = f"{start:%a} {start.day} {start:%b %Y, %H:%M} UTC"
    date = f"<!date^{int(start.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"
    assert texts[2] == f"*Coming up*\n• {date} {link}"
    assert "sourdough" not in str(answer)


def test_empty_command_answers_with_help(configured: None) -> None:
    answer = slack_request(Client(), "   ").json()

    assert answer["response_type"] == "ephemeral"
    assert (
        answer["text"] == "Type /knowflow and a few words to find sessions, recordings and people."
    )
    assert block_kit_problems(answer) == []


def test_nothing_found_says_so(configured: None) -> None:
    answer = slack_request(Client(), "zzzqqq").json()

    texts = [block["text"]["text"] for block in answer["blocks"] if block["type"] == "section"]
    assert texts == [
        "*Knowflow: zzzqqq*",
        "Nothing matches these words. Try fewer or other words.",
    ]


def test_query_text_cannot_mention_anyone(configured: None) -> None:
    answer = slack_request(Client(), "<!channel> & friends").json()

    assert answer["blocks"][0]["text"]["text"] == "*Knowflow: &lt;!channel&gt; &amp; friends*"


def test_wrong_signature_is_refused_with_401(configured: None) -> None:
    response = slack_request(Client(), "kubernetes", secret="not-the-secret")

    assert response.status_code == 401
    assert response.content == b"The request is not signed by Slack."


@pytest.mark.parametrize("signature", ["", "v0=", "v0=" + "0" * 64, "garbage"])
def test_missing_or_malformed_signature_is_refused(configured: None, signature: str) -> None:
    assert slack_request(Client(), "kubernetes", signature=signature).status_code == 401


def test_old_timestamp_is_refused_even_with_a_correct_signature(configured: None) -> None:
    six_minutes_ago = int(time.time()) - 6 * 60

    response = slack_request(Client(), "kubernetes", timestamp=six_minutes_ago)

    assert response.status_code == 401


def test_timestamp_that_is_not_a_number_is_refused_not_a_server_error(configured: None) -> None:
    client = Client()
    response = client.post(
        URL,
        data="text=x",
        content_type="application/x-www-form-urlencoded",
        headers={"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=abc"},
    )

    assert response.status_code == 401


def test_not_configured_is_not_found(settings: object) -> None:
    settings.KNOWFLOW_SLACK_SIGNING_SECRET = ""

    response = slack_request(Client(), "kubernetes")

    assert response.status_code == 404


def test_only_post_is_answered(configured: None) -> None:
    assert Client().get(URL).status_code == 405
