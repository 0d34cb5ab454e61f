"""Template helpers for the library: where a search result leads, stale resources to review."""

from __future__ import annotations

from django import template

from knowflow.library.search.engine import SearchHit
from knowflow.library.selectors import format_label as _format_label
from knowflow.library.selectors import hit_url as _hit_url
from knowflow.library.selectors import stale_resources_of

register = template.Library()


@register.filter
def hit_url(hit: SearchHit) -> str:
    return _hit_url(hit)


@register.filter
def format_label(code: str) -> str:
    return _format_label(code)


@register.inclusion_tag("library/_stale.html", takes_context=True)
def stale_resources_to_review(context: template.Context) -> dict:
    """The viewer's resources due for a review, with a confirm button (for the home page)."""
    viewer = context.get("viewer")
    return {
        "stale": stale_resources_of(owner=viewer, limit=10) if viewer else [],
        "csrf_token": context.get("csrf_token"),
    }
