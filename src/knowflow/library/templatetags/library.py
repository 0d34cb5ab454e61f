"""Template helpers for the library: where a search result leads, stale resources to review."""

from __future__ import annotations

from django import template

from knowflow.library.selectors import (
    collections_with_session,
    recording_watch_for,
    resources_of_session,
    stale_resources_of,
)
from knowflow.library.selectors import format_label as _format_label
from knowflow.library.selectors import hit_url as _hit_url
from knowflow.search.engine import SearchHit

register = template.Library()


@register.filter
def hit_url(hit: SearchHit) -> str:
    return _hit_url(hit)


@register.filter
def format_label(code: str) -> str:
    return _format_label(code)


@register.inclusion_tag("library/_session_resources.html", takes_context=True)
def session_resources(context: template.Context, session: object) -> dict:
    """A session's recording, slides and other resources, the collections that hold it, and
    "Add a resource" for it (the session page is in ``events``, which must not know the
    library)."""
    viewer = context.get("viewer")
    return {
        "resources": resources_of_session(session_id=session.pk)  # type: ignore[attr-defined]
        if viewer
        else [],
        "collections": collections_with_session(viewer=viewer, session_id=session.pk)  # type: ignore[attr-defined]
        if viewer
        else [],
        "session": session,
        "viewer": viewer,
    }


@register.inclusion_tag("library/_stale.html", takes_context=True)
def stale_resources_to_review(context: template.Context) -> dict:
    """The viewer's resources due for a review, with a confirm button (for the home page)."""
    viewer = context.get("viewer")
    return {
        "stale": stale_resources_of(owner=viewer, limit=10) if viewer else [],
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("library/_recording_watch.html", takes_context=True)
def recording_watch_block(context: template.Context, session_id: int) -> dict:
    """ "I watched the recording" on a session page, for a session given and recorded (the
    session page, in the events app, does not know the library)."""
    viewer = context.get("viewer")
    watch = recording_watch_for(session_id=session_id, viewer=viewer) if viewer else None
    return {"watch": watch, "session_id": session_id, "csrf_token": context.get("csrf_token")}
