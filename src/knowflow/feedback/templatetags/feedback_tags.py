"""The feedback parts of other apps' pages: on the home page the surveys waiting for the
viewer (`{% feedback_pending_requests %}`), the retrospective actions they own
(`{% feedback_my_actions %}`), the sessions they gave (`{% feedback_sessions_given %}`) and, for
enablers, the programme's open actions (`{% feedback_programme_links %}`); on a session page
its results and retrospectives for those allowed (`{% feedback_session_links session %}`).

An inclusion tag so that the home page (another app's view) needs one line, not a change to
its view; each calls its selector once.
"""

from __future__ import annotations

from django import template
from django.utils import timezone

from knowflow.feedback import permissions
from knowflow.feedback.selectors import results as result_selectors
from knowflow.feedback.selectors.requests import pending_requests_count, pending_requests_for
from knowflow.feedback.selectors.retrospectives import open_actions_count, open_actions_owned_by
from knowflow.feedback.selectors.speakers import sessions_given_with_feedback

register = template.Library()


@register.filter
def standard_words(standard: str) -> str:
    """``{{ option.standard|standard_words }}``: "superior" → "Above the standard"."""
    return result_selectors.standard_words(standard)


@register.inclusion_tag("feedback/_home_requests.html", takes_context=True)
def feedback_pending_requests(context: template.Context) -> dict:
    viewer = context.get("viewer")
    if not viewer:
        return {"feedback_requests": [], "total": 0}
    shown = pending_requests_for(person=viewer)
    # Counted only when the list is full: the usual short list costs one query.
    total = len(shown) if len(shown) < 10 else pending_requests_count(person=viewer)
    return {"feedback_requests": shown, "total": total}


@register.inclusion_tag("feedback/_home_sessions_given.html", takes_context=True)
def feedback_sessions_given(context: template.Context) -> dict:
    viewer = context.get("viewer")
    return {"sessions": sessions_given_with_feedback(person=viewer) if viewer else []}


@register.inclusion_tag("feedback/_home_programme.html", takes_context=True)
def feedback_programme_links(context: template.Context) -> dict:
    viewer = context.get("viewer")
    if not viewer or not permissions.can_view_open_actions(actor=viewer):
        return {"show": False}
    return {"show": True, "open_actions": open_actions_count(viewer=viewer)}


@register.inclusion_tag("feedback/_session_links.html", takes_context=True)
def feedback_session_links(context: template.Context, session: object) -> dict:
    """Results and one retrospective per date that has ended, for the session's speakers and
    the enablers (feedback.permissions decides; the links' pages check again)."""
    viewer = context.get("viewer")
    if not viewer or not permissions.can_view_session_results(actor=viewer, session=session):
        return {"show": False}
    now = timezone.now()
    ended = [
        occurrence
        for occurrence in context.get("occurrences", [])
        if occurrence.end <= now and not occurrence.cancelled_at
    ]
    return {
        "show": True,
        "session": session,
        "ended": ended,
        "can_edit_retrospective": permissions.can_edit_retrospective(actor=viewer, session=session),
    }


@register.inclusion_tag("feedback/_home_actions.html", takes_context=True)
def feedback_my_actions(context: template.Context) -> dict:
    viewer = context.get("viewer")
    return {
        "my_actions": open_actions_owned_by(person=viewer) if viewer else [],
        "viewer": viewer,
        "back": context["request"].get_full_path() if "request" in context else "/",
        "csrf_token": context.get("csrf_token"),
    }
