"""Read queries for circles.

Every circle, invite-only ones too, is listed to everyone signed in (its page says how to get
in), so these reads take no viewer; who may change a circle is ``circles.permissions``'."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from knowflow.accounts.models import Person
from knowflow.circles.models import Circle, Membership
from knowflow.errors import NotFound
from knowflow.lookup import one_by_id_or_slug
from knowflow.pickers import Nouns, PickerOption, resolve_names, suggest_by_name


def circle_list() -> QuerySet[Circle]:
    return Circle.objects.annotate(member_count=Count("memberships")).prefetch_related("topics")


def circle_get(
    *, id: int | None = None, slug: str | None = None, field: str | None = None
) -> Circle:
    """One circle by id (the API) or slug (the pages), with its topics, or NotFound (naming
    ``field``, the input that pointed at it). Every circle is listed to everyone, invite-only
    ones too: their page says how to get in."""
    circles = Circle.objects.prefetch_related("topics")
    return one_by_id_or_slug(circles, id=id, slug=slug, noun="circle", field=field)


def circle_detail(*, slug: str) -> Circle:
    circle = (
        Circle.objects.filter(slug=slug)
        .prefetch_related(
            "topics",
            # "champion" sorts before "member": champions first, then by name.
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("person").order_by(
                    "role", "person__display_name"
                ),
            ),
        )
        .first()
    )
    if circle is None:
        raise NotFound("There is no such circle.")
    return circle


def membership_of(*, circle: Circle, person: Person) -> Membership | None:
    return Membership.objects.filter(circle=circle, person=person).first()


CIRCLES = Nouns(one="circle", many="circles", nobody="No circle")


def circles_for_picker(*, entries: list[str]) -> list[Circle]:
    """The circles a picker's entries mean (a slug, a name or a unique part of one). Every
    circle is listed to every member (invite-only ones too), so a picker may name any."""
    return resolve_names(
        queryset=Circle.objects.all(),
        entries=entries,
        nouns=CIRCLES,
        describe=lambda circle: f"{circle.name} ({circle.slug})",
    )


def circle_picker_options(*, viewer: Person, text: str) -> list[PickerOption]:
    """Suggestions for a circle picker, with the number of members."""
    circles = suggest_by_name(
        queryset=Circle.objects.annotate(member_count=Count("memberships")), text=text
    )
    return [
        PickerOption(
            value=circle.slug,
            label=circle.name,
            detail=f"{circle.member_count} member{'s' if circle.member_count != 1 else ''}",
        )
        for circle in circles
    ]
