"""`{% feedback_pending_requests %}`: the surveys waiting for the viewer, on the home page.

An inclusion tag so that the home page (another app's view) needs one line, not a change to
its view; it calls the selector once.
"""

from __future__ import annotations

from django import template

from knowflow.feedback.selectors import pending_requests_for

register = template.Library()


@register.inclusion_tag("feedback/_home_requests.html", takes_context=True)
def feedback_pending_requests(context: template.Context) -> dict:
    viewer = context.get("viewer")
    return {"feedback_requests": pending_requests_for(person=viewer) if viewer else []}
