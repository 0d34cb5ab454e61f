"""Read queries for circles.

Every opened circle, invite-only and sunset ones too, is listed to everyone signed in (its page
says how to get in); a proposed or declined circle is seen by its starter and the enablers only.
Who may change a circle is ``circles.permissions``'."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from knowflow.accounts.models import Person
from knowflow.circles.models import Circle, Membership
from knowflow.circles.permissions import can_see_circle
from knowflow.errors import NotFound
from knowflow.lookup import one_by_id_or_slug
from knowflow.pickers import Nouns, PickerOption, resolve_names, suggest_by_name

UNLISTED = (Circle.State.PROPOSED, Circle.State.DECLINED)


def circle_list() -> QuerySet[Circle]:
    """Every opened circle with its topics (its members are counted with its health:
    ``circlehealth.circles_health``)."""
    return Circle.objects.exclude(state__in=UNLISTED).prefetch_related("topics")


def circles_awaiting(*, viewer: Person) -> list[Circle]:
    """Proposed circles an enabler may decide on (all of them), or the viewer's own proposed
    and declined ones (to see where they stand)."""
    circles = Circle.objects.filter(state__in=UNLISTED).select_related("proposed_by")
    if viewer.is_enabler:
        circles = circles.filter(state=Circle.State.PROPOSED)
    else:
        circles = circles.filter(proposed_by=viewer)
    return list(circles.order_by("created_at", "id"))


def circle_get(
    *, id: int | None = None, slug: str | None = None, field: str | None = None
) -> Circle:
    """One circle by id (the API) or slug (the pages), with its topics, or NotFound (naming
    ``field``, the input that pointed at it). Every circle is listed to everyone, invite-only
    ones too: their page says how to get in."""
    circles = Circle.objects.prefetch_related("topics")
    return one_by_id_or_slug(circles, id=id, slug=slug, noun="circle", field=field)


def circle_detail(*, slug: str, viewer: Person | None = None) -> Circle:
    """A circle with its topics and memberships (champions, then facilitators, then members,
    each by name), or NotFound — also for a proposed or declined circle the viewer may not see.
    """
    circle = (
        Circle.objects.filter(slug=slug)
        .select_related("proposed_by")
        .prefetch_related(
            "topics",
            # "champion" < "facilitator" < "member": champions first, then by name.
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("person").order_by(
                    "role", "person__display_name"
                ),
            ),
        )
        .first()
    )
    if circle is None or (viewer is not None and not can_see_circle(actor=viewer, circle=circle)):
        raise NotFound("There is no such circle.")
    return circle


def membership_of(*, circle: Circle, person: Person) -> Membership | None:
    return Membership.objects.filter(circle=circle, person=person).first()


CIRCLES = Nouns(one="circle", many="circles", nobody="No circle")


def circles_for_picker(*, entries: list[str]) -> list[Circle]:
    """The circles a picker's entries mean (a slug, a name or a unique part of one). Every
    circle is listed to every member (invite-only ones too), so a picker may name any."""
    return resolve_names(
        queryset=Circle.objects.exclude(state__in=UNLISTED),
        entries=entries,
        nouns=CIRCLES,
        describe=lambda circle: f"{circle.name} ({circle.slug})",
    )


def circle_picker_options(*, viewer: Person, text: str) -> list[PickerOption]:
    """Suggestions for a circle picker, with the number of members."""
    circles = suggest_by_name(
        queryset=Circle.objects.exclude(state__in=UNLISTED).annotate(
            member_count=Count("memberships")
        ),
        text=text,
    )
    return [
        PickerOption(
            value=circle.slug,
            label=circle.name,
            detail=f"{circle.member_count} member{'s' if circle.member_count != 1 else ''}",
        )
        for circle in circles
    ]
