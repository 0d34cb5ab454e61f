"""The links to a conference's review on pages whose views are not the review's: for the
organisers, the review pages; for a reviewer with proposals to score, their own list
(`{% conference_review_link slug %}`), so a page needs one line, not a change to its view."""

from __future__ import annotations

from django import template

from knowflow.conferences.models import Review, ReviewAssignment
from knowflow.conferences.permissions import can_manage_conferences
from knowflow.conferences.review import REVIEWED

register = template.Library()


@register.inclusion_tag("conferences/_review_link.html", takes_context=True)
def conference_review_link(context: template.Context, slug: str) -> dict:
    viewer = context.get("viewer")
    if viewer is None or not viewer.is_active:
        return {"show": False}
    assigned = list(
        ReviewAssignment.objects.filter(
            reviewer=viewer, proposal__conference__slug=slug, proposal__state__in=REVIEWED
        ).values_list("proposal_id", flat=True)
    )
    done = (
        Review.objects.filter(reviewer=viewer, proposal_id__in=assigned).count() if assigned else 0
    )
    return {
        "show": True,
        "slug": slug,
        "manages": can_manage_conferences(actor=viewer),
        "assigned": len(assigned),
        "to_do": len(assigned) - done,
    }
