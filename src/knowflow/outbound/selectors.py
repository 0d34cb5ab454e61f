"""Reads of the outbound queue: an endpoint's delivery log."""

from __future__ import annotations

from knowflow.errors import NotFound
from knowflow.outbound.models import OutboundPost


def outbound_posts(*, endpoint: str, limit: int = 100) -> list[OutboundPost]:
    """The newest posts to one endpoint ("webhook:12"), whatever their state."""
    return list(
        OutboundPost.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")[:limit]
    )


def outbound_post_get(*, id: int, endpoint: str) -> OutboundPost:
    """One post of one endpoint's log (a post of another endpoint is not found)."""
    post = OutboundPost.objects.filter(pk=id, endpoint=endpoint).first()
    if post is None:
        raise NotFound("There is no such delivery.")
    return post
