"""Who may create, manage and join circles (used by pages and the API alike)."""

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
    return actor.is_enabler


def can_manage_circle(*, actor: Person, circle: Circle) -> bool:
    return actor.is_enabler or is_champion(person=actor, circle=circle)


def can_join_circle(*, actor: Person, circle: Circle) -> bool:
    return circle.visibility == Circle.Visibility.OPEN or can_manage_circle(
        actor=actor, circle=circle
    )
