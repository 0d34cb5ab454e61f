"""Who may start, manage, review, join and sunset circles (used by pages and the API alike)."""

from __future__ import annotations

from knowflow.accounts.models import Person
from knowflow.circles.models import Circle, Membership


def is_champion(*, person: Person, circle: Circle | None) -> bool:
    """Whether ``person`` champions ``circle`` (a session or resource with no circle has none)."""
    if circle is None:
        return False
    return Membership.objects.filter(
        circle=circle, person=person, role=Membership.Role.CHAMPION
    ).exists()


def can_create_circle(*, actor: Person) -> bool:
    """Any member may start a circle (with approval on, it waits for an enabler)."""
    return actor.deactivated_at is None


def can_manage_circle(*, actor: Person, circle: Circle) -> bool:
    """Edit the charter, name facilitators and champions, add and remove members."""
    return actor.is_enabler or is_champion(person=actor, circle=circle)


def can_review_circle(*, actor: Person) -> bool:
    """Approve or decline a proposed circle."""
    return actor.is_enabler


def can_see_circle(*, actor: Person, circle: Circle) -> bool:
    """Every listed circle is seen by everyone (invite-only ones too: their page says how to get
    in); a proposed or declined one by its starter and the enablers only."""
    return circle.is_listed or actor.is_enabler or circle.proposed_by_id == actor.pk


def can_join_circle(*, actor: Person, circle: Circle) -> bool:
    if not circle.is_listed or circle.state == Circle.State.SUNSET:
        return False
    return circle.visibility == Circle.Visibility.OPEN or can_manage_circle(
        actor=actor, circle=circle
    )
