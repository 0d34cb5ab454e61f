"""Every change to webhooks, and the deliveries queued for them.

Admins register, edit, turn off and on, delete webhooks, rotate a webhook's secret, ping it and
redeliver a failed delivery. Domain events become deliveries in ``webhook_deliveries_enqueue``,
called by the receivers in ``webhooks/signals.py`` inside the transaction of the change, so a
change that rolls back sends nothing. Deliveries are rows of the outbound queue
(``knowflow.outbound``): sent by the worker at least once, with back-off; the secret is never
copied into them, it is unsealed and used to sign at send time (``webhooks/delivery.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from knowflow import sealing
from knowflow.accounts.models import Person
from knowflow.errors import Conflict, DomainError, Forbidden
from knowflow.links import check_web_url
from knowflow.outbound.selectors import outbound_post_get
from knowflow.outbound.services import Post, outbound_enqueue_many, outbound_retry
from knowflow.webhooks import payloads
from knowflow.webhooks.catalogue import EVENTS, PING
from knowflow.webhooks.models import Webhook
from knowflow.webhooks.permissions import can_manage_webhooks

SECRET_PREFIX = "kfwh_"
URL_MAX_LENGTH = 500
DESCRIPTION_MAX_LENGTH = 200


class InvalidWebhook(DomainError):
    """A webhook that cannot be saved as given; the message names the field."""


def _check_admin(actor: Person) -> None:
    if not can_manage_webhooks(actor=actor):
        raise Forbidden("Only admins manage webhooks.")


def allows_plain_http() -> bool:
    """Plain http:// addresses are refused unless KNOWFLOW_WEBHOOKS_ALLOW_HTTP is on (it is by
    default when KNOWFLOW_DEBUG is): deliveries carry people's names and emails, and their
    signature proves who sent them, not that nobody else read them on the way."""
    return bool(getattr(settings, "KNOWFLOW_WEBHOOKS_ALLOW_HTTP", settings.DEBUG))


def _clean_url(url: str) -> str:
    url = check_web_url(url, field="url", label="The payload URL")
    if not url:
        raise InvalidWebhook("Enter the payload URL the deliveries are sent to.", field="url")
    if len(url) > URL_MAX_LENGTH:
        raise InvalidWebhook(
            f"The payload URL is too long: at most {URL_MAX_LENGTH} characters.", field="url"
        )
    if urlsplit(url).scheme.lower() != "https" and not allows_plain_http():
        raise InvalidWebhook(
            "The payload URL must start with https:// so that nobody can read the deliveries "
            "on the way.",
            field="url",
        )
    return url


def _clean_events(events: Iterable[str]) -> list[str]:
    chosen = set(events)
    unknown = sorted(chosen - set(EVENTS))
    if unknown:
        raise InvalidWebhook(
            f"There is no event called {', '.join(unknown)}. Choose from the list.",
            field="events",
        )
    if not chosen:
        raise InvalidWebhook("Choose at least one event to send.", field="events")
    return [name for name in EVENTS if name in chosen]  # the catalogue's order


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise InvalidWebhook(
            f"The description is too long: at most {DESCRIPTION_MAX_LENGTH} characters.",
            field="description",
        )
    return description


def webhook_create(
    *, actor: Person, url: str, description: str, events: Iterable[str]
) -> tuple[Webhook, str]:
    """Register a webhook (admins only). Returns it and its signing secret, which is stored
    sealed and never shown again: the caller shows it once."""
    _check_admin(actor)
    url, description, chosen = (
        _clean_url(url),
        _clean_description(description),
        _clean_events(events),
    )
    secret = sealing.new_secret(SECRET_PREFIX)
    webhook = Webhook.objects.create(
        url=url,
        description=description,
        events=chosen,
        secret_sealed=sealing.seal(secret),
        created_by=actor,
    )
    return webhook, secret


def webhook_update(
    *, webhook: Webhook, actor: Person, url: str, description: str, events: Iterable[str]
) -> Webhook:
    """Change a webhook's address, description or events (admins only). Deliveries already
    queued go to the new address: the address is read when each is sent."""
    _check_admin(actor)
    webhook.url = _clean_url(url)
    webhook.description = _clean_description(description)
    webhook.events = _clean_events(events)
    webhook.save(update_fields=["url", "description", "events", "updated_at"])
    return webhook


def webhook_set_active(*, webhook: Webhook, actor: Person, active: bool) -> Webhook:
    """Turn a webhook off (nothing more is queued for it, and what is queued is dropped when
    its turn comes) or on again (admins only)."""
    _check_admin(actor)
    webhook.active = active
    webhook.save(update_fields=["active", "updated_at"])
    return webhook


def webhook_delete(*, webhook: Webhook, actor: Person) -> None:
    """Delete a webhook (admins only). Its queued deliveries are dropped when their turn
    comes; its delivery log stays in the outbound queue's history until that is pruned."""
    _check_admin(actor)
    webhook.delete()


def webhook_rotate_secret(*, webhook: Webhook, actor: Person) -> str:
    """A new signing secret for the webhook (admins only), returned to be shown once. The old
    one stops at once: every delivery from now on, retries of earlier ones included, is signed
    with the new one, since signing happens at send time."""
    _check_admin(actor)
    secret = sealing.new_secret(SECRET_PREFIX)
    webhook.secret_sealed = sealing.seal(secret)
    webhook.secret_rotated_at = timezone.now()
    webhook.save(update_fields=["secret_sealed", "secret_rotated_at", "updated_at"])
    return secret


def _post(*, webhook_id: int, event: str, body: str, dedupe_key: str) -> Post:
    return Post(
        kind=f"webhooks.{event}",
        endpoint=f"webhook:{webhook_id}",
        body=body,
        dedupe_key=dedupe_key,
    )


def webhook_ping(*, webhook: Webhook, actor: Person) -> None:
    """Queue a ``ping`` delivery to this webhook alone (admins only), to test the receiver and
    its signature check. Refused while the webhook is off: it would be dropped unsent."""
    _check_admin(actor)
    if not webhook.active:
        raise Conflict("This webhook is off. Turn it on before sending a ping.")
    if not webhook.has_secret:
        raise Conflict("This webhook has no signing secret. Make a new one before sending a ping.")
    body = payloads.envelope(
        event=PING, data=payloads.ping(webhook_id=webhook.pk), now=timezone.now()
    )
    outbound_enqueue_many(
        [
            _post(
                webhook_id=webhook.pk,
                event=PING,
                body=body,
                dedupe_key=f"webhooks:{webhook.pk}:ping:{uuid.uuid4()}",
            )
        ]
    )


def webhook_redeliver(*, webhook: Webhook, actor: Person, post_id: int) -> None:
    """Queue a failed (or dropped) delivery of this webhook again (admins only): the same row
    and body, so the same envelope id, and a receiver that did get it after all can tell it is
    a copy. The new attempts are signed with the current secret and timestamp."""
    _check_admin(actor)
    if not webhook.active:
        raise Conflict("This webhook is off. Turn it on before sending a delivery again.")
    post = outbound_post_get(id=post_id, endpoint=webhook.endpoint)
    if post.status not in ("failed", "cancelled"):
        raise Conflict("Only a failed delivery can be sent again; this one is not failed.")
    outbound_retry(post_ids=[post.pk])


def webhook_deliveries_enqueue(
    *, event: str, subject: str, build: Callable[[], payloads.JSON], now: datetime | None = None
) -> int:
    """Queue one delivery of ``event`` for each active webhook subscribed to it; how many.

    ``subject`` names this occurrence of the event (``"12"`` for session 12, ``"12:3"`` for
    the third version of date 12): with the webhook it is the delivery's dedupe key, so the
    same change signalled twice is delivered once. ``build`` makes the ``data`` only when some
    webhook wants it. Called inside the transaction of the change, by the signal receivers."""
    subscribed = [
        hook.pk
        for hook in Webhook.objects.filter(active=True).only("pk", "events")
        if event in hook.events
    ]
    if not subscribed:
        return 0
    data = build()
    now = now or timezone.now()
    return outbound_enqueue_many(
        _post(
            webhook_id=hook_id,
            event=event,
            body=payloads.envelope(event=event, data=data, now=now),
            dedupe_key=f"webhooks:{hook_id}:{event}:{subject}",
        )
        for hook_id in subscribed
    )
