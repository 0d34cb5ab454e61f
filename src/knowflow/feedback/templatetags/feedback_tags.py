"""`{% feedback_pending_requests %}` and `{% feedback_my_actions %}`: the surveys waiting for
the viewer and the retrospective actions they own, on the home page.

An inclusion tag so that the home page (another app's view) needs one line, not a change to
its view; each calls its selector once.
"""

from __future__ import annotations

from django import template

from knowflow.feedback.selectors import open_actions_owned_by, pending_requests_for

register = template.Library()


@register.inclusion_tag("feedback/_home_requests.html", takes_context=True)
def feedback_pending_requests(context: template.Context) -> dict:
    viewer = context.get("viewer")
    return {"feedback_requests": pending_requests_for(person=viewer) if viewer else []}


@register.inclusion_tag("feedback/_home_actions.html", takes_context=True)
def feedback_my_actions(context: template.Context) -> dict:
    viewer = context.get("viewer")
    return {
        "my_actions": open_actions_owned_by(person=viewer) if viewer else [],
        "viewer": viewer,
        "back": context["request"].get_full_path() if "request" in context else "/",
        "csrf_token": context.get("csrf_token"),
    }
