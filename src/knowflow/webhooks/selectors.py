"""Reading webhooks and their delivery logs, for admins only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from knowflow.accounts.models import Person
from knowflow.errors import Forbidden, NotFound
from knowflow.outbound.selectors import outbound_posts
from knowflow.webhooks.models import Webhook
from knowflow.webhooks.permissions import can_manage_webhooks

DELIVERY_LOG_LENGTH = 50


def _check_admin(viewer: Person) -> None:
    if not can_manage_webhooks(actor=viewer):
        raise Forbidden("Only admins manage webhooks.")


def webhook_list(*, viewer: Person) -> list[Webhook]:
    """Every webhook, oldest first, with who registered it (one query)."""
    _check_admin(viewer)
    return list(Webhook.objects.select_related("created_by"))


def webhook_get(*, id: int, viewer: Person) -> Webhook:  # noqa: A002 - the selectors' keyword
    _check_admin(viewer)
    webhook = Webhook.objects.select_related("created_by").filter(pk=id).first()
    if webhook is None:
        raise NotFound("There is no such webhook: it may have been deleted.")
    return webhook


@dataclass(frozen=True)
class Delivery:
    """One line of a webhook's delivery log."""

    id: int
    event: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None
    attempts: int
    response_code: int | None
    last_error: str
    duration_ms: int | None

    @property
    def can_redeliver(self) -> bool:
        return self.status in ("failed", "cancelled")

    @property
    def status_label(self) -> str:
        return {
            "pending": "Waiting" if self.attempts == 0 else "Will retry",
            "sending": "Sending",
            "sent": "Delivered",
            "failed": "Failed",
            "cancelled": "Dropped",
        }.get(self.status, self.status.capitalize())


def webhook_deliveries(
    *, webhook: Webhook, viewer: Person, limit: int = DELIVERY_LOG_LENGTH
) -> list[Delivery]:
    """The webhook's latest deliveries, newest first (one query)."""
    _check_admin(viewer)
    return [
        Delivery(
            id=post.pk,
            event=post.kind.removeprefix("webhooks."),
            status=post.status,
            created_at=post.created_at,
            sent_at=post.sent_at,
            next_attempt_at=post.next_attempt_at,
            attempts=post.attempts,
            response_code=post.response_code,
            last_error=post.last_error or "",
            duration_ms=post.duration_ms,
        )
        for post in outbound_posts(endpoint=webhook.endpoint, limit=limit)
    ]
