"""The email outbox: what gets written, and how it is delivered.

Enqueueing. A domain's `notifications` module calls `outbox_enqueue` (or `outbox_enqueue_many`)
inside the transaction of the change that causes the email, so an email row exists if and only
if that change committed. The message is rendered at that moment (subject, text, HTML, an
iCalendar part): it says what was true when the change happened, even if it is delivered
minutes later. Each row has a dedupe key; a second enqueue of the same email (a re-run reminder
scan, a retried job) is ignored. Each row's kind is a dotted name owned by the app that wrote
it (`kinds`); this module imports no domain app.

Delivery (`outbox_deliver_due`): one message at a time, in three steps:

1. claim: in one short transaction, take the next due pending row (a row lock with SKIP LOCKED
   on PostgreSQL, so concurrent workers take different rows; SQLite's IMMEDIATE transactions
   serialise the claim), set it to "sending" with a fresh claim token and the time, commit;
2. send it with Django's email backend, outside any transaction, within
   `KNOWFLOW_OUTBOX_DELIVERY_SECONDS` (EMAIL_URL's timeout bounds each network step, not the
   whole delivery, so a slow server could otherwise hold a message for ever): past that limit
   the connection is cut and the attempt counts as failed;
3. mark it "sent" (or, on an error, back to "pending" with exponential back-off, or "failed"
   after `MAX_ATTEMPTS` or on a permanent refusal) — matched by its claim token.

A worker holds at most one claimed row, so a worker that stops holds nothing back: asked to
stop (`stop`, set by `knowflow worker` on SIGTERM / SIGINT) it finishes the message in hand
and claims no other; killed outright, it leaves that one row "sending". A row still "sending"
after the lease (`KNOWFLOW_OUTBOX_LEASE_SECONDS`) belonged to a dead worker: the next pass puts
it back to pending, counting the attempt, so it is sent again (and failed after
`MAX_ATTEMPTS` interruptions, as a message that keeps killing its worker should be). Claiming
one row at a time is also what makes the lease safe: it only has to outlast one delivery, not
a batch, and a settings check (`checks.py`) refuses a lease shorter than twice the delivery
limit, so a slow but living worker does not have its message taken from it. Should it happen
anyway (a worker paused, a clock jumped), the mark step notices that its claim is gone: a
released row still waiting in the queue is marked sent (it was delivered: sending it again
would only make a copy); a row another worker has claimed meanwhile is left to that worker and
counted as `lost_lease`, with a warning, since a copy is then on its way.

Trade-off: at least once. The one case that can repeat is a worker killed after the SMTP server
accepted a message and before step 3 committed: that message is sent again. Losing it would be
worse, and the copy is recognisable: the Message-ID is fixed per row (`outbox_message_id`), so
mail stores and people see the same message twice, and the calendar part has the same UID and
SEQUENCE, so calendars update in place instead of adding an event.
"""

from __future__ import annotations

import contextlib
import logging
import re
import smtplib
import socket
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import close_old_connections, transaction
from django.db import connection as db_connection
from django.db.models import F
from django.utils import timezone

from knowflow.mail import emails
from knowflow.mail.kinds import kind_is_valid
from knowflow.mail.models import OutboxMessage
from knowflow.mail.signals import outbox_pass_starting

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
RETRY_BASE = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=6)


# Enqueueing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Email:
    """One email a domain hands to the outbox (`outbox_enqueue_many`), fully rendered.

    `ics` is an iCalendar part and `ics_method` its iTIP method (REQUEST, CANCEL). `headers`
    are extra header lines of this message (e.g. List-Unsubscribe); names and values must be
    single lines (`check_headers`).
    """

    kind: str
    recipient: str
    subject: str
    body: str
    dedupe_key: str
    html: str = ""
    ics: str = ""
    ics_method: str = ""
    headers: dict[str, str] = field(default_factory=dict)


# Headers the outbox sets itself: a domain may not replace them through `headers`.
_OWN_HEADERS = {"from", "to", "cc", "bcc", "subject", "message-id", "content-type", "date"}
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")


def check_headers(headers: dict[str, str]) -> None:
    """Refuse a header the outbox owns, a malformed name or a value with a line break (which
    would let a value start a header of its own). A programming error, raised before writing."""
    for name, value in headers.items():
        if not _HEADER_NAME.match(name) or name.lower() in _OWN_HEADERS:
            raise ValueError(f"{name!r} is not a header a message may set")
        if "\r" in value or "\n" in value:
            raise ValueError(f"the value of {name} contains a line break")


def _check_kind(kind: str) -> None:
    if not kind_is_valid(kind):
        raise ValueError(f"{kind!r} is not a lowercase dotted outbox kind (e.g. events.invitation)")


def outbox_enqueue(
    *,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    dedupe_key: str,
    html: str = "",
    headers: dict[str, str] | None = None,
) -> bool:
    """Queue one email without a calendar part, e.g. a survey request.

    `kind` is the writing app's dotted name for the message (`feedback.survey`). `body` is
    plain text; `html`, its HTML form, is made from it (paragraphs, links) when not given. Call
    it inside the transaction of the change that causes it. `headers` are extra header lines
    (`Email.headers`). Returns False when a message with the same dedupe key exists already:
    the retried job sends nothing twice.
    """
    _check_kind(kind)
    check_headers(headers or {})
    # A subject is one header line: a line break from a title or a name would make the message
    # unsendable (Django refuses it), so whitespace runs become single spaces.
    subject = " ".join(subject.split())
    if OutboxMessage.objects.filter(dedupe_key=dedupe_key).exists():
        return False
    now = timezone.now()
    # ignore_conflicts: a concurrent worker that got here first wins, without an error.
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                kind=kind,
                recipient=recipient,
                subject=subject[:255],
                body=body,
                html=html or emails.plain_email_html(subject=subject, body=body),
                dedupe_key=dedupe_key,
                headers=dict(headers or {}),
                next_attempt_at=now,
                created_at=now,
            )
        ],
        ignore_conflicts=True,
    )
    return True


def outbox_enqueue_many(*, emails: Iterable[Email], now: datetime | None = None) -> int:
    """Queue several rendered emails in one statement, in the caller's transaction.

    An email whose dedupe key is taken already is skipped (ON CONFLICT DO NOTHING, which on
    PostgreSQL does not abort the caller's transaction). Returns how many were handed over,
    skipped ones included.
    """
    now = now or timezone.now()
    rows = []
    for email in emails:
        _check_kind(email.kind)
        check_headers(email.headers)
        rows.append(
            OutboxMessage(
                kind=email.kind,
                recipient=email.recipient,
                subject=email.subject[:255],
                body=email.body,
                html=email.html,
                ics=email.ics,
                ics_method=email.ics_method,
                headers=dict(email.headers),
                dedupe_key=email.dedupe_key,
                next_attempt_at=now,
                created_at=now,
            )
        )
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def outbox_message_id(message: OutboxMessage) -> str:
    """The message's Message-ID: derived from the row alone, so every attempt carries the same
    one, and a copy sent again after an interrupted delivery is recognisable as such.

    Its host is the site's (KNOWFLOW_BASE_URL), as in the calendar parts' UIDs."""
    host = urlsplit(settings.KNOWFLOW_BASE_URL).hostname or "knowflow"
    return f"<outbox-{message.pk}-{int(message.created_at.timestamp())}@{host}>"


# Delivery ---------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    interrupted: int = 0
    # Delivered, but the lease had ended and another worker had claimed the row (a copy).
    lost_lease: int = 0
    errors: list[str] = field(default_factory=list)


class _CalendarEmail(EmailMultiAlternatives):
    """An email whose text/calendar alternative carries its iTIP method in the Content-Type,
    which is where Outlook and Gmail look before they offer "add to calendar"."""

    ics_method = ""

    def _create_mime_attachment(self, content: object, mimetype: str) -> object:
        # django-stubs leaves out this private hook; Django 5.2's EmailMessage has it.
        part = super()._create_mime_attachment(content, mimetype)  # type: ignore[misc]
        if mimetype == "text/calendar" and self.ics_method:
            part.set_param("method", self.ics_method)
        return part


def _email(message: OutboxMessage) -> EmailMultiAlternatives:
    email = _CalendarEmail(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers={**(message.headers or {}), "Message-ID": outbox_message_id(message)},
    )
    if message.html:  # empty on rows written before emails had an HTML part
        email.attach_alternative(message.html, "text/html")
    if message.ics:
        email.ics_method = message.ics_method
        email.attach_alternative(message.ics, "text/calendar")
    return email


def sending_lease() -> timedelta:
    """How long a row may stay "sending" before its worker is taken for dead."""
    return timedelta(seconds=settings.KNOWFLOW_OUTBOX_LEASE_SECONDS)


INTERRUPTED = (
    "Delivery was interrupted: the worker sending this message stopped before recording the "
    "result (killed or crashed). The server may have accepted it; it is sent again with the "
    "same Message-ID."
)
INTERRUPTED_FINAL = (
    "Delivery was interrupted on every attempt: the worker sending this message stopped "
    "before recording the result (killed or crashed). The server may have accepted it; it is "
    "not sent again unless an admin queues it again (deliver_outbox --retry)."
)


class DeliveryTooSlow(Exception):
    """The delivery outlasted `KNOWFLOW_OUTBOX_DELIVERY_SECONDS` and was cut off."""


class _DeliveryDeadline:
    """Cuts the SMTP connection of a delivery that outlasts its limit.

    smtplib blocks in a socket read with only a per-step timeout; shutting the socket down
    from another thread is what makes that read return, so the sending thread gets an error
    it already knows how to handle and the worker is never held longer than the limit.
    """

    def __init__(self, mail: Any, seconds: float) -> None:
        self.mail, self.seconds = mail, seconds
        self.expired = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="outbox deadline", daemon=True)

    def __enter__(self) -> _DeliveryDeadline:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        if self._done.wait(self.seconds):
            return
        self.expired = True
        # While connecting there is no socket to cut yet (the connect and greeting have their
        # own timeout): look again until there is one or the delivery has ended.
        while not self._done.is_set():
            sock = getattr(getattr(self.mail, "connection", None), "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                return
            self._done.wait(0.05)


def _release_expired(*, now: datetime) -> int:
    """Put the rows of dead workers back in the queue, due at `now`; returns how many.

    The lease is compared with the wall clock, not with `now`: it is about how long a real
    worker has been silent. Each interruption counts as an attempt, so a message that kills
    its worker every time ends failed instead of taking workers down forever.
    """
    expired = OutboxMessage.objects.filter(
        status=OutboxMessage.Status.SENDING, claimed_at__lt=timezone.now() - sending_lease()
    )
    with transaction.atomic():
        failed = expired.filter(attempts__gte=MAX_ATTEMPTS - 1).update(
            status=OutboxMessage.Status.FAILED,
            attempts=F("attempts") + 1,
            claim_token="",
            last_error=INTERRUPTED_FINAL,
        )
        released = expired.update(
            status=OutboxMessage.Status.PENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now,
            claim_token="",
            last_error=INTERRUPTED,
        )
    return failed + released


def _claim_next(*, now: datetime) -> OutboxMessage | None:
    """Claim the next due row for this worker alone, or None when nothing is due."""
    with transaction.atomic():
        due = OutboxMessage.objects.filter(
            status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now
        ).order_by("next_attempt_at", "id")
        if db_connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        message = due.first()
        if message is None:
            return None
        message.status = OutboxMessage.Status.SENDING
        message.claim_token = uuid.uuid4().hex
        message.claimed_at = timezone.now()
        message.save(update_fields=["status", "claim_token", "claimed_at"])
    return message


def _is_permanent(error: Exception) -> bool:
    """A refusal that retrying cannot fix: every recipient rejected with a 5xx code."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return False


def _record_failure(message: OutboxMessage, error: Exception, *, now: datetime) -> str:
    attempts = message.attempts + 1
    text = f"{type(error).__name__}: {error}"[:2000]
    if attempts >= MAX_ATTEMPTS or _is_permanent(error):
        status, next_attempt = OutboxMessage.Status.FAILED, message.next_attempt_at
    else:
        status = OutboxMessage.Status.PENDING
        next_attempt = now + min(RETRY_BASE * 2 ** (attempts - 1), RETRY_MAX)
    OutboxMessage.objects.filter(pk=message.pk, claim_token=message.claim_token).update(
        status=status, attempts=attempts, next_attempt_at=next_attempt, last_error=text
    )
    return status


def outbox_deliver_due(
    *, now: datetime | None = None, limit: int = 50, stop: threading.Event | None = None
) -> DeliveryReport:
    """Send up to `limit` due emails; safe to run from any number of workers at once.

    First tells the domains a pass is starting (`signals.outbox_pass_starting`: events writes
    the reminders that have become due, so one loop drives both), and puts the messages of
    dead workers back in the queue. Once `stop` is set, the message in hand is
    finished and no other is claimed. See the module docstring for the claim / send / mark
    protocol and its at-least-once guarantee.
    """
    now = now or timezone.now()
    report = DeliveryReport()
    outbox_pass_starting.send(sender=OutboxMessage, now=now)
    report.interrupted = _release_expired(now=now)
    mail = None
    limit_seconds = settings.KNOWFLOW_OUTBOX_DELIVERY_SECONDS
    try:
        while report.sent + report.retrying + report.failed + report.lost_lease < limit:
            if stop is not None and stop.is_set():
                break
            message = _claim_next(now=now)
            if message is None:
                break
            opening = mail is None
            if mail is None:
                mail = get_connection(fail_silently=False)
            with _DeliveryDeadline(mail, limit_seconds) as deadline:
                try:
                    if opening:
                        mail.open()
                    mail.send_messages([_email(message)])
                except Exception as error:  # noqa: BLE001 - any failure is retried
                    failure: Exception | None = error
                else:
                    failure = None
            if failure is not None:
                if deadline.expired:
                    failure = DeliveryTooSlow(
                        f"the delivery took longer than {limit_seconds:g} s "
                        "(KNOWFLOW_OUTBOX_DELIVERY_SECONDS) and was cut off; the server may "
                        "have accepted it, and it is sent again with the same Message-ID."
                    )
                _count(report, _record_failure(message, failure, now=now), failure)
                if opening or deadline.expired:
                    # Server down or too slow: the next pass tries again; the other due
                    # messages were not tried, so they count no attempt.
                    with contextlib.suppress(Exception):
                        mail.close()
                    mail = None
                    break
                continue
            _mark_sent(message, report)
    finally:
        if mail is not None:
            mail.close()
    return report


def _mark_sent(message: OutboxMessage, report: DeliveryReport) -> None:
    """Record a delivery the server accepted; see the module docstring for a lost lease."""
    sent = {"status": OutboxMessage.Status.SENT, "sent_at": timezone.now(), "last_error": ""}
    rows = OutboxMessage.objects.filter(pk=message.pk, claim_token=message.claim_token)
    if rows.update(**sent):
        report.sent += 1
        return
    # Our claim was released as if we were dead. If no other worker holds the row, recording
    # the delivery is the truth and spares a copy (a failed row too: it was delivered).
    released = OutboxMessage.objects.filter(
        pk=message.pk,
        claim_token="",
        status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.FAILED],
    )
    if released.update(**sent):
        report.sent += 1
        logger.warning(
            "outbox message %s was delivered after its lease ended; recorded as sent. "
            "KNOWFLOW_OUTBOX_LEASE_SECONDS is too short for this mail server.",
            message.pk,
        )
        return
    report.lost_lease += 1
    logger.warning(
        "outbox message %s was delivered after its lease ended, and another worker had already "
        "taken it: it may arrive twice (same Message-ID). KNOWFLOW_OUTBOX_LEASE_SECONDS is too "
        "short for this mail server.",
        message.pk,
    )


def _count(report: DeliveryReport, status: str, error: Exception) -> None:
    if status == OutboxMessage.Status.FAILED:
        report.failed += 1
    else:
        report.retrying += 1
    report.errors.append(f"{type(error).__name__}: {error}")
    logger.warning("outbox delivery failed (%s): %s", status, error)


@transaction.atomic
def outbox_retry(*, message_ids: list[int], now: datetime | None = None) -> int:
    """Put failed messages back in the queue (an admin's decision, e.g. after a long outage).
    Returns how many were re-queued."""
    return OutboxMessage.objects.filter(
        pk__in=message_ids, status=OutboxMessage.Status.FAILED
    ).update(
        status=OutboxMessage.Status.PENDING,
        attempts=0,
        next_attempt_at=now or timezone.now(),
        claim_token="",
    )


def outbox_delivery_loop(
    *, interval: float | None = None, limit: int = 50, stop: threading.Event | None = None
) -> None:
    """Deliver due email until `stop` is set: the loop `knowflow worker` runs in a thread.

    Polling the outbox table (an indexed query on status and due time) keeps the table the
    only queue: no second queue to keep consistent with it. A full batch loops again at once;
    an error (database restarting, say) is logged and retried after `interval` (by default
    `KNOWFLOW_OUTBOX_INTERVAL_SECONDS`). Setting `stop` ends the loop after the message in
    hand.
    """
    interval = settings.KNOWFLOW_OUTBOX_INTERVAL_SECONDS if interval is None else interval
    stop = stop or threading.Event()
    while not stop.is_set():
        busy = False
        try:
            report = outbox_deliver_due(limit=limit, stop=stop)
            busy = report.sent + report.retrying + report.failed + report.lost_lease >= limit
        except Exception:
            logger.exception("outbox delivery loop: will try again in %s s", interval)
        finally:
            close_old_connections()
        if not busy:
            stop.wait(interval)
