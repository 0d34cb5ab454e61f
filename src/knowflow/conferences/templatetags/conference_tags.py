"""Conference parts of pages whose views are not the report's: the link to a conference's
follow-up report (`{% conference_report_link slug %}`) for those who may read it, so that the
programme page needs one line, not a change to its view."""

from __future__ import annotations

from django import template

from knowflow.conferences.permissions import can_read_report

register = template.Library()


@register.inclusion_tag("conferences/_report_link.html", takes_context=True)
def conference_report_link(context: template.Context, slug: str) -> dict:
    viewer = context.get("viewer")
    return {"show": viewer is not None and can_read_report(actor=viewer), "slug": slug}


@register.inclusion_tag("conferences/_home_todo.html", takes_context=True)
def conference_todo(context: template.Context) -> dict:
    """On home: proposals to review, co-speaker requests to answer and drafts to submit."""
    from knowflow.conferences.proposals import conference_todos

    viewer = context.get("viewer")
    return {"todos": conference_todos(person=viewer) if viewer is not None else []}
