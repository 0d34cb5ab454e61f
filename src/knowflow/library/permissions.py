"""Who may do what in the library (used by the pages and the API alike)."""

from __future__ import annotations

from knowflow.accounts.models import Person
from knowflow.circles.permissions import is_champion
from knowflow.library.models import Collection, Resource


def can_add_resource(*, actor: Person) -> bool:
    return True  # anyone who shared something may put it in the library


def can_edit_resource(*, actor: Person, resource: Resource) -> bool:
    """Enablers; the resource's owner, creator and authors; its circle's champions; its
    session's speakers."""
    if actor.is_enabler or actor.pk in (resource.owner_id, resource.created_by_id):
        return True
    if resource.pk and resource.authors.filter(pk=actor.pk).exists():
        return True
    session = resource.session if resource.session_id else None
    if session is not None and session.speakers.filter(pk=actor.pk).exists():
        return True
    return resource.circle_id is not None and is_champion(person=actor, circle=resource.circle)


def can_manage_captions(*, actor: Person, resource: Resource) -> bool:
    """Upload or remove a recording's captions: whoever may edit it (its session's speakers,
    its owner and authors, its circle's champions, enablers)."""
    return can_edit_resource(actor=actor, resource=resource)


def can_confirm_review(*, actor: Person, resource: Resource) -> bool:
    return can_edit_resource(actor=actor, resource=resource)


def can_create_collection(*, actor: Person) -> bool:
    return True


def can_manage_collection(*, actor: Person, collection: Collection) -> bool:
    if actor.is_enabler or actor.pk == collection.owner_id:
        return True
    return collection.circle_id is not None and is_champion(person=actor, circle=collection.circle)


def can_see_search_insights(*, actor: Person) -> bool:
    return actor.is_enabler
