"""The words of a chat notification, written once (`Notice`) and shaped for each chat tool.

Slack gets Block Kit (built with `slack_sdk.models.blocks`, which refuses a block over Slack's
limits) with a ``text`` fallback for notifications and screen readers; Teams gets a message
with one Adaptive Card attachment, the shape a Workflows "when a webhook request is received"
flow posts as is.

Everything people wrote (titles, circle and room names) is escaped for the format it lands in:
Slack's mrkdwn reads ``<…>`` as a link or a mention (``<!channel>`` would ping a whole
channel) and ``&`` as an entity, so those three are entities; a Slack ``plain_text`` field is
shown verbatim. Teams' TextBlock and FactSet read Markdown, so user text there is
backslash-escaped, and a title goes in a RichTextBlock's TextRun, which reads none.

Times: Slack shows its ``<!date^…>`` token in each reader's own zone and falls back to UTC;
Teams gets the UTC time in words (saying so) and a ``{{DATE()}}``/``{{TIME()}}`` line, which
Teams renders in the reader's zone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks): checked again by slack_sdk.
SLACK_HEADER_MAX = 150
SLACK_SECTION_MAX = 3000
SLACK_BUTTON_TEXT_MAX = 75
SLACK_URL_MAX = 3000
SLACK_BLOCKS_MAX = 50
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
ADAPTIVE_CARD_VERSION = "1.4"


@dataclass(frozen=True)
class Notice:
    """One notification, in our words; user text still raw (each format escapes it)."""

    headline: str  # ours: "New session", "Starts in 15 minutes"
    title: str  # a session's title (user text)
    url: str  # the session page, absolute
    link_label: str = "Open the session"
    start: datetime | None = None
    end: datetime | None = None
    where: str = ""  # user text: a room and office, or "Online"
    join_url: str = ""  # the date's online link (http(s) only, checked by events)
    context: str = ""  # user text: the circle or topic the channel belongs to
    note: str = ""  # ours: "This date was cancelled."
    facts: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def shorten(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters (whitespace runs, line breaks too, as one)."""
    return truncate(" ".join(text.split()), limit)


# --- Slack ------------------------------------------------------------------------------------


def slack_escape(text: str) -> str:
    """User text for Slack mrkdwn: no link, mention or entity can be smuggled in."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def utc_words(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return f"{moment:%a} {moment.day} {moment:%b %Y, %H:%M} UTC"


def slack_date(moment: datetime) -> str:
    """Slack's date token: each reader sees it in their own zone; the fallback is UTC."""
    stamp = int(moment.timestamp())
    return f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|{utc_words(moment)}>"


def slack_link(url: str, text: str) -> str:
    return f"<{url}|{slack_escape(text)}>"


def _slack_when(notice: Notice) -> str:
    if notice.start is None:
        return ""
    if notice.end is None:
        return slack_date(notice.start)
    return f"{slack_date(notice.start)} – {slack_date(notice.end)}"


def slack_blocks(notice: Notice) -> list[Block]:
    lines = [f"*{slack_escape(shorten(notice.title, 250))}*"]
    if notice.note:
        lines.append(slack_escape(notice.note))
    when = _slack_when(notice)
    if when:
        lines.append(f":calendar: {when}")
    if notice.where:
        lines.append(f":round_pushpin: {slack_escape(shorten(notice.where, 300))}")
    for label, value in notice.facts:
        lines.append(f"{slack_escape(label)}: {slack_escape(shorten(value, 300))}")
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=shorten(notice.headline, SLACK_HEADER_MAX))),
        SectionBlock(text=MarkdownTextObject(text=truncate("\n".join(lines), SLACK_SECTION_MAX))),
    ]
    if notice.context:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=slack_escape(notice.context))])
        )
    buttons = [
        ButtonElement(
            text=shorten(notice.link_label, SLACK_BUTTON_TEXT_MAX),
            url=notice.url,
            action_id="knowflow-open",
            style="primary",
        )
    ]
    if notice.join_url and len(notice.join_url) <= SLACK_URL_MAX:
        buttons.append(ButtonElement(text="Join online", url=notice.join_url, action_id="join"))
    blocks.append(ActionsBlock(elements=buttons))
    return blocks


def slack_fallback(notice: Notice) -> str:
    """The ``text`` of the message: the notification pop-up and screen readers read it."""
    when = f" — {utc_words(notice.start)}" if notice.start else ""
    return slack_escape(f"{notice.headline}: {shorten(notice.title, 250)}{when}")


def slack_payload(notice: Notice) -> dict:
    return {
        "text": slack_fallback(notice),
        "blocks": [block.to_dict() for block in slack_blocks(notice)],
        # Slack would otherwise turn a bare URL or @name in the text into a link or a mention.
        "unfurl_links": False,
        "unfurl_media": False,
    }


# --- Microsoft Teams --------------------------------------------------------------------------

_TEAMS_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#~|!])")
_TEAMS_LINE_START = re.compile(r"^(\s*)([-+]|\d+\.)(\s)", re.MULTILINE)


def teams_escape(text: str) -> str:
    """User text for a TextBlock or a Fact: Markdown (emphasis, links, lists) shown verbatim."""
    escaped = _TEAMS_MARKDOWN.sub(r"\\\1", text)
    return _TEAMS_LINE_START.sub(r"\1\\\2\3", escaped)


def _adaptive_time(moment: datetime) -> str:
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{{{{DATE({stamp}, SHORT)}}}}, {{{{TIME({stamp})}}}}"


def teams_card(notice: Notice) -> dict:
    body: list[dict] = [
        {
            "type": "TextBlock",
            "text": teams_escape(notice.headline),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {
            "type": "RichTextBlock",
            "inlines": [
                {
                    "type": "TextRun",
                    "text": shorten(notice.title, 250),
                    "weight": "Bolder",
                    "size": "Large",
                }
            ],
        },
    ]
    if notice.note:
        body.append({"type": "TextBlock", "text": teams_escape(notice.note), "wrap": True})
    facts: list[dict[str, str]] = []
    if notice.start is not None:
        when = utc_words(notice.start)
        if notice.end is not None:
            when = f"{when[:-4]}–{notice.end.astimezone(UTC):%H:%M} UTC"
        facts.append({"title": "When (UTC)", "value": when})
    if notice.where:
        facts.append({"title": "Where", "value": teams_escape(shorten(notice.where, 300))})
    for label, value in notice.facts:
        facts.append({"title": teams_escape(label), "value": teams_escape(shorten(value, 300))})
    if notice.context:
        facts.append({"title": "From", "value": teams_escape(notice.context)})
    if notice.start is not None:
        body.append(
            {
                "type": "TextBlock",
                "text": f"{_adaptive_time(notice.start)} (your time)",
                "isSubtle": True,
                "wrap": True,
            }
        )
    if facts:
        body.append({"type": "FactSet", "facts": facts})
    actions = [{"type": "Action.OpenUrl", "title": notice.link_label, "url": notice.url}]
    if notice.join_url:
        actions.append({"type": "Action.OpenUrl", "title": "Join online", "url": notice.join_url})
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": ADAPTIVE_CARD_VERSION,
        "body": body,
        "actions": actions,
    }


def teams_payload(notice: Notice) -> dict:
    return {
        "type": "message",
        "attachments": [
            {"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": teams_card(notice)}
        ],
    }


def payload_json(*, kind: str, notice: Notice) -> str:
    """The body to POST to a channel of ``kind`` ("slack" or "teams")."""
    payload = slack_payload(notice) if kind == "slack" else teams_payload(notice)
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
