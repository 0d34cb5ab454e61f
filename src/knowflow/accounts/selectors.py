"""Read queries for people and the organisation."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from knowflow.accounts.models import Office, OrgUnit, Person
from knowflow.errors import NotFound


@dataclass(frozen=True)
class DirectoryFilters:
    q: str = ""
    org_unit: str = ""  # slug; includes the units below it
    office: str = ""  # slug
    timezone: str = ""
    skill: str = ""  # topic slug


def org_unit_with_descendants(unit: OrgUnit) -> list[int]:
    """Ids of ``unit`` and every unit below it (the tree is small: one query per level)."""
    ids, frontier = [unit.pk], [unit.pk]
    while frontier:
        frontier = list(OrgUnit.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
        ids.extend(frontier)
    return ids


def person_directory(*, viewer: Person, filters: DirectoryFilters) -> QuerySet[Person]:
    """People matching the directory filters, with office and org unit joined."""
    people = Person.objects.select_related("office", "org_unit").prefetch_related("skills")
    if filters.q:
        people = people.filter(
            Q(display_name__icontains=filters.q) | Q(skills__name__icontains=filters.q)
        ).distinct()
    if filters.org_unit:
        unit = OrgUnit.objects.filter(slug=filters.org_unit).first()
        people = (
            people.filter(org_unit_id__in=org_unit_with_descendants(unit))
            if unit
            else people.none()
        )
    if filters.office:
        people = people.filter(office__slug=filters.office)
    if filters.timezone:
        people = people.filter(timezone=filters.timezone)
    if filters.skill:
        people = people.filter(skills__slug=filters.skill)
    return people.order_by("display_name", "id")


def person_detail(*, viewer: Person, slug: str) -> Person:
    person = (
        Person.objects.select_related("office", "org_unit", "user")
        .prefetch_related("skills", "memberships__circle")
        .filter(slug=slug)
        .first()
    )
    if person is None:
        raise NotFound("There is no such person.")
    return person


def directory_choices() -> dict[str, list]:
    return {
        "org_units": list(OrgUnit.objects.only("name", "slug")),
        "offices": list(Office.objects.only("name", "slug")),
        "timezones": list(
            Person.objects.order_by("timezone").values_list("timezone", flat=True).distinct()
        ),
    }
