"""What Knowflow posts to chat channels, and when.

Each post is written to the outbound queue (`knowflow.outbound`) as a `Post` of kind
``chat.slack`` or ``chat.teams`` for the endpoint ``chat:<channel id>``, inside the transaction
of the change that caused it: the receivers below are connected to the domain signals, which
are sent in that transaction, so a rolled-back change posts nothing. Posts are *at most once*:
a chat message sent twice is worse than one lost after a timeout, and the outbox never re-sends
one whose outcome is unknown. The webhook URL is not in the queue: the worker asks
`resolve_endpoint` for it at send time, so a removed or paused channel's queued posts are
dropped, and the secret URL lives only in the sealed column.

What is posted, each with a dedupe key that makes a second write of it a no-op:

- a new session of the circle or with the topic (its first date), ``…:date:<occurrence>:<sequence>``;
- a date added or moved (the same key shape: each change raises the date's sequence, so each
  is a new post);
- a date cancelled, or the whole session cancelled (one post for all its upcoming dates);
- "starts in 15 minutes" with the join link, written by a scan at the start of each outbound
  pass (`starting_soon_on_pass`), once per date, start time and channel;
- the recording is available (a recording linked to the session).

Receivers are cheap (one query for the channels, nothing when none follows) and never stop
the change they report on: a notice that cannot be shaped is logged and left out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from slack_sdk.errors import SlackObjectFormationError

from knowflow.chat.messages import Notice, payload_json
from knowflow.chat.models import ChatChannel
from knowflow.chat.selectors import chat_channels_for_session, chat_channels_wanting
from knowflow.events.models import Occurrence, Session
from knowflow.links import is_web_url
from knowflow.outbound.services import Post, Target, outbound_enqueue_many
from knowflow.sealing import unseal

logger = logging.getLogger(__name__)

STARTING_SOON = timedelta(minutes=15)
RECORDING = "recording"


def absolute(path: str) -> str:
    return f"{settings.KNOWFLOW_BASE_URL}{path}"


def session_url(session: Session) -> str:
    return absolute(reverse("events:session", args=[session.slug]))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _where(occurrence: Occurrence) -> str:
    parts = []
    room = occurrence.room
    if room is not None:
        parts.append(f"{room.name}, {room.office.name}")
    if occurrence.online_url:
        parts.append("Online")
    return " and ".join(parts)


def _context(channel: ChatChannel) -> str:
    if channel.circle_id:
        return f"Circle: {channel.owner_name} · Knowflow"
    return f"Topic: {channel.owner_name} · Knowflow"


def _join_url(occurrence: Occurrence) -> str:
    # Checked when it was saved; checked again because it becomes a button in someone's chat.
    return occurrence.online_url if is_web_url(occurrence.online_url) else ""


def _date_notice(occurrence: Occurrence, *, headline: str, note: str = "") -> dict[str, Any]:
    session = occurrence.session
    speakers = ", ".join(person.display_name for person in session.speakers.all())
    return {
        "headline": headline,
        "title": session.title,
        "url": session_url(session),
        "start": occurrence.start,
        "end": occurrence.end,
        "where": _where(occurrence),
        "note": note,
        "facts": (("With", speakers),) if speakers else (),
    }


def _posts(channels: Iterable[ChatChannel], *, key: str, notice: dict[str, Any]) -> list[Post]:
    """One post per channel, the notice shaped for its chat tool; ``key`` is completed with
    the channel's id to make the dedupe key."""
    posts = []
    for channel in channels:
        try:
            body = payload_json(
                kind=channel.kind, notice=Notice(**notice, context=_context(channel))
            )
        except (SlackObjectFormationError, ValueError, TypeError):
            logger.exception("chat: could not shape %s for channel %s", key, channel.pk)
            continue
        posts.append(
            Post(
                kind=f"chat.{channel.kind}",
                endpoint=channel.endpoint,
                body=body,
                dedupe_key=f"chat:{channel.pk}:{key}",
                at_most_once=True,
            )
        )
    return posts


def _enqueue(posts: list[Post]) -> int:
    return outbound_enqueue_many(posts) if posts else 0


# --- the notices ------------------------------------------------------------------------------


def _live_dates(session: Session) -> list[Occurrence]:
    return list(
        session.occurrences.filter(cancelled_at__isnull=True)
        .select_related("room__office")
        .order_by("start", "id")
    )


def chat_post_session_scheduled(*, session: Session, occurrence: Occurrence | None = None) -> int:
    """A session got its first date: announce it as a new session, with that date."""
    if session.status == Session.Status.CANCELLED:
        return 0
    if occurrence is None:
        dates = _live_dates(session)
        if not dates:
            return 0
        occurrence = dates[0]
    if occurrence.cancelled_at is not None or occurrence.end <= timezone.now():
        return 0
    channels = chat_channels_for_session(session=session, wants="notify_new_sessions")
    if not channels:
        return 0
    notice = _date_notice(occurrence, headline="New session")
    return _enqueue(
        _posts(channels, key=f"date:{occurrence.pk}:{occurrence.sequence}", notice=notice)
    )


def _post_live_date(*, occurrence: Occurrence, headline: str, note: str = "") -> int:
    """Post a date that is still to come to the channels following date changes (added or
    moved): nothing for a cancelled session or date, or one already over."""
    session = occurrence.session
    if session.status == Session.Status.CANCELLED or occurrence.cancelled_at is not None:
        return 0
    if occurrence.end <= timezone.now():
        return 0
    channels = chat_channels_for_session(session=session, wants="notify_date_changes")
    if not channels:
        return 0
    notice = _date_notice(occurrence, headline=headline, note=note)
    return _enqueue(
        _posts(channels, key=f"date:{occurrence.pk}:{occurrence.sequence}", notice=notice)
    )


def chat_post_new_date(*, occurrence: Occurrence) -> int:
    """Another date was added to a session already scheduled."""
    return _post_live_date(occurrence=occurrence, headline="New date added")


def chat_post_date_moved(*, occurrence: Occurrence) -> int:
    return _post_live_date(
        occurrence=occurrence,
        headline="A date has changed",
        note="The date changed: this is the new one.",
    )


def chat_post_date_cancelled(*, occurrence: Occurrence) -> int:
    if occurrence.end <= timezone.now():
        return 0
    channels = chat_channels_for_session(session=occurrence.session, wants="notify_date_changes")
    if not channels:
        return 0
    notice = _date_notice(occurrence, headline="Date cancelled", note="This date is cancelled.")
    return _enqueue(_posts(channels, key=f"cancelled:{occurrence.pk}", notice=notice))


def chat_post_session_cancelled(*, session: Session) -> int:
    """The whole session was cancelled: one post, naming how many upcoming dates are off."""
    now = timezone.now()
    upcoming = [date for date in _live_dates(session) if date.end > now]
    if not upcoming:
        return 0
    channels = chat_channels_for_session(session=session, wants="notify_date_changes")
    if not channels:
        return 0
    count = len(upcoming)
    notice = {
        "headline": "Session cancelled",
        "title": session.title,
        "url": session_url(session),
        "note": (
            "Its upcoming date is cancelled."
            if count == 1
            else f"All {count} of its upcoming dates are cancelled."
        ),
        "start": upcoming[0].start if count == 1 else None,
        "end": upcoming[0].end if count == 1 else None,
    }
    # Keyed by the moment it was cancelled: a session reinstated and cancelled again is news.
    return _enqueue(
        _posts(channels, key=f"session-cancelled:{session.pk}:{_stamp(now)}", notice=notice)
    )


def chat_post_recording(*, resource: Any) -> int:
    """A recording of a session is in the library (``resource`` is a library Resource)."""
    session = getattr(resource, "session", None)
    if session is None:
        return 0
    channels = chat_channels_for_session(session=session, wants="notify_recordings")
    if not channels:
        return 0
    notice = {
        "headline": "Recording available",
        "title": session.title,
        "url": absolute(reverse("library:resource", args=[resource.slug])),
        "link_label": "Watch the recording",
        "facts": (("Recording", resource.title),),
    }
    return _enqueue(_posts(channels, key=f"{RECORDING}:{resource.pk}", notice=notice))


def chat_post_starting_soon(*, now: datetime) -> int:
    """Post "starts in 15 minutes" for each date starting within that time, to the channels
    that follow its session; once per date, start time and channel (the dedupe key), so a
    scan every few seconds posts it once, and a date moved later gets a new one."""
    channels = list(chat_channels_wanting(wants="notify_starting_soon"))
    if not channels:
        return 0
    by_circle: dict[int, list[ChatChannel]] = {}
    by_topic: dict[int, list[ChatChannel]] = {}
    for channel in channels:
        if channel.circle_id:
            by_circle.setdefault(channel.circle_id, []).append(channel)
        elif channel.topic_id:
            by_topic.setdefault(channel.topic_id, []).append(channel)
    occurrences = (
        Occurrence.objects.filter(
            Q(session__circle_id__in=list(by_circle)) | Q(session__topics__in=list(by_topic)),
            start__gt=now,
            start__lte=now + STARTING_SOON,
            cancelled_at__isnull=True,
        )
        .exclude(session__status=Session.Status.CANCELLED)
        .select_related("session", "room__office")
        .prefetch_related("session__topics", "session__speakers")
        .distinct()
        .order_by("start", "id")
    )
    posts: list[Post] = []
    for occurrence in occurrences:
        session = occurrence.session
        followers = {c.pk: c for c in by_circle.get(session.circle_id or 0, [])}
        for topic in session.topics.all():
            followers.update({c.pk: c for c in by_topic.get(topic.pk, [])})
        minutes = max(1, -int(-(occurrence.start - now).total_seconds() // 60))
        notice = _date_notice(occurrence, headline=f"Starts in {minutes} minutes")
        notice["join_url"] = _join_url(occurrence)
        if notice["join_url"]:
            notice["link_label"] = "Open the session"
        posts += _posts(
            followers.values(),
            key=f"soon:{occurrence.pk}:{_stamp(occurrence.start)}",
            notice=notice,
        )
    return _enqueue(posts)


def chat_post_test(*, channel: ChatChannel, now: datetime) -> int:
    """The message an organiser sends to check that the channel is connected."""
    if channel.circle is not None:
        url = absolute(reverse("circles:circle", args=[channel.circle.slug]))
        label = "Open the circle"
    elif channel.topic is not None:
        url = absolute(reverse("topics:topic", args=[channel.topic.slug]))
        label = "Open the topic"
    else:
        return 0
    wanted = [
        words
        for flag, words in (
            ("notify_new_sessions", "new sessions"),
            ("notify_date_changes", "dates added, moved or cancelled"),
            ("notify_starting_soon", "15 minutes before a date starts"),
            ("notify_recordings", "recordings"),
        )
        if getattr(channel, flag)
    ]
    notice = {
        "headline": "Knowflow is connected",
        "title": f"{channel.owner_name} will post here",
        "url": url,
        "link_label": label,
        "note": f"What this channel will hear about: {', '.join(wanted) or 'nothing yet'}.",
    }
    return _enqueue(_posts([channel], key=f"test:{now.timestamp():.6f}", notice=notice))


# --- delivery: the webhook URL at send time ----------------------------------------------------


def resolve_endpoint(endpoint_id: str, body: str, now: datetime) -> Target | None:
    """Where a queued post to ``chat:<endpoint_id>`` goes: the channel's webhook, unsealed now.
    None (the post is dropped) once the channel was removed or paused, or has no URL (an
    export without credentials leaves it out)."""
    if not endpoint_id.isdigit():
        return None
    channel = ChatChannel.objects.filter(pk=int(endpoint_id), active=True).first()
    if channel is None or not channel.webhook_url_sealed:
        return None
    return Target(url=unseal(channel.webhook_url_sealed), headers={})


# --- signal receivers ---------------------------------------------------------------------------


def on_session_scheduled(
    sender: Any, *, session: Session, occurrence: Occurrence | None = None, **kwargs: Any
) -> None:
    chat_post_session_scheduled(session=session, occurrence=occurrence)


def on_occurrence_changed(
    sender: Any, *, occurrence: Occurrence, change: str = "", **kwargs: Any
) -> None:
    if change == "added":
        chat_post_new_date(occurrence=occurrence)
    elif change == "moved":
        chat_post_date_moved(occurrence=occurrence)


def on_occurrence_cancelled(sender: Any, *, occurrence: Occurrence, **kwargs: Any) -> None:
    chat_post_date_cancelled(occurrence=occurrence)


def on_session_cancelled(sender: Any, *, session: Session, **kwargs: Any) -> None:
    chat_post_session_cancelled(session=session)


def on_recording_published(sender: Any, *, resource: Any, **kwargs: Any) -> None:
    chat_post_recording(resource=resource)


def starting_soon_on_pass(sender: Any, *, now: datetime, **kwargs: Any) -> None:
    chat_post_starting_soon(now=now)


def connect() -> None:
    """Follow the domain signals and register the ``chat`` endpoints (from `ChatConfig.ready`)."""
    from knowflow.events import signals as events_signals
    from knowflow.library import signals as library_signals
    from knowflow.outbound import signals as outbound_signals
    from knowflow.outbound.services import register_endpoints

    register_endpoints("chat", resolve_endpoint)
    events_signals.session_scheduled.connect(on_session_scheduled, dispatch_uid="chat.scheduled")
    events_signals.occurrence_changed.connect(on_occurrence_changed, dispatch_uid="chat.changed")
    events_signals.occurrence_cancelled.connect(
        on_occurrence_cancelled, dispatch_uid="chat.cancelled"
    )
    events_signals.session_cancelled.connect(
        on_session_cancelled, dispatch_uid="chat.session_cancelled"
    )
    library_signals.recording_published.connect(
        on_recording_published, dispatch_uid="chat.recording"
    )
    outbound_signals.outbound_pass_starting.connect(
        starting_soon_on_pass, dispatch_uid="chat.starting_soon"
    )
