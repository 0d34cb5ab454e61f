"""The Slack slash command ``/knowflow <words>``: the top search results and upcoming dates.

Slack signs each request (https://docs.slack.dev/authentication/verifying-requests-from-slack):
HMAC-SHA256 with the app's signing secret over ``v0:<timestamp>:<raw body>``, sent in
``X-Slack-Signature`` with the time in ``X-Slack-Request-Timestamp``. `slack_sdk`'s verifier
checks both, in constant time, and refuses a timestamp more than five minutes away (a replay).
The answer is ephemeral: only the person who typed the command sees it.

What it shows is what the search page shows anyone signed in: titles of sessions, resources,
collections, circles, people and topics, and the dates of upcoming sessions. Anyone in the
Slack workspace can ask, so it is configured (the signing secret set) only where the workspace
and the Knowflow organisation are the same people.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote_plus

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from slack_sdk.signature import Clock, SignatureVerifier

from knowflow.chat.messages import (
    SLACK_BLOCKS_MAX,
    SLACK_SECTION_MAX,
    shorten,
    slack_date,
    slack_escape,
    slack_link,
    truncate,
)
from knowflow.errors import DomainError
from knowflow.events.models import Occurrence, Session
from knowflow.library.selectors import SearchRequest, hit_url, search_everything

TOP_RESULTS = 5
UPCOMING_DATES = 5
MAX_QUERY = 200
TYPE_WORDS = {
    "session": "Session",
    "resource": "Resource",
    "collection": "Collection",
    "person": "Person",
    "circle": "Circle",
    "topic": "Topic",
}


def slack_signing_secret() -> str:
    return getattr(settings, "KNOWFLOW_SLACK_SIGNING_SECRET", "") or ""


def slack_request_verified(
    *, body: bytes, headers: Mapping[str, str], now: datetime | None = None
) -> bool:
    """Whether the request comes from Slack, signed with our secret, within five minutes.
    Anything malformed (a timestamp that is not a number, a body that is not UTF-8) is not."""
    secret = slack_signing_secret()
    if not secret:
        return False
    verifier = SignatureVerifier(signing_secret=secret, clock=_Clock(now))
    try:
        return verifier.is_valid_request(body, dict(headers))
    except (ValueError, OverflowError):
        return False


class _Clock(Clock):
    """slack_sdk's clock, at a given moment when one is given."""

    def __init__(self, now: datetime | None) -> None:
        self._now = now

    def now(self) -> float:
        return self._now.timestamp() if self._now is not None else time.time()


def absolute(path: str) -> str:
    return f"{settings.KNOWFLOW_BASE_URL}{path}"


def _section(text: str) -> dict:
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate(text, SLACK_SECTION_MAX)},
    }


def _context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def help_answer() -> dict:
    return {
        "response_type": "ephemeral",
        "text": "Type /knowflow and a few words to find sessions, recordings and people.",
        "blocks": [
            _section(
                "*Find it in Knowflow*\n"
                "Type `/knowflow` and a few words, for example `/knowflow kubernetes`: "
                "you get the best matches (sessions, recordings, documents, people, circles) "
                "and the upcoming dates of the sessions that match."
            ),
            _context(f"<{absolute(reverse('library:search'))}|Search in Knowflow>"),
        ],
    }


def _upcoming_dates(session_ids: list[int], *, now: datetime) -> list[Occurrence]:
    return list(
        Occurrence.objects.filter(session_id__in=session_ids, end__gt=now, cancelled_at=None)
        .exclude(session__status=Session.Status.CANCELLED)
        .filter(~Q(session__status=Session.Status.PROPOSED))
        .select_related("session")
        .order_by("start", "id")[:UPCOMING_DATES]
    )


def slash_command_answer(*, text: str, now: datetime | None = None) -> dict:
    """The ephemeral Block Kit answer to ``/knowflow <text>``."""
    query = " ".join(text.split())[:MAX_QUERY]
    if not query:
        return help_answer()
    now = now or timezone.now()
    search_url = absolute(f"{reverse('library:search')}?q={quote_plus(query)}")
    try:
        page = search_everything(
            viewer=None, request=SearchRequest(text=query), page_size=TOP_RESULTS, snippets=False
        )
        hits = page.results.hits[:TOP_RESULTS]
        session_page = search_everything(
            viewer=None,
            request=SearchRequest(text=query, types=("session",)),
            page_size=20,
            snippets=False,
        )
        session_ids = [hit.object_id for hit in session_page.results.hits]
    except DomainError:
        hits, session_ids = [], []
    blocks: list[dict] = [_section(f"*Knowflow: {slack_escape(query)}*")]
    if hits:
        lines = [
            f"• {slack_link(absolute(hit_url(hit)), shorten(hit.title, 150))} "
            f"— {TYPE_WORDS.get(hit.kind, hit.kind.title())}"
            for hit in hits
        ]
        blocks.append(_section("\n".join(lines)))
    else:
        blocks.append(_section("Nothing matches these words. Try fewer or other words."))
    dates = _upcoming_dates(session_ids, now=now) if session_ids else []
    if dates:
        lines = [
            f"• {slack_date(date.start)} {slack_link(session_link(date.session), shorten(date.session.title, 150))}"
            for date in dates
        ]
        blocks.append(_section("*Coming up*\n" + "\n".join(lines)))
    blocks.append(_context(f"Only you can see this · <{search_url}|All results in Knowflow>"))
    return {
        "response_type": "ephemeral",
        "text": f"Knowflow: {len(hits)} results for {slack_escape(query)}",
        "blocks": blocks[:SLACK_BLOCKS_MAX],
    }


def session_link(session: Session) -> str:
    return absolute(reverse("events:session", args=[session.slug]))
