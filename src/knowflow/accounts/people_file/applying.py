"""Applying a people file: the plan written in one transaction, in bulk.

Everything the plan says is written, or nothing (a failure half-way rolls the whole file
back); broken lines are not in the plan, so they write nothing while the others apply. New
people, field changes and new org units are bulk statements in batches (a few queries per 500
people, not per person), so 20,000 lines take seconds. Deactivating and reactivating go one
person at a time through ``person_deactivate`` / ``person_reactivate``, which release their
registrations and tell the other apps, exactly as when an admin or SCIM does it.
"""

from __future__ import annotations

from django.db import transaction

from knowflow.accounts.models import OrgUnit, Person, User, default_working_hours
from knowflow.accounts.people_file.planning import PeoplePlan, people_file_plan
from knowflow.accounts.people_file.reading import PeopleFileContent
from knowflow.accounts.search import PERSON, person_sources
from knowflow.accounts.services import person_deactivate, person_reactivate
from knowflow.errors import Conflict
from knowflow.search.index import document_of, index_write, write_documents
from knowflow.slugs import slug_unique_in

BATCH = 500
# Slugs a person created here never gets: /people/import/ would hide their page.
RESERVED_SLUGS = {"import"}


@transaction.atomic
def people_file_apply(
    *,
    content: PeopleFileContent,
    deactivate_missing: bool = False,
    actor: Person | None = None,
    expected_fingerprint: str | None = None,
) -> PeoplePlan:
    """Write what ``people_file_plan`` says for this file; return that plan.

    ``expected_fingerprint``: the fingerprint of the preview a person confirmed; when the
    directory changed since, the plan differs and nothing is written (``Conflict``), so no
    one applies a diff they have not seen. People created have no password: they sign in with
    the company's provider, which finds them by email. The search index is refreshed for new
    people and changed names in the same transaction.
    """
    plan = people_file_plan(content=content, deactivate_missing=deactivate_missing, actor=actor)
    if expected_fingerprint is not None and plan.fingerprint != expected_fingerprint:
        raise Conflict(
            "The people changed since this preview was made: check the new preview and confirm"
            " again.",
            field="file",
        )
    units = _create_org_units(plan.new_org_units)
    slugs = set(Person.objects.values_list("slug", flat=True)) | RESERVED_SLUGS
    hours = default_working_hours()  # once, not once per person: it is the same for everyone
    new = [
        Person(
            working_hours=hours,
            slug=slug_unique_in(slugs, str(p.values["display_name"]), max_length=160),
            **{
                **p.values,
                **({"org_unit_id": units[p.new_unit]} if p.new_unit is not None else {}),
            },
        )
        for p in plan.new
    ]
    Person.objects.bulk_create(new, batch_size=BATCH)

    # Deactivation first: those services save the person, and must not write back values
    # older than the field changes below.
    moving = {p.person_id: p for p in (*plan.deactivated, *plan.reactivated) if p.person_id}
    for person in Person.objects.filter(pk__in=list(moving)).select_related("user"):
        if moving[person.pk].activation == "deactivate":
            person_deactivate(person=person, actor=actor)
        else:
            person_reactivate(person=person, actor=actor)

    touched = [p for p in (*plan.changed, *plan.deactivated, *plan.reactivated) if p.changes]
    # Grouped by the fields that change, each group updating only those: a file that renames
    # 20,000 people writes one column, not six (bulk_update's CASE grows with every column).
    groups: dict[tuple[str, ...], list[Person]] = {}
    role_changed: list[Person] = []
    for p in touched:
        person = Person(pk=p.person_id, working_hours=hours)  # not written: bulk_update's fields
        for name, value in p.values.items():
            setattr(person, name, value)
        if p.new_unit is not None:
            person.org_unit_id = units[p.new_unit]
        fields = tuple(sorted(p.values) + (["org_unit_id"] if p.new_unit is not None else []))
        groups.setdefault(fields, []).append(person)
        if "role" in p.values:
            role_changed.append(person)
    for fields, group in groups.items():
        Person.objects.bulk_update(group, list(fields), batch_size=BATCH)
    _sync_staff_flags(role_changed)

    _index_new([p.pk for p in new])
    renamed = [p.person_id for p in touched if any(c.column == "name" for c in p.changes)]
    index_write(kind=PERSON, object_ids=[pk for pk in renamed if pk])
    return plan


def _index_new(ids: list[int]) -> None:
    """Search documents for people just created: their own document only. The extensions
    other apps register (skills, sessions taught) have nothing to add to someone who did not
    exist a moment ago, and asking them costs more than the rest of the import."""
    for i in range(0, len(ids), BATCH):
        write_documents([document_of(source) for source in person_sources(ids[i : i + BATCH])])


def _create_org_units(names: list[str]) -> dict[str, int]:
    """The departments the file names and no org unit has, created as teams."""
    if not names:
        return {}
    slugs = set(OrgUnit.objects.values_list("slug", flat=True))
    units = [
        OrgUnit(
            name=name[:120],
            slug=slug_unique_in(slugs, name, max_length=140),
            kind=OrgUnit.Kind.TEAM,
        )
        for name in names
    ]
    OrgUnit.objects.bulk_create(units, batch_size=BATCH)
    return {name: unit.pk for name, unit in zip(names, units, strict=True)}


def _sync_staff_flags(people: list[Person]) -> None:
    """An admin may open the Django admin, as ``person_update_profile`` keeps it (two queries)."""
    admins = [p.pk for p in people if p.role == Person.Role.ADMIN]
    others = [p.pk for p in people if p.role != Person.Role.ADMIN]
    if admins:
        User.objects.filter(person__in=admins).update(is_staff=True, is_superuser=True)
    if others:
        User.objects.filter(person__in=others).update(is_staff=False, is_superuser=False)
