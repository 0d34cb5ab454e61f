"""Reads for the learning record store's delivery log page (admins).

What each statement says about whom is not shown: the log lists the verb, the activity's name,
the delivery status, the LRS's response code and the last error. A statement naming someone who
asked to record that they applied a session stays between them and the LRS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count

from knowflow.accounts.models import Person
from knowflow.errors import Forbidden
from knowflow.outbound.models import OutboundPost
from knowflow.outbound.selectors import outbound_posts
from knowflow.xapi.permissions import can_see_lrs_log
from knowflow.xapi.services import ENDPOINT

VERBS = {"attended": "Attended", "completed": "Completed", "answered": "Applied (answered)"}


@dataclass(frozen=True)
class Delivery:
    created_at: datetime
    what: str
    activity: str
    status: str
    response_code: int | None
    attempts: int
    last_error: str


@dataclass(frozen=True)
class LrsLog:
    configured: bool
    lrs: str  # scheme, host and path: the URL holds no secret (settings refuse one)
    counts: dict[str, int]
    deliveries: list[Delivery]


def _describe(body: str) -> tuple[str, str]:
    try:
        statement = json.loads(body)
        verb = statement["verb"]["id"].rsplit("/", 1)[-1]
        names = statement["object"].get("definition", {}).get("name", {})
        return VERBS.get(verb, verb), next(iter(names.values()), statement["object"]["id"])
    except (ValueError, KeyError, TypeError, AttributeError, StopIteration):
        return "Statement", ""


def lrs_log(*, viewer: Person, limit: int = 50) -> LrsLog:
    """The LRS's address, how many statements are in each state, and the newest deliveries."""
    if not can_see_lrs_log(actor=viewer):
        raise Forbidden("The learning record store's delivery log is for admins.")
    endpoint = getattr(settings, "KNOWFLOW_XAPI_ENDPOINT", "")
    parts = urlsplit(endpoint)
    counts = {
        row["status"]: row["n"]
        for row in OutboundPost.objects.filter(endpoint=ENDPOINT)
        .values("status")
        .annotate(n=Count("id"))
    }
    deliveries = []
    for post in outbound_posts(endpoint=ENDPOINT, limit=limit):
        what, activity = _describe(post.body)
        deliveries.append(
            Delivery(
                created_at=post.created_at,
                what=what,
                activity=activity,
                status=post.get_status_display(),
                response_code=post.response_code,
                attempts=post.attempts,
                last_error=post.last_error,
            )
        )
    return LrsLog(
        configured=bool(endpoint),
        lrs=f"{parts.scheme}://{parts.netloc}{parts.path}" if endpoint else "",
        counts={status.label: counts.get(status.value, 0) for status in OutboundPost.Status},
        deliveries=deliveries,
    )
