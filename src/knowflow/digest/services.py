"""Changing a person's digest setting, the one-click unsubscribe, and the periodic job that
writes the digests that are due.

The job (`digest_enqueue_due`, run by `knowflow worker` every
`KNOWFLOW_DIGEST_INTERVAL_SECONDS`) is idempotent, so any number of workers may run it:

- who is due is one index range scan (`next_due_at <= now`); a person seen for the first time
  gets a row whose first digest is due at their next slot (08:00 local on their first working
  day);
- each person's period (the local ISO week, or the day for a daily digest) is remembered in
  `last_period` and named in the email's dedupe key, so a re-run, a second worker or a clock
  read twice never writes a second digest for the same period;
- a batch's emails and its rows' next due times are written in one transaction: a crash
  between batches loses nothing and repeats nothing.

A person whose zone or working hours changed since their row was written is due at the old
time once, then at the new one. An empty digest is never sent, but the period still counts as
composed (so "new since the last digest" does not reach back further and further).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.digest import schedule
from knowflow.digest.models import DigestSubscription
from knowflow.digest.notifications import digest_email, person_id_from_unsubscribe_token
from knowflow.digest.selectors import digests_for, person_zone_and_hours
from knowflow.errors import DomainError, Forbidden, NotFound
from knowflow.mail.services import Email, outbox_enqueue_many

BATCH_SIZE = 500
Frequency = DigestSubscription.Frequency


class InvalidUnsubscribeLink(DomainError):
    pass


def _active_people_q(prefix: str = "") -> Q:
    """People who may get a digest: not deactivated (`accounts.services.person_deactivate`),
    and not shut out of signing in either (a user switched off in the admin site)."""
    return Q(**{f"{prefix}deactivated_at__isnull": True}) & (
        Q(**{f"{prefix}user__is_active": True}) | Q(**{f"{prefix}user__isnull": True})
    )


def _next_due(person: Person, frequency: str, *, now: datetime) -> datetime | None:
    if frequency == Frequency.OFF:
        return None
    zone, hours = person_zone_and_hours(person)
    return schedule.next_slot(zone=zone, hours=hours, frequency=frequency, after=now)


def digest_frequency_set(
    *, person: Person, frequency: str, actor: Person, now: datetime | None = None
) -> DigestSubscription:
    """Set how often `person` gets the digest: weekly, daily (each working day) or off.

    Only the person themselves may change it. Turning it on again (or changing how often)
    makes the next one due at the next 08:00 slot; choosing the current setting changes
    nothing. Raises Forbidden for someone else, DomainError (field "frequency") for a value
    that is not a choice.
    """
    if actor.pk != person.pk:
        raise Forbidden("Only the person themselves can change their digest.")
    if frequency not in Frequency.values:
        raise DomainError(
            "Choose weekly, every working day or off.",
            field="frequency",
        )
    now = now or timezone.now()
    with transaction.atomic():
        subscription, created = DigestSubscription.objects.select_for_update().get_or_create(
            person=person,
            defaults={"frequency": frequency, "next_due_at": _next_due(person, frequency, now=now)},
        )
        if not created and subscription.frequency != frequency:
            subscription.frequency = frequency
            subscription.next_due_at = _next_due(person, frequency, now=now)
            subscription.save(update_fields=["frequency", "next_due_at", "updated_at"])
    return subscription


def digest_unsubscribe(*, token: str) -> DigestSubscription:
    """The one-click unsubscribe (RFC 8058): turn off the digest of the person the signed
    token names, and change nothing else. No sign-in: the token is the proof. A token this
    site did not sign is refused (InvalidUnsubscribeLink) and nothing changes; a second
    unsubscribe is harmless.
    """
    person_id = person_id_from_unsubscribe_token(token)
    if person_id is None:
        raise InvalidUnsubscribeLink(
            "This unsubscribe link is not valid: it may have been cut short when it was copied. "
            "Use the link in the email, or turn the digest off on your profile."
        )
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise NotFound("This unsubscribe link names a person who is no longer here.")
    with transaction.atomic():
        subscription, _ = DigestSubscription.objects.select_for_update().get_or_create(
            person=person, defaults={"frequency": Frequency.OFF}
        )
        if subscription.frequency != Frequency.OFF:
            subscription.frequency = Frequency.OFF
            subscription.next_due_at = None
            subscription.save(update_fields=["frequency", "next_due_at", "updated_at"])
    return subscription


@dataclass
class DigestRun:
    composed: int = 0  # digests composed (sent or empty)
    sent: int = 0  # emails handed to the outbox
    empty: int = 0  # composed but empty: not sent
    batches: int = 0


def _subscriptions_create_missing(*, now: datetime) -> None:
    """A row for each active person who has none yet (weekly, the default), due at their next
    slot: a new person, or every person on the day the digest is deployed, gets a first digest
    on their next first working day at 08:00, not at once (no burst of email mid-week)."""
    missing = (
        Person.objects.filter(_active_people_q(), digest_subscription__isnull=True)
        .only("id", "timezone", "working_hours")
        .order_by("id")
    )
    rows = []
    for person in missing.iterator(chunk_size=2000):
        zone, hours = person_zone_and_hours(person)
        rows.append(
            DigestSubscription(
                person=person,
                frequency=Frequency.WEEKLY,
                next_due_at=schedule.next_slot(
                    zone=zone, hours=hours, frequency=schedule.WEEKLY, after=now
                ),
            )
        )
    # ignore_conflicts: a person whose row another worker (or the profile) wrote meanwhile.
    DigestSubscription.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


def _due_batch(*, now: datetime, batch_size: int) -> list[DigestSubscription]:
    return list(
        DigestSubscription.objects.filter(next_due_at__lte=now)
        .exclude(frequency=Frequency.OFF)
        .filter(_active_people_q("person__"))
        .select_related("person")
        .order_by("next_due_at", "person_id")[:batch_size]
    )


def digest_compose_batch(*, subscriptions: list[DigestSubscription], now: datetime) -> DigestRun:
    """Compose and queue the digests of one batch of due people, in one transaction, with a
    fixed number of queries; every row's next due time moves past `now`."""
    run = DigestRun(batches=1)
    due: list[tuple[DigestSubscription, str]] = []
    zones: dict[int, ZoneInfo] = {}
    since: dict[int, datetime] = {}
    for subscription in subscriptions:
        person = subscription.person
        zone, hours = person_zone_and_hours(person)
        frequency = subscription.frequency
        slot = schedule.latest_slot(zone=zone, hours=hours, frequency=frequency, at=now)
        period = schedule.period_of(slot=slot, zone=zone, frequency=frequency)
        subscription.next_due_at = schedule.next_slot(
            zone=zone, hours=hours, frequency=frequency, after=now
        )
        if period == subscription.last_period:
            continue  # composed already (a moved zone, a second worker)
        length = schedule.period_length(frequency)
        last = subscription.last_composed_at
        # New since the last digest; after a long gap (a digest turned on again after
        # months), just the last period's news rather than everything since.
        since[person.pk] = last if last and last > now - 4 * length else now - length
        zones[person.pk] = zone
        due.append((subscription, period))

    digests = digests_for(people=[s.person for s, _ in due], since=since, now=now)
    emails: list[Email] = []
    for (subscription, period), digest in zip(due, digests, strict=True):
        subscription.last_period = period
        subscription.last_composed_at = now
        run.composed += 1
        if digest.is_empty or not subscription.person.email:
            run.empty += 1
            continue
        subscription.last_sent_at = now
        emails.append(
            digest_email(
                digest,
                zone=zones[subscription.person_id],
                period=period,
                weekly=subscription.frequency == Frequency.WEEKLY,
            )
        )
    with transaction.atomic():
        if emails:
            outbox_enqueue_many(emails=emails, now=now)
        # One upsert rather than bulk_update, whose CASE per row took Django longer to build
        # than composing the digests; `frequency` is left alone, so a person who turned the
        # digest off meanwhile stays off.
        DigestSubscription.objects.bulk_create(
            subscriptions,
            update_conflicts=True,
            unique_fields=["person"],
            update_fields=[
                "next_due_at",
                "last_period",
                "last_composed_at",
                "last_sent_at",
                "updated_at",
            ],
        )
    run.sent = len(emails)
    return run


def digest_enqueue_due(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> DigestRun:
    """Write the digests that are due (08:00 local on the person's first working day, or on
    each working day for a daily digest), a batch of `batch_size` people at a time.

    Returns what it did. Safe to run as often as one likes and by several workers at once:
    see the module docstring.
    """
    now = now or timezone.now()
    _subscriptions_create_missing(now=now)
    total = DigestRun()
    while True:
        batch = _due_batch(now=now, batch_size=batch_size)
        if not batch:
            return total
        run = digest_compose_batch(subscriptions=batch, now=now)
        total.composed += run.composed
        total.sent += run.sent
        total.empty += run.empty
        total.batches += 1
