"""The emails the library writes: the weekly reminder to review stale resources.

They go through the mail app's outbox (`knowflow.mail.services.outbox_enqueue`); the dedupe
key makes the hourly worker pass write one email per owner per week.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from knowflow.library.models import Resource
from knowflow.library.selectors import stale_cutoff
from knowflow.mail.kinds import outbox_kind
from knowflow.mail.services import outbox_enqueue

# The kind of email this app writes (`knowflow.mail.kinds`), with the words people read.
REVIEW_REMINDER = outbox_kind("library.review_reminder", "Resource review")


def library_review_reminders_enqueue(*, today: date | None = None, per_owner: int = 20) -> int:
    """Ask each owner of resources due for a review to confirm them: one email a week at most.

    The email lists up to ``per_owner`` of their oldest-reviewed resources with the page where
    "Confirm still accurate" is one click. Idempotent: the dedupe key names the owner and the
    ISO week, so the hourly worker pass writes one email per owner per week while anything is
    still stale, and none once everything is confirmed. Returns the number of emails queued.
    """
    today = today or timezone.localdate()
    cutoff = stale_cutoff(today=today)
    stale = (
        Resource.objects.filter(owner__isnull=False)
        .exclude(owner__email="")
        .filter(
            Q(last_reviewed_on__lt=cutoff)
            | Q(last_reviewed_on__isnull=True, created_at__date__lt=cutoff)
        )
        .select_related("owner")
        .order_by("owner_id", "last_reviewed_on", "id")
    )
    year, week, _ = today.isocalendar()
    base = settings.KNOWFLOW_BASE_URL
    by_owner: dict[int, list[Resource]] = {}
    for resource in stale.iterator(chunk_size=2000):
        by_owner.setdefault(resource.owner_id, []).append(resource)
    queued = 0
    for resources in by_owner.values():
        owner = resources[0].owner
        lines = [
            f"- {r.title}: {base}/library/{r.slug}/ (last reviewed "
            f"{(r.last_reviewed_on or r.created_at.date()).isoformat()})"
            for r in resources[:per_owner]
        ]
        more = len(resources) - per_owner
        if more > 0:
            lines.append(f"… and {more} more on {base}/library/")
        with transaction.atomic():
            queued += outbox_enqueue(
                kind=REVIEW_REMINDER,
                recipient=owner.email,
                subject=f"Still accurate? {len(resources)} of your resources are due for a review",
                body=(
                    f"Hello {owner.display_name},\n\n"
                    "These resources you own have not been reviewed for a while. Open each one "
                    "and choose “Confirm still accurate”, or update it:\n\n"
                    + "\n".join(lines)
                    + "\n"
                ),
                dedupe_key=f"review:{owner.pk}:{year}-W{week:02d}",
            )
    return queued
