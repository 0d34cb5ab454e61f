"""Where and how a queued delivery is sent: the outbound worker asks ``resolve_webhook`` at send
time (registered for the ``webhook:`` endpoints in ``apps.py``).

Resolving at send time, rather than when the event happens, means the queue rows hold no
secret, a rotated secret signs every later attempt, an edited address receives what was still
queued, and a webhook turned off or deleted gets nothing more (None drops the delivery).
"""

from __future__ import annotations

import json
from datetime import datetime

from django.utils import timezone

from knowflow import sealing
from knowflow.outbound.services import Target
from knowflow.webhooks.models import Webhook
from knowflow.webhooks.signing import signature


class SecretUnreadable(Exception):
    """The webhook's sealed secret cannot be opened with the configured keys."""


def resolve_webhook(endpoint_id: str, body: str, now: datetime) -> Target | None:
    """The address and headers of one attempt to deliver ``body``; None when the webhook was
    deleted or turned off."""
    if not endpoint_id.isdigit():
        return None
    webhook = Webhook.objects.filter(pk=int(endpoint_id), active=True).first()
    if webhook is None or not webhook.has_secret:
        # Deleted, turned off, or imported without its secret (the organisation export leaves
        # it out): nothing may be sent unsigned.
        return None
    try:
        envelope = json.loads(body)
        delivery, event = str(envelope["id"]), str(envelope["type"])
    except (ValueError, KeyError, TypeError):
        delivery, event = "", ""
    # Signed when it leaves: a pass that started a while ago (other posts took their time)
    # must not send a timestamp that a receiver's five-minute window already refuses.
    timestamp = int(max(now, timezone.now()).timestamp())
    try:
        secret = sealing.unseal(webhook.secret_sealed)
    except sealing.Unreadable as error:
        # The attempt fails and is retried (the log shows why) rather than being sent unsigned.
        raise SecretUnreadable(
            "The signing secret can no longer be read (the sealing keys changed): make a new "
            "secret on the webhook's page."
        ) from error
    return Target(
        url=webhook.url,
        headers={
            "Knowflow-Webhook-Id": str(webhook.pk),
            "Knowflow-Delivery": delivery,
            "Knowflow-Event": event,
            "Knowflow-Timestamp": str(timestamp),
            "Knowflow-Signature": signature(secret=secret, timestamp=timestamp, body=body),
        },
    )
