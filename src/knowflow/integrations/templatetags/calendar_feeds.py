"""The calendar feed panel of the profile page.

An inclusion tag rather than context from the profile view: `accounts` must not depend on
`integrations` (the dependency runs the other way), so the panel fetches its own two rows.
"""

from __future__ import annotations

from django import template

from knowflow.circles.models import Circle
from knowflow.integrations import selectors

register = template.Library()


@register.inclusion_tag("integrations/feed_panel.html", takes_context=True)
def calendar_feed_panel(context: template.Context) -> dict[str, object]:
    person = context.get("viewer")
    token = selectors.feed_token_for(person=person) if person is not None else None
    circles: list[dict[str, object]] = []
    if token is not None:
        circles = [
            {"circle": circle, "urls": selectors.feed_urls(token=token, circle=circle)}
            for circle in Circle.objects.filter(memberships__person=person).order_by("name")
        ]
    return {
        "token": token,
        "urls": selectors.feed_urls(token=token) if token is not None else None,
        "circles": circles,
        "csrf_token": context.get("csrf_token"),
    }
