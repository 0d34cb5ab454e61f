"""The outbound queue: HTTP POSTs to other systems, written with the change that causes them and
delivered by the worker.

Enqueueing. A domain (chat, webhooks, xAPI) builds a JSON body and calls `outbound_enqueue_many`
inside the transaction of the change, so a post exists if and only if that change committed.
Each post names its receiver as an endpoint key, "<prefix>:<id>"; the app owning the prefix
registers, once, a resolver (`register_endpoints`) that the worker calls at send time to turn
the key into a URL and headers. That is where a webhook's secret is unsealed and its signature
computed over the send-time timestamp, so no secret is stored in the queue, a rotated secret
signs the retries, and an endpoint removed meanwhile gets nothing (the resolver answers None and
the post is cancelled).

Delivery (`outbound_deliver_due`), one post at a time, as the email outbox does: claim (a short
transaction; SKIP LOCKED on PostgreSQL), POST outside any transaction, then record the outcome
matched by the claim token. A 2xx is sent. Anything else is retried with exponential back-off
(1 min, 2, 4 … at most 6 h; `MAX_ATTEMPTS` attempts), except what retrying cannot fix: a
redirect (not followed: the URL must be corrected) and a 4xx other than 408 and 429, which fail
at once. When an endpoint fails, its other due posts wait as long as the failed one, and the
pass goes on with other endpoints: a dead endpoint costs one timeout per retry, never a queue
held up behind it.

Two guarantees, chosen per post:

- at least once (the default: webhooks, xAPI statements, which carry an id their receivers
  deduplicate on): a post whose outcome is unknown — the request was sent and no answer came
  (a timeout, a reset, a killed worker) — is sent again;
- at most once (`Post.at_most_once`: a chat message, where a copy in a channel is worse than a
  missing one): such a post is marked failed instead ("may have arrived"), never sent again. A
  refused connection or an error status is a known outcome (nothing was accepted), so both kinds
  retry those.
"""

from __future__ import annotations

import http.client
import logging
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db import connection as db_connection
from django.db.models import F, QuerySet
from django.utils import timezone

from knowflow.mail.kinds import kind_is_valid
from knowflow.outbound.models import OutboundPost
from knowflow.outbound.signals import outbound_pass_starting

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
RETRY_BASE = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=6)
USER_AGENT = "Knowflow"


# Endpoints ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where a post goes, worked out at send time: the URL and the headers (signature,
    credentials) to send with the JSON body."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)


Resolver = Callable[[str, str, datetime], "Target | None"]
_resolvers: dict[str, Resolver] = {}


def register_endpoints(prefix: str, resolve: Resolver) -> None:
    """Declare how the endpoints "<prefix>:<id>" are reached (from an AppConfig.ready()).

    `resolve(endpoint_id, body, now)` returns the Target, or None when the endpoint is gone
    or turned off (its posts are then cancelled, not sent). It may raise to fail the attempt
    (a secret that can no longer be unsealed, say): the error is recorded and retried.
    """
    if not prefix or ":" in prefix:
        raise ValueError(f"{prefix!r} is not an endpoint prefix (a word without ':')")
    _resolvers[prefix] = resolve


def _resolve(post: OutboundPost, now: datetime) -> Target | None:
    prefix, _, endpoint_id = post.endpoint.partition(":")
    resolve = _resolvers.get(prefix)
    if resolve is None:
        raise LookupError(f"No app handles the endpoints '{prefix}:…' (is it installed?).")
    return resolve(endpoint_id, post.body, now)


# Enqueueing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    """One POST a domain hands to the queue (`outbound_enqueue_many`).

    `kind` is the writing app's dotted name ("chat.slack", "webhooks.session.scheduled");
    `endpoint` the receiver's key, "<prefix>:<id>"; `body` the JSON text; a second post with
    the same `dedupe_key` is ignored.
    """

    kind: str
    endpoint: str
    body: str
    dedupe_key: str
    at_most_once: bool = False


def outbound_enqueue_many(posts: Iterable[Post], *, now: datetime | None = None) -> int:
    """Queue posts in one statement, in the caller's transaction; returns how many were handed
    over (a dedupe key taken already is skipped, without aborting the transaction)."""
    now = now or timezone.now()
    rows = []
    for post in posts:
        if not kind_is_valid(post.kind):
            raise ValueError(f"{post.kind!r} is not a lowercase dotted kind (e.g. chat.slack)")
        if ":" not in post.endpoint:
            raise ValueError(f"{post.endpoint!r} is not an endpoint key ('<prefix>:<id>')")
        rows.append(
            OutboundPost(
                kind=post.kind,
                endpoint=post.endpoint[:80],
                body=post.body,
                dedupe_key=post.dedupe_key[:200],
                at_most_once=post.at_most_once,
                next_attempt_at=now,
                created_at=now,
            )
        )
    OutboundPost.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# Sending ------------------------------------------------------------------------------------


class Refused(Exception):
    """The receiver answered, and not with a 2xx: nothing was accepted."""

    def __init__(self, code: int, message: str, *, final: bool) -> None:
        super().__init__(message)
        self.code, self.final = code, final


class NotDelivered(Exception):
    """The request never reached the receiver (no connection): safe to send again."""


class OutcomeUnknown(Exception):
    """The request was sent and no answer came: the receiver may have accepted it."""


@dataclass(frozen=True)
class Answer:
    code: int
    duration_ms: int


def _post(target: Target, body: str) -> Answer:
    """POST `body` to the target, following no redirect; raise one of the three errors above."""
    parts = urlsplit(target.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # Never the URL itself: a chat webhook's path is its credential, and this message is
        # logged and shown in the delivery logs.
        raise Refused(
            0, f"The address is not an http(s) URL ({parts.scheme or 'no scheme'}).", final=True
        )
    timeout = settings.KNOWFLOW_OUTBOUND_TIMEOUT_SECONDS
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        **target.headers,
    }
    started = time.monotonic()
    try:
        try:
            connection.connect()
        except (OSError, http.client.HTTPException) as error:
            raise NotDelivered(f"could not connect to {parts.hostname}: {error}") from error
        try:
            connection.request("POST", path, body=body.encode(), headers=headers)
            response = connection.getresponse()
            excerpt = response.read(2000).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            raise OutcomeUnknown(
                f"sent to {parts.hostname}, but no answer came ({type(error).__name__}: {error})"
            ) from error
    finally:
        connection.close()
    duration_ms = int((time.monotonic() - started) * 1000)
    code = response.status
    if 200 <= code < 300:
        return Answer(code=code, duration_ms=duration_ms)
    if 300 <= code < 400:
        where = response.getheader("Location") or "elsewhere"
        raise Refused(
            code,
            f"HTTP {code}: redirected to {where}; redirects are not followed, correct the URL.",
            final=True,
        )
    final = 400 <= code < 500 and code not in (408, 429)
    raise Refused(code, f"HTTP {code}: {excerpt.strip()[:500]}", final=final)


# Delivery -----------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    interrupted: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed + self.cancelled


def sending_lease() -> timedelta:
    return timedelta(seconds=settings.KNOWFLOW_OUTBOUND_LEASE_SECONDS)


INTERRUPTED = (
    "Delivery was interrupted: the worker posting this stopped before recording the result "
    "(killed or crashed). It is sent again."
)
INTERRUPTED_AT_MOST_ONCE = (
    "Delivery was interrupted: the worker posting this stopped before recording the result "
    "(killed or crashed). It may have arrived, so it is not sent again (at most once)."
)


def _release_expired(*, now: datetime) -> int:
    """Posts left "sending" by dead workers: back to the queue, or failed when at most once."""
    expired = OutboundPost.objects.filter(
        status=OutboundPost.Status.SENDING, claimed_at__lt=timezone.now() - sending_lease()
    )
    with transaction.atomic():
        once = expired.filter(at_most_once=True).update(
            status=OutboundPost.Status.FAILED,
            attempts=F("attempts") + 1,
            claim_token="",
            last_error=INTERRUPTED_AT_MOST_ONCE,
        )
        final = expired.filter(attempts__gte=MAX_ATTEMPTS - 1).update(
            status=OutboundPost.Status.FAILED,
            attempts=F("attempts") + 1,
            claim_token="",
            last_error=INTERRUPTED,
        )
        released = expired.update(
            status=OutboundPost.Status.PENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now,
            claim_token="",
            last_error=INTERRUPTED,
        )
    return once + final + released


def _claim_next(*, now: datetime, skip: set[str]) -> OutboundPost | None:
    with transaction.atomic():
        due = OutboundPost.objects.filter(
            status=OutboundPost.Status.PENDING, next_attempt_at__lte=now
        )
        if skip:
            due = due.exclude(endpoint__in=skip)
        due = due.order_by("next_attempt_at", "id")
        if db_connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        post = due.first()
        if post is None:
            return None
        post.status = OutboundPost.Status.SENDING
        post.claim_token = uuid.uuid4().hex
        post.claimed_at = timezone.now()
        post.save(update_fields=["status", "claim_token", "claimed_at"])
    return post


def _mine(post: OutboundPost) -> QuerySet[OutboundPost]:
    """The claimed row, as long as this worker's claim holds."""
    return OutboundPost.objects.filter(pk=post.pk, claim_token=post.claim_token)


def _record_failure(post: OutboundPost, error: Exception, *, now: datetime) -> str:
    attempts = post.attempts + 1
    code = error.code if isinstance(error, Refused) and error.code else None
    text = (
        str(error)[:2000]
        if isinstance(error, Refused | NotDelivered | OutcomeUnknown)
        else (f"{type(error).__name__}: {error}"[:2000])
    )
    final = isinstance(error, Refused) and error.final
    if isinstance(error, OutcomeUnknown) and post.at_most_once:
        final = True
        text += " It may have arrived, so it is not sent again (at most once)."
    if final or attempts >= MAX_ATTEMPTS:
        status, next_attempt = OutboundPost.Status.FAILED, post.next_attempt_at
    else:
        status = OutboundPost.Status.PENDING
        next_attempt = now + min(RETRY_BASE * 2 ** (attempts - 1), RETRY_MAX)
        # The endpoint's other due posts wait as long: one timeout per retry, not one per post.
        OutboundPost.objects.filter(
            endpoint=post.endpoint,
            status=OutboundPost.Status.PENDING,
            next_attempt_at__lt=next_attempt,
        ).exclude(pk=post.pk).update(next_attempt_at=next_attempt)
    _mine(post).update(
        status=status,
        attempts=attempts,
        next_attempt_at=next_attempt,
        last_error=text,
        response_code=code,
        claim_token="",
    )
    return status


def outbound_deliver_due(
    *, now: datetime | None = None, limit: int = 50, stop: threading.Event | None = None
) -> DeliveryReport:
    """Post up to `limit` due posts; safe to run from any number of workers at once.

    Tells the domains a pass is starting (`signals.outbound_pass_starting`), puts the posts of
    dead workers back (or fails them, when at most once), then posts one at a time. An endpoint
    that fails is not tried again in this pass. Once `stop` is set, the post in hand is
    finished and no other is claimed.
    """
    now = now or timezone.now()
    report = DeliveryReport()
    outbound_pass_starting.send(sender=OutboundPost, now=now)
    report.interrupted = _release_expired(now=now)
    failing: set[str] = set()
    while report.handled < limit:
        if stop is not None and stop.is_set():
            break
        post = _claim_next(now=now, skip=failing)
        if post is None:
            break
        try:
            target = _resolve(post, now)
            if target is None:
                _mine(post).update(
                    status=OutboundPost.Status.CANCELLED,
                    claim_token="",
                    last_error="The endpoint was removed or turned off; nothing was sent.",
                )
                report.cancelled += 1
                continue
            answer = _post(target, post.body)
        except Exception as error:  # noqa: BLE001 - any failure is recorded and maybe retried
            status = _record_failure(post, error, now=now)
            failing.add(post.endpoint)
            if status == OutboundPost.Status.FAILED:
                report.failed += 1
            else:
                report.retrying += 1
            report.errors.append(f"{post.endpoint}: {error}")
            logger.warning(
                "outbound post %s to %s failed (%s): %s", post.pk, post.endpoint, status, error
            )
            continue
        _mine(post).update(
            status=OutboundPost.Status.SENT,
            attempts=post.attempts + 1,
            sent_at=timezone.now(),
            response_code=answer.code,
            duration_ms=answer.duration_ms,
            last_error="",
            claim_token="",
        )
        report.sent += 1
    return report


@transaction.atomic
def outbound_retry(*, post_ids: list[int], now: datetime | None = None) -> int:
    """Queue failed or cancelled posts again (an admin's "redeliver"); returns how many."""
    return OutboundPost.objects.filter(
        pk__in=post_ids,
        status__in=[OutboundPost.Status.FAILED, OutboundPost.Status.CANCELLED],
    ).update(
        status=OutboundPost.Status.PENDING,
        attempts=0,
        next_attempt_at=now or timezone.now(),
        claim_token="",
    )


def outbound_delivery_loop(
    *, interval: float | None = None, limit: int = 50, stop: threading.Event | None = None
) -> None:
    """Post due posts until `stop` is set: the loop `knowflow worker` runs in a thread.

    A full batch loops again at once; an error (the database restarting) is logged and
    retried after `interval` (by default `KNOWFLOW_OUTBOUND_INTERVAL_SECONDS`).
    """
    interval = settings.KNOWFLOW_OUTBOUND_INTERVAL_SECONDS if interval is None else interval
    stop = stop or threading.Event()
    while not stop.is_set():
        busy = False
        try:
            report = outbound_deliver_due(limit=limit, stop=stop)
            busy = report.handled >= limit
        except Exception:
            logger.exception("outbound delivery loop: will try again in %s s", interval)
        finally:
            close_old_connections()
        if not busy:
            stop.wait(interval)
