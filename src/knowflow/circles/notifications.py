"""The emails circles write: a proposal's decision to its starter, the quiet prompt to champions.

Both go through the mail app's outbox inside the transaction of the change that causes them, so
a rolled-back change writes nothing. Their dedupe keys make a second write a no-op: one decision
email per decision, one quiet prompt per champion per quiet spell (keyed on the moment the
circle went dormant), however many workers run the periodic pass.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from knowflow.circles.models import Circle, Membership
from knowflow.mail.kinds import outbox_kind
from knowflow.mail.services import outbox_enqueue

DECISION = outbox_kind("circles.decision", "Circle proposal decided")
QUIET = outbox_kind("circles.quiet", "Circle gone quiet")


def circle_url(circle: Circle) -> str:
    return f"{settings.KNOWFLOW_BASE_URL}{reverse('circles:circle', args=[circle.slug])}"


def circle_decision_enqueue(*, circle: Circle) -> bool:
    """Tell the starter of a proposed circle that it was approved or declined (with the reason)."""
    starter = circle.proposed_by
    if starter is None or not starter.email:
        return False
    if circle.state == Circle.State.DECLINED:
        subject = f"Your circle “{circle.name}” was not approved"
        verdict = (
            "An enabler declined the circle you proposed. Their reason:\n\n"
            f"{circle.decline_reason}\n\n"
            "You can read it again on the circle's page:"
        )
    else:
        subject = f"Your circle “{circle.name}” is open"
        verdict = (
            "An enabler approved the circle you proposed: it is listed now, and you are its "
            "champion. Invite the first members and plan a first session:"
        )
    return outbox_enqueue(
        kind=DECISION,
        recipient=starter.email,
        subject=subject,
        body=f"Hello {starter.display_name},\n\n{verdict}\n{circle_url(circle)}\n",
        dedupe_key=f"circles.decision:{circle.pk}:{circle.state_changed_at:%Y%m%dT%H%M%S.%f}",
    )


def circle_quiet_prompt_enqueue(*, circle: Circle, quiet_days: int) -> int:
    """Ask the champions of a circle that went dormant what next: one email each per spell."""
    champions = (
        Membership.objects.filter(circle=circle, role=Membership.Role.CHAMPION)
        .exclude(person__email="")
        .select_related("person")
    )
    spell = f"{circle.state_changed_at:%Y%m%dT%H%M%S.%f}"
    queued = 0
    for membership in champions:
        person = membership.person
        queued += outbox_enqueue(
            kind=QUIET,
            recipient=person.email,
            subject=f"{circle.name} has gone quiet",
            body=(
                f"Hello {person.display_name},\n\n"
                f"Nothing has happened in {circle.name} for {quiet_days} days: no session held "
                "or planned, nobody joined, no resource added. It is now shown as dormant.\n\n"
                "Plan a session or share a resource to wake it up; or, if it has done its job, "
                "sunset it: its history and resources stay findable.\n"
                f"{circle_url(circle)}\n\n"
                "This is the only reminder for this quiet spell.\n"
            ),
            dedupe_key=f"circles.quiet:{circle.pk}:{person.pk}:{spell}",
        )
    return queued
