"""Creating circles, and people joining and leaving them."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from knowflow.accounts.models import Person
from knowflow.accounts.services import unique_slug
from knowflow.circles.models import Circle, Membership
from knowflow.circles.permissions import can_create_circle, can_join_circle, can_manage_circle
from knowflow.circles.search import CIRCLE
from knowflow.errors import Conflict, DomainError, Forbidden
from knowflow.search.index import index_write
from knowflow.topics.models import Topic


def _check_visibility(visibility: str) -> str:
    if visibility not in Circle.Visibility.values:
        raise DomainError("Visibility must be 'open' or 'invite_only'.", field="visibility")
    return visibility


@transaction.atomic
def circle_create(
    *,
    actor: Person,
    name: str,
    mission: str = "",
    visibility: str = Circle.Visibility.OPEN,
    topics: Iterable[Topic] = (),
    champions: Iterable[Person] = (),
) -> Circle:
    """Create a circle (enablers only); its champions become members with that role."""
    if not can_create_circle(actor=actor):
        raise Forbidden("Only enablers create circles.")
    name = name.strip()
    if not name:
        raise DomainError("A circle needs a name.", field="name")
    if Circle.objects.filter(name__iexact=name).exists():
        raise Conflict(f"There is already a circle called {name}.", field="name")
    circle = Circle.objects.create(
        name=name,
        slug=unique_slug(Circle, name),
        mission=mission,
        visibility=_check_visibility(visibility),
    )
    circle.topics.set(topics)
    for champion in champions:
        Membership.objects.create(circle=circle, person=champion, role=Membership.Role.CHAMPION)
    index_write(kind=CIRCLE, object_ids=[circle.pk])
    return circle


@transaction.atomic
def circle_update(
    *,
    circle: Circle,
    actor: Person,
    name: str | None = None,
    mission: str | None = None,
    visibility: str | None = None,
    topics: Iterable[Topic] | None = None,
) -> Circle:
    if not can_manage_circle(actor=actor, circle=circle):
        raise Forbidden("Only the circle's champions and enablers can edit it.")
    if name is not None:
        name = name.strip()
        if not name:
            raise DomainError("A circle needs a name.", field="name")
        if Circle.objects.filter(name__iexact=name).exclude(pk=circle.pk).exists():
            raise Conflict(f"There is already a circle called {name}.", field="name")
        circle.name = name
    if mission is not None:
        circle.mission = mission
    if visibility is not None:
        circle.visibility = _check_visibility(visibility)
    circle.save()
    if topics is not None:
        circle.topics.set(topics)
    index_write(kind=CIRCLE, object_ids=[circle.pk])
    return circle


@transaction.atomic
def circle_join(*, circle: Circle, person: Person, actor: Person) -> Membership:
    """Join an open circle yourself, or be added by a champion or an enabler."""
    if person.pk == actor.pk:
        if not can_join_circle(actor=actor, circle=circle):
            raise Forbidden("This circle is invite-only: ask one of its champions to add you.")
    elif not can_manage_circle(actor=actor, circle=circle):
        raise Forbidden("Only the circle's champions and enablers can add members.")
    membership, created = Membership.objects.get_or_create(circle=circle, person=person)
    if not created:
        raise Conflict(f"{person.display_name} is already a member of {circle.name}.")
    return membership


@transaction.atomic
def circle_leave(*, circle: Circle, person: Person, actor: Person) -> None:
    if person.pk != actor.pk and not can_manage_circle(actor=actor, circle=circle):
        raise Forbidden("Only the circle's champions and enablers can remove members.")
    membership = Membership.objects.filter(circle=circle, person=person).first()
    if membership is None:
        raise DomainError(f"{person.display_name} is not a member of {circle.name}.")
    if (
        membership.role == Membership.Role.CHAMPION
        and not circle.memberships.filter(role=Membership.Role.CHAMPION)
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise DomainError("The last champion cannot leave; name another champion first.")
    membership.delete()


@transaction.atomic
def membership_set_role(*, circle: Circle, person: Person, role: str, actor: Person) -> Membership:
    if not can_manage_circle(actor=actor, circle=circle):
        raise Forbidden("Only the circle's champions and enablers can name champions.")
    if role not in Membership.Role.values:
        raise DomainError("Role must be 'member' or 'champion'.", field="role")
    membership, _ = Membership.objects.get_or_create(circle=circle, person=person)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership
