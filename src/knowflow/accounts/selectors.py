"""Read queries for people and the organisation.

Everyone signed in sees the directory and every person's page, so those reads take no viewer;
a read that is someone's own (their API tokens) takes the viewer and finds only theirs.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from knowflow.accounts.models import ApiToken, Office, OrgUnit, Person
from knowflow.errors import DomainError, NotFound
from knowflow.pickers import Nouns, PickerOption, resolve_names, suggest_by_name


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


def person_directory(*, filters: DirectoryFilters) -> QuerySet[Person]:
    """People matching the directory filters, with office and org unit joined; people who left
    are not listed (their page stays, for what they gave and wrote)."""
    people = people_active().select_related("office", "org_unit").prefetch_related("skills")
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


def person_get(*, id: int, field: str | None = None) -> Person:
    """One person by id with their office and org unit, or NotFound (naming ``field``, the
    input that pointed at them). Everyone signed in sees everyone in the directory."""
    person = Person.objects.select_related("office", "org_unit").filter(pk=id).first()
    if person is None:
        raise NotFound(f"There is no person with id {id}.", field=field)
    return person


def org_unit_get(*, id: int, field: str | None = None) -> OrgUnit:
    """One org unit by id, or NotFound (naming ``field``). The org chart is public inside."""
    unit = OrgUnit.objects.filter(pk=id).first()
    if unit is None:
        raise NotFound(f"There is no org unit with id {id}.", field=field)
    return unit


def office_get(*, id: int, field: str | None = None) -> Office:
    """One office by id, or NotFound (naming ``field``)."""
    office = Office.objects.filter(pk=id).first()
    if office is None:
        raise NotFound(f"There is no office with id {id}.", field=field)
    return office


def api_token_get(*, id: int, viewer: Person) -> ApiToken:
    """One of the viewer's own API tokens; anyone else's is not found (a token's name and
    its use are its owner's business)."""
    token = ApiToken.objects.filter(pk=id, person=viewer).first()
    if token is None:
        raise NotFound("There is no such token among yours.")
    return token


def person_detail(*, slug: str) -> Person:
    person = (
        Person.objects.select_related("office", "org_unit", "user")
        .prefetch_related("skills", "memberships__circle")
        .filter(slug=slug)
        .first()
    )
    if person is None:
        raise NotFound("There is no such person.")
    return person


PICKER_MATCHES = 5


def _described(person: Person) -> str:
    """A name with what tells two namesakes apart: org unit and time zone."""
    details = [d for d in (person.org_unit.name if person.org_unit else "", person.timezone) if d]
    return f"{person.display_name} ({', '.join(details)}, {person.slug})"


def person_for_picker(*, text: str, field: str = "person") -> Person:
    """The one person a typed name means: a person picker that works without JavaScript.

    Accepts a person's slug or their name (case-insensitive; a unique part of a name is
    enough). Raises DomainError naming ``field`` when nobody or several people match, listing
    up to five matches with their org unit, zone and slug, so the next try can be exact.
    """
    text = text.strip()
    if not text:
        raise DomainError("Type a person's name.", field=field)
    people = Person.objects.select_related("org_unit").order_by("display_name", "id")
    by_slug = people.filter(slug=text).first()
    if by_slug is not None:
        return by_slug
    exact = list(people.filter(display_name__iexact=text)[: PICKER_MATCHES + 1])
    matches = exact or list(people.filter(display_name__icontains=text)[: PICKER_MATCHES + 1])
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise DomainError(
            f"Nobody called “{text}” was found; check the spelling in the people directory.",
            field=field,
        )
    shown = "; ".join(_described(p) for p in matches[:PICKER_MATCHES])
    more = " and more" if len(matches) > PICKER_MATCHES else ""
    raise DomainError(
        f"Several people match “{text}”: {shown}{more}. Type the full name or the slug.",
        field=field,
    )


PEOPLE = Nouns(one="person", many="people", nobody="No one")


def people_pickable() -> QuerySet[Person]:
    """Whom a people picker offers and accepts.

    A deactivated account (someone who left) is neither suggested nor accepted: it must not
    become a speaker, a member or a required attendee, and suggesting it would tell any
    member who left.
    """
    return people_active().select_related("org_unit").exclude(user__is_active=False)


def people_active() -> QuerySet[Person]:
    """Everyone who has not left (`Person.deactivated_at` unset)."""
    return Person.objects.filter(deactivated_at__isnull=True)


def people_for_picker(*, entries: list[str]) -> list[Person]:
    """The people a picker's entries mean: each a slug, an email, a name or a unique part of
    one. DomainError names every entry matching nobody or several people."""
    return resolve_names(
        queryset=people_pickable(),
        entries=entries,
        nouns=PEOPLE,
        name_field="display_name",
        exact_keys=lambda text: Q(slug=text) | Q(email__iexact=text),
        describe=_described,
    )


def person_picker_options(*, viewer: Person, text: str) -> list[PickerOption]:
    """Suggestions for a people picker: name, then org unit and zone to tell namesakes apart."""
    return [
        PickerOption(
            value=person.slug,
            label=person.display_name,
            detail=" · ".join(
                d for d in (person.org_unit.name if person.org_unit else "", person.timezone) if d
            ),
        )
        for person in suggest_by_name(
            queryset=people_pickable(), text=text, name_field="display_name"
        )
    ]


def directory_choices() -> dict[str, list]:
    return {
        "org_units": list(OrgUnit.objects.only("name", "slug")),
        "offices": list(Office.objects.only("name", "slug")),
        "timezones": list(
            Person.objects.order_by("timezone").values_list("timezone", flat=True).distinct()
        ),
    }
