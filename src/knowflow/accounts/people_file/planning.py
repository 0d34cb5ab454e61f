"""What a people file would change: the diff between its checked lines and the directory.

A plan is computed from a fixed number of queries whatever the file's size (people with an
email, org units, offices), so a dry run of 20,000 lines takes seconds; applying it
(``applying``) computes it again inside its transaction, so what is written is what the
directory holds at that moment.

Decisions a person reading the diff should be able to predict:

- A line finds its person by email, regardless of case. A person the file does not name is
  left alone, unless ``deactivate_missing`` is asked for: then every active person with an
  email the file does not mention is deactivated (a person on a broken line is mentioned, so a
  typo in their office never deactivates them; people without an email, such as speakers
  imported from a talk archive, are never touched). The admin applying the file is never
  deactivated by it, nor loses their admin role.
- A department is found by name or slug (regardless of case) and created as a team when no
  org unit has it: a new department in the HR system should not break a line. An office must
  exist, because it carries a time zone and rooms: an unknown office breaks the line.
- An empty cell, or a column the file does not have, leaves the field as it is. For a new
  person: the time zone of their office (else UTC), the member role, no languages.
- With no department, a manager's email places the person in the manager's department (from
  the manager's own line, else their current one).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from knowflow.accounts.models import Office, OrgUnit, Person
from knowflow.accounts.people_file.reading import (
    COLUMN_TITLES,
    LineError,
    PeopleFileContent,
    PeopleFileRow,
    email_key,
)
from knowflow.errors import DomainError
from knowflow.languages import language_name

# The person's fields a file may set, in the order a diff lists them.
FIELDS = ("name", "department", "office", "timezone", "role", "languages")
MODEL_FIELDS = {
    "name": "display_name",
    "department": "org_unit_id",
    "office": "office_id",
    "timezone": "timezone",
    "role": "role",
    "languages": "languages",
}
# A unit the plan creates is named by a key of its own until it has an id.
NewUnit = str


@dataclass(frozen=True)
class FieldChange:
    column: str
    before: str
    after: str

    @property
    def label(self) -> str:
        return COLUMN_TITLES[self.column].capitalize()


@dataclass
class PersonPlan:
    """One person the file creates or changes, with the values to write."""

    email: str
    name: str
    line: int | None = None  # None: not in the file (deactivated as missing)
    person_id: int | None = None  # None: a new person
    changes: list[FieldChange] = field(default_factory=list)
    values: dict[str, object] = field(default_factory=dict)  # model field -> value
    new_unit: NewUnit | None = None  # the org unit to create for this person
    activation: str | None = None  # "deactivate" / "reactivate"
    reason: str = ""  # why a deactivation

    @property
    def detail(self) -> str:
        """The change in words: "Office: Berlin → Pune"; for someone new, what they get."""
        changes = [
            f"{c.label}: {c.after}"
            if self.person_id is None
            else f"{c.label}: {c.before} → {c.after}"
            for c in self.changes
        ]
        return "; ".join(filter(None, [self.reason, *changes]))


@dataclass
class PeoplePlan:
    new: list[PersonPlan] = field(default_factory=list)
    changed: list[PersonPlan] = field(default_factory=list)
    deactivated: list[PersonPlan] = field(default_factory=list)
    reactivated: list[PersonPlan] = field(default_factory=list)
    new_org_units: list[str] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    notes: list[LineError] = field(default_factory=list)
    ignored_columns: tuple[str, ...] = ()
    unchanged: int = 0
    lines: int = 0

    @property
    def change_count(self) -> int:
        return len(self.new) + len(self.changed) + len(self.deactivated) + len(self.reactivated)

    @property
    def fingerprint(self) -> str:
        """A digest of what applying would write: a preview confirmed after the directory
        changed would write something else, and is refused (``applying``)."""
        parts = [
            [
                p.person_id,
                p.email,
                sorted((k, str(v)) for k, v in p.values.items()),
                p.new_unit,
                p.activation,
            ]
            for p in (*self.new, *self.changed, *self.deactivated, *self.reactivated)
        ]
        text = json.dumps([parts, self.new_org_units], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def summary(self) -> dict[str, int]:
        return {
            "new": len(self.new),
            "changed": len(self.changed),
            "deactivated": len(self.deactivated),
            "reactivated": len(self.reactivated),
            "unchanged": self.unchanged,
            "broken": len(self.errors),
        }


@dataclass
class _Known:
    """What the directory holds, loaded once (three queries)."""

    people: dict[str, dict]
    units: dict[str, int]  # case-folded name or slug -> id
    unit_names: dict[int, str]
    offices: dict[str, Office]
    office_names: dict[int, str]

    @classmethod
    def load(cls) -> _Known:
        people: dict[str, dict] = {}
        rows = (
            Person.objects.exclude(email="")
            .order_by("id")
            .values(
                "id",
                "email",
                "display_name",
                "org_unit_id",
                "office_id",
                "timezone",
                "role",
                "languages",
                "deactivated_at",
                "user_id",
            )
        )
        for row in rows:
            # Two people with one email (told apart only by case): the older one is kept.
            people.setdefault(email_key(row["email"]), dict(row))
        units: dict[str, int] = {}
        unit_names: dict[int, str] = {}
        for pk, name, slug in OrgUnit.objects.values_list("id", "name", "slug"):
            units.setdefault(name.casefold(), pk)
            units.setdefault(slug.casefold(), pk)
            unit_names[pk] = name
        offices: dict[str, Office] = {}
        for office in Office.objects.all():
            offices[office.name.casefold()] = office
            offices[office.slug.casefold()] = office
        return cls(
            people=people,
            units=units,
            unit_names=unit_names,
            offices=offices,
            office_names={o.pk: o.name for o in offices.values()},
        )


def _shown(column: str, value: object, known: _Known) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if column == "department":
        return value if isinstance(value, str) else known.unit_names.get(int(value), "?")  # type: ignore[call-overload]
    if column == "office":
        return known.office_names.get(int(value), "?")  # type: ignore[call-overload]
    if column == "role":
        return str(Person.Role(str(value)).label)
    if column == "languages":
        return ", ".join(language_name(code) for code in value)  # type: ignore[attr-defined]
    return str(value)


def _unit_for(
    row: PeopleFileRow, known: _Known, rows_by_key: dict[str, PeopleFileRow], notes: list
) -> int | NewUnit | None:
    """The org unit a line puts its person in: an id, a name to create, or None (as it is)."""
    name = row.department
    if name is None and row.manager is not None:
        manager_row = rows_by_key.get(row.manager)
        if manager_row is not None and manager_row.department is not None:
            name = manager_row.department
        elif row.manager in known.people and known.people[row.manager]["org_unit_id"]:
            return int(known.people[row.manager]["org_unit_id"])
        elif manager_row is None and row.manager not in known.people:
            notes.append(
                LineError(
                    row.line,
                    f"the manager {row.manager} is neither in the file nor in Knowflow,"
                    " so the department is left as it is",
                )
            )
    if name is None:
        return None
    return known.units.get(name.casefold(), name)


def people_file_plan(
    *, content: PeopleFileContent, deactivate_missing: bool = False, actor: Person | None = None
) -> PeoplePlan:
    """The diff a people file makes to the directory, written nowhere.

    ``actor`` is the admin applying the file (None: a system, or the command line without
    ``--actor``): they are never deactivated and keep their admin role. Lines the directory
    refuses (an unknown office, the actor deactivating themselves) join ``errors``.
    """
    plan = PeoplePlan(
        errors=list(content.errors), ignored_columns=content.ignored_columns, lines=content.lines
    )
    if deactivate_missing and not content.rows:
        raise DomainError(
            "No line of this file can be applied, so deactivating the people missing from it"
            " would deactivate everyone: nothing was done. Fix the file first.",
            field="file",
        )
    known = _Known.load()
    rows_by_key = {row.key: row for row in content.rows}
    actor_key = email_key(actor.email) if actor is not None and actor.email else None
    new_units: dict[str, str] = {}  # case-folded name -> the first spelling
    for row in content.rows:
        office = None
        if row.office is not None:
            office = known.offices.get(row.office.casefold())
            if office is None:
                names = sorted({o.name for o in known.offices.values()})
                listed = ", ".join(names[:10]) + (" …" if len(names) > 10 else "")
                plan.errors.append(
                    LineError(
                        row.line,
                        f"there is no office '{row.office}'"
                        + (f" (the offices are: {listed})" if names else " (no office exists yet)"),
                    )
                )
                continue
        existing = known.people.get(row.key)
        is_actor = existing is not None and (
            (actor is not None and existing["id"] == actor.pk) or row.key == actor_key
        )
        if is_actor and not row.active:
            plan.errors.append(
                LineError(
                    row.line, f"{row.email} is you: a file cannot deactivate the admin applying it"
                )
            )
            continue
        if is_actor and row.role not in (None, Person.Role.ADMIN):
            plan.errors.append(
                LineError(
                    row.line, f"{row.email} is you: a file cannot take away your own admin role"
                )
            )
            continue
        unit = _unit_for(row, known, rows_by_key, plan.notes)
        if isinstance(unit, str):
            new_units.setdefault(unit.casefold(), unit)
            unit = new_units[unit.casefold()]
        if existing is None:
            if not row.active:
                plan.notes.append(
                    LineError(
                        row.line, f"{row.email} is not in Knowflow and marked inactive: not created"
                    )
                )
                continue
            values: dict[str, object] = {
                "display_name": row.name,
                "org_unit_id": unit if isinstance(unit, int) else None,
                "office_id": office.pk if office else None,
                "timezone": row.timezone or (office.timezone if office else "UTC"),
                "role": row.role or Person.Role.MEMBER,
                "languages": list(row.languages or ()),
                "email": row.email,
            }
            shown = {
                "department": unit,
                "office": values["office_id"],
                "timezone": values["timezone"],
                "role": values["role"],
                "languages": values["languages"],
            }
            plan.new.append(
                PersonPlan(
                    email=row.email,
                    name=row.name,
                    line=row.line,
                    values=values,
                    new_unit=unit if isinstance(unit, str) else None,
                    changes=[
                        FieldChange(column, "—", _shown(column, value, known))
                        for column, value in shown.items()
                        if value not in (None, [])
                    ],
                )
            )
            continue
        wanted: dict[str, object] = {
            "name": row.name,
            "department": unit,
            "office": office.pk if office else None,
            "timezone": row.timezone,
            "role": row.role,
            "languages": list(row.languages) if row.languages is not None else None,
        }
        person = PersonPlan(
            email=existing["email"], name=row.name, line=row.line, person_id=existing["id"]
        )
        for column in FIELDS:
            after = wanted[column]
            before = existing[MODEL_FIELDS[column]]
            if after is None or after == before:
                continue
            person.changes.append(
                FieldChange(column, _shown(column, before, known), _shown(column, after, known))
            )
            if column == "department" and isinstance(after, str):
                person.new_unit = after
            else:
                person.values[MODEL_FIELDS[column]] = after
        inactive = existing["deactivated_at"] is not None
        if row.active and inactive:
            person.activation = "reactivate"
            plan.reactivated.append(person)
        elif not row.active and not inactive:
            person.activation = "deactivate"
            person.reason = f"line {row.line} says active: no"
            plan.deactivated.append(person)
        elif person.changes:
            plan.changed.append(person)
        else:
            plan.unchanged += 1
    if deactivate_missing:
        for key, existing in known.people.items():
            if key in content.mentioned or existing["deactivated_at"] is not None:
                continue
            if (actor is not None and existing["id"] == actor.pk) or key == actor_key:
                continue
            plan.deactivated.append(
                PersonPlan(
                    email=existing["email"],
                    name=existing["display_name"],
                    person_id=existing["id"],
                    activation="deactivate",
                    reason="not in the file",
                )
            )
    used = {p.new_unit for p in (*plan.new, *plan.changed, *plan.reactivated, *plan.deactivated)}
    plan.new_org_units = sorted(
        (name for name in new_units.values() if name in used), key=str.casefold
    )
    plan.errors.sort(key=lambda error: error.line)
    return plan
