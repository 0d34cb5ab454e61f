"""The shape of what Knowflow posts: Block Kit within Slack's limits, an Adaptive Card that
matches the schema of what we use, and people's text that cannot become a mention, a link or
formatting in either tool."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema

from knowflow.chat.messages import Notice, payload_json, slack_escape, teams_escape
from tests.chat.blockkit import block_kit_problems
from tests.chat.schemas import TEAMS_MESSAGE

START = datetime(2026, 12, 8, 14, 0, tzinfo=UTC)
END = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)


def notice(**overrides: object) -> Notice:
    values: dict = {
        "headline": "New session",
        "title": "Pods in practice",
        "url": "https://knowflow.example.org/sessions/pods/",
        "start": START,
        "end": END,
        "where": "Hopper, Berlin and Online",
        "join_url": "https://meet.example.org/pods",
        "context": "Circle: Platform · Knowflow",
    }
    values.update(overrides)
    return Notice(**values)


def test_slack_message_is_block_kit_within_slack_limits() -> None:
    message = json.loads(payload_json(kind="slack", notice=notice()))

    assert block_kit_problems(message) == []
    assert [block["type"] for block in message["blocks"]] == [
        "header",
        "section",
        "context",
        "actions",
    ]
    assert message["blocks"][0]["text"] == {"type": "plain_text", "text": "New session"}
    buttons = message["blocks"][3]["elements"]
    assert [(b["text"]["text"], b["url"]) for b in buttons] == [
        ("Open the session", "https://knowflow.example.org/sessions/pods/"),
        ("Join online", "https://meet.example.org/pods"),
    ]
    assert message["text"] == "New session: Pods in practice — Tue 8 Dec 2026, 14:00 UTC"


def test_slack_times_are_date_tokens_each_reader_sees_in_their_zone() -> None:
    message = json.loads(payload_json(kind="slack", notice=notice()))
    section = message["blocks"][1]["text"]["text"]

    stamp = int(START.timestamp())
    assert f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|Tue 8 Dec 2026, 14:00 UTC>" in section


def test_slack_long_title_is_shortened_within_the_limits() -> None:
    message = json.loads(
        payload_json(kind="slack", notice=notice(headline="H" * 400, title="word " * 2000))
    )

    assert block_kit_problems(message) == []
    assert len(message["blocks"][0]["text"]["text"]) == 150


def test_slack_user_text_cannot_mention_link_or_inject_entities() -> None:
    hostile = "<!channel> <@U123|boss> <https://evil.example|click> & more"
    message = json.loads(
        payload_json(kind="slack", notice=notice(title=hostile, where=hostile, context=hostile))
    )
    body = json.dumps(message)

    assert "<!channel>" not in body
    assert "<@U123" not in body
    assert "<https://evil" not in body
    escaped = "&lt;!channel&gt; &lt;@U123|boss&gt; &lt;https://evil.example|click&gt; &amp; more"
    assert message["blocks"][1]["text"]["text"].startswith(f"*{escaped}*\n")
    assert message["blocks"][2]["elements"][0]["text"] == escaped
    assert message["text"].startswith(f"New session: {escaped}")


def test_slack_escape_handles_the_three_control_characters() -> None:
    assert slack_escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"


def test_teams_message_is_an_adaptive_card_matching_the_schema() -> None:
    message = json.loads(payload_json(kind="teams", notice=notice()))

    jsonschema.validate(message, TEAMS_MESSAGE)
    card = message["attachments"][0]["content"]
    assert card["version"] == "1.4"
    assert [block["type"] for block in card["body"]] == [
        "TextBlock",
        "RichTextBlock",
        "TextBlock",
        "FactSet",
    ]
    facts = {fact["title"]: fact["value"] for fact in card["body"][3]["facts"]}
    assert facts == {
        "When (UTC)": "Tue 8 Dec 2026, 14:00–15:00 UTC",
        "Where": "Hopper, Berlin and Online",
        "From": "Circle: Platform · Knowflow",
    }
    # The reader's own time, rendered by Teams.
    assert card["body"][2]["text"] == (
        "{{DATE(2026-12-08T14:00:00Z, SHORT)}}, {{TIME(2026-12-08T14:00:00Z)}} (your time)"
    )
    assert [(a["title"], a["url"]) for a in card["actions"]] == [
        ("Open the session", "https://knowflow.example.org/sessions/pods/"),
        ("Join online", "https://meet.example.org/pods"),
    ]


def test_teams_schema_refuses_what_teams_would_not_show() -> None:
    message = json.loads(payload_json(kind="teams", notice=notice()))
    message["attachments"][0]["content"]["body"][0]["colour"] = "Accent"  # a typo

    try:
        jsonschema.validate(message, TEAMS_MESSAGE)
    except jsonschema.ValidationError as error:
        assert "colour" in error.message
    else:
        raise AssertionError("the schema took a property Adaptive Cards do not have")


def test_teams_user_text_is_shown_verbatim_not_as_markdown() -> None:
    hostile = "**bold** [click](https://evil.example) _x_"
    message = json.loads(payload_json(kind="teams", notice=notice(title=hostile, where=hostile)))
    card = message["attachments"][0]["content"]

    # The title is a TextRun, which reads no Markdown: the text as typed.
    assert card["body"][1]["inlines"][0]["text"] == hostile
    where = {fact["title"]: fact["value"] for fact in card["body"][3]["facts"]}["Where"]
    assert where == r"\*\*bold\*\* \[click\]\(https://evil.example\) \_x\_"


def test_teams_escape_neutralises_lists_at_line_starts() -> None:
    assert teams_escape("- item\n1. first") == "\\- item\n\\1. first"
