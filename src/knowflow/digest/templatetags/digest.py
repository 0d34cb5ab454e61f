"""The digest panel of the profile page.

An inclusion tag rather than context from the profile view: `accounts` must not depend on
`digest` (the dependency runs the other way), so the panel reads its own row.
"""

from __future__ import annotations

from django import template

from knowflow.digest.selectors import digest_subscription_for

register = template.Library()


@register.inclusion_tag("digest/profile_panel.html", takes_context=True)
def digest_panel(context: template.Context) -> dict[str, object]:
    person = context.get("viewer")
    subscription = digest_subscription_for(person=person) if person is not None else None
    return {"subscription": subscription}
