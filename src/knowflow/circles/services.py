"""Starting circles (with an optional enabler approval), their charter, people and roles,
joining and leaving, sunset and revival, and the lifecycle state the periodic pass applies.

A lifecycle change is one conditional UPDATE (``WHERE state = <the state it was read in>``):
of several workers applying the same change, exactly one writes it and queues its email, so a
champion is prompted once when a circle goes quiet."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.accounts.services import unique_slug
from knowflow.circles.lifecycle import COMPUTED_STATES, quiet_after
from knowflow.circles.models import Circle, Membership
from knowflow.circles.notifications import circle_decision_enqueue, circle_quiet_prompt_enqueue
from knowflow.circles.permissions import (
    can_create_circle,
    can_join_circle,
    can_manage_circle,
    can_review_circle,
    is_champion,
)
from knowflow.circles.search import CIRCLE
from knowflow.errors import Conflict, DomainError, Forbidden
from knowflow.search.index import index_write
from knowflow.topics.models import Topic

MANAGERS_ONLY = "Only the circle's champions and enablers can edit it."


def _check_visibility(visibility: str) -> str:
    if visibility not in Circle.Visibility.values:
        raise DomainError("Visibility must be 'open' or 'invite_only'.", field="visibility")
    return visibility


def _check_cadence(cadence: str) -> str:
    if cadence not in Circle.Cadence.values:
        raise DomainError(
            "Cadence must be weekly, fortnightly, monthly or quarterly.", field="cadence"
        )
    return cadence


def _check_name(name: str, *, circle: Circle | None = None) -> str:
    name = name.strip()
    if not name:
        raise DomainError("A circle needs a name.", field="name")
    if len(name) > 120:
        raise DomainError("A circle's name has at most 120 characters.", field="name")
    others = Circle.objects.filter(name__iexact=name)
    if circle is not None:
        others = others.exclude(pk=circle.pk)
    if others.exists():
        raise Conflict(f"There is already a circle called {name}.", field="name")
    return name


@transaction.atomic
def circle_create(
    *,
    actor: Person,
    name: str,
    mission: str = "",
    scope: str = "",
    cadence: str = Circle.Cadence.MONTHLY,
    visibility: str = Circle.Visibility.OPEN,
    topics: Iterable[Topic] = (),
    champions: Iterable[Person] = (),
    now: datetime | None = None,
) -> Circle:
    """Start a circle with its charter. Any member may; the starter becomes its champion
    (an enabler may name other champions instead). With ``KNOWFLOW_CIRCLE_APPROVAL`` on, a
    circle a non-enabler starts waits as "proposed" until an enabler decides; otherwise it is
    forming at once. Indexed for search once listed."""
    if not can_create_circle(actor=actor):
        raise Forbidden("Only active members start circles.")
    champions = list(champions)
    if champions and not actor.is_enabler and champions != [actor]:
        raise Forbidden("Only enablers name other people as a new circle's champions.")
    now = now or timezone.now()
    name = _check_name(name)
    waits = settings.KNOWFLOW_CIRCLE_APPROVAL and not actor.is_enabler
    circle = Circle.objects.create(
        name=name,
        slug=unique_slug(Circle, name),
        mission=mission,
        scope=scope,
        cadence=_check_cadence(cadence),
        visibility=_check_visibility(visibility),
        state=Circle.State.PROPOSED if waits else Circle.State.FORMING,
        state_changed_at=now,
        started_at=None if waits else now,
        proposed_by=actor,
    )
    circle.topics.set(topics)
    for champion in champions or [actor]:
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
    scope: str | None = None,
    cadence: str | None = None,
    visibility: str | None = None,
    topics: Iterable[Topic] | None = None,
) -> Circle:
    """Change the charter (champions and enablers)."""
    if not can_manage_circle(actor=actor, circle=circle):
        raise Forbidden(MANAGERS_ONLY)
    if name is not None:
        circle.name = _check_name(name, circle=circle)
    if mission is not None:
        circle.mission = mission
    if scope is not None:
        circle.scope = scope
    if cadence is not None:
        circle.cadence = _check_cadence(cadence)
    if visibility is not None:
        circle.visibility = _check_visibility(visibility)
    circle.save()
    if topics is not None:
        circle.topics.set(topics)
    index_write(kind=CIRCLE, object_ids=[circle.pk])
    return circle


def _locked(circle: Circle) -> Circle:
    """The circle's row, locked for the rest of the transaction, read fresh (a sunset and a
    join, or two reviews, cannot interleave); the caller's instance is refreshed too."""
    locked = Circle.objects.select_for_update().get(pk=circle.pk)
    circle.state, circle.state_changed_at = locked.state, locked.state_changed_at
    return locked


@transaction.atomic
def circle_review(
    *, circle: Circle, actor: Person, approve: bool, reason: str = "", now: datetime | None = None
) -> Circle:
    """An enabler approves a proposed circle (it starts forming) or declines it with a reason;
    the starter is emailed either way."""
    if not can_review_circle(actor=actor):
        raise Forbidden("Only enablers approve or decline circles.")
    locked = _locked(circle)
    if locked.state != Circle.State.PROPOSED:
        raise Conflict(f"{locked.name} is not waiting for approval any more.")
    reason = reason.strip()
    if not approve and not reason:
        raise DomainError("Say why the circle is declined: its starter reads it.", field="reason")
    now = now or timezone.now()
    locked.state = Circle.State.FORMING if approve else Circle.State.DECLINED
    locked.decline_reason = "" if approve else reason
    locked.state_changed_at = now
    if approve:
        locked.started_at = now
    locked.save(update_fields=["state", "decline_reason", "state_changed_at", "started_at"])
    circle_decision_enqueue(circle=locked)
    index_write(kind=CIRCLE, object_ids=[locked.pk])
    circle.refresh_from_db()
    return locked


@transaction.atomic
def circle_sunset(*, circle: Circle, actor: Person, now: datetime | None = None) -> Circle:
    """Close a circle that has done its job: it stays readable and findable, with its sessions
    and resources, and takes no new members."""
    if not can_manage_circle(actor=actor, circle=circle):
        raise Forbidden("Only the circle's champions and enablers can sunset it.")
    locked = _locked(circle)
    if locked.state == Circle.State.SUNSET:
        raise Conflict(f"{locked.name} is sunset already.")
    if not locked.is_listed:
        raise Conflict(f"{locked.name} was never opened: there is nothing to sunset.")
    locked.state, locked.state_changed_at = Circle.State.SUNSET, now or timezone.now()
    locked.save(update_fields=["state", "state_changed_at"])
    circle.refresh_from_db()
    return locked


@transaction.atomic
def circle_revive(*, circle: Circle, actor: Person, now: datetime | None = None) -> Circle:
    """Open a sunset circle again: it starts forming, and the periodic pass takes it from there
    (reviving counts as activity, so it is not dormant at once)."""
    if not can_manage_circle(actor=actor, circle=circle):
        raise Forbidden("Only the circle's champions and enablers can revive it.")
    locked = _locked(circle)
    if locked.state != Circle.State.SUNSET:
        raise Conflict(f"{locked.name} is not sunset.")
    now = now or timezone.now()
    locked.state, locked.state_changed_at, locked.started_at = Circle.State.FORMING, now, now
    locked.save(update_fields=["state", "state_changed_at", "started_at"])
    circle.refresh_from_db()
    return locked


def circle_state_apply(*, circle: Circle, state: str, now: datetime) -> bool:
    """Move a circle to the state the lifecycle rule gives it (the periodic pass's one write).

    Only from and to the computed states (forming, active, dormant): a person's decision
    (proposed, declined, sunset) is never overridden. The UPDATE is conditional on the state the
    caller read, so when several workers race, one changes it and the rest change nothing.
    Going dormant queues the quiet prompt to the champions in the same transaction. Returns
    whether this call changed the state.
    """
    if state not in COMPUTED_STATES or circle.state not in COMPUTED_STATES:
        return False
    if state == circle.state:
        return False
    with transaction.atomic():
        changed = Circle.objects.filter(pk=circle.pk, state=circle.state).update(
            state=state, state_changed_at=now
        )
        if not changed:
            return False
        circle.state, circle.state_changed_at = state, now
        if state == Circle.State.DORMANT:
            circle_quiet_prompt_enqueue(circle=circle, quiet_days=quiet_after(circle.cadence).days)
    return True


@transaction.atomic
def circle_join(*, circle: Circle, person: Person, actor: Person) -> Membership:
    """Join an open circle yourself, or be added by a champion or an enabler. A sunset or
    unopened circle takes nobody."""
    _locked(circle)
    if circle.state == Circle.State.SUNSET:
        raise DomainError(f"{circle.name} has been sunset: it takes no new members.")
    if not circle.is_listed:
        raise DomainError(f"{circle.name} is not open yet: it waits for an enabler's approval.")
    if person.pk == actor.pk:
        if not can_join_circle(actor=actor, circle=circle):
            raise Forbidden("This circle is invite-only: ask one of its champions to add you.")
    elif not can_manage_circle(actor=actor, circle=circle):
        raise Forbidden("Only the circle's champions and enablers can add members.")
    membership, created = Membership.objects.get_or_create(circle=circle, person=person)
    if not created:
        raise Conflict(f"{person.display_name} is already a member of {circle.name}.")
    return membership


def _other_champions(membership: Membership) -> bool:
    return (
        Membership.objects.filter(circle_id=membership.circle_id, role=Membership.Role.CHAMPION)
        .exclude(pk=membership.pk)
        .exists()
    )


@transaction.atomic
def circle_leave(*, circle: Circle, person: Person, actor: Person) -> None:
    """Leave a circle, or be removed by a champion or an enabler; the last champion stays."""
    if person.pk != actor.pk and not can_manage_circle(actor=actor, circle=circle):
        raise Forbidden("Only the circle's champions and enablers can remove members.")
    membership = Membership.objects.filter(circle=circle, person=person).first()
    if membership is None:
        raise DomainError(f"{person.display_name} is not a member of {circle.name}.")
    if membership.role == Membership.Role.CHAMPION and not _other_champions(membership):
        raise DomainError("The last champion cannot leave; name another champion first.")
    membership.delete()


@transaction.atomic
def membership_set_role(*, circle: Circle, person: Person, role: str, actor: Person) -> Membership:
    """Name someone champion, facilitator or plain member (they join if they were not in)."""
    if not can_manage_circle(actor=actor, circle=circle):
        raise Forbidden("Only the circle's champions and enablers can name champions.")
    if role not in Membership.Role.values:
        raise DomainError("Role must be 'member', 'facilitator' or 'champion'.", field="role")
    membership, _ = Membership.objects.get_or_create(circle=circle, person=person)
    if (
        membership.role == Membership.Role.CHAMPION
        and role != Membership.Role.CHAMPION
        and not _other_champions(membership)
    ):
        raise DomainError("A circle keeps at least one champion; name another one first.")
    membership.role = role
    membership.save(update_fields=["role"])
    index_write(kind=CIRCLE, object_ids=[circle.pk])
    return membership


@transaction.atomic
def circle_hand_over(*, circle: Circle, to: Person, actor: Person) -> Membership:
    """A champion hands the circle to someone else: they become champion, the champion who hands
    over stays as a member."""
    if not is_champion(person=actor, circle=circle):
        raise Forbidden("Only one of the circle's champions can hand it over.")
    if to.pk == actor.pk:
        raise DomainError("Choose someone else to hand the circle to.", field="person")
    if not to.is_active:
        raise DomainError(f"{to.display_name} is no longer with the organisation.", field="person")
    new, _ = Membership.objects.get_or_create(circle=circle, person=to)
    new.role = Membership.Role.CHAMPION
    new.save(update_fields=["role"])
    Membership.objects.filter(circle=circle, person=actor).update(role=Membership.Role.MEMBER)
    index_write(kind=CIRCLE, object_ids=[circle.pk])
    return new
