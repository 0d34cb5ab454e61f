"""``knowflow import people FILE.csv [--dry-run] [--deactivate-missing] [--actor EMAIL]``.

Prints the diff (new, changed, deactivated, reactivated people), then the broken lines with
their numbers on stderr. Exit status: 0 when every line applied, 2 when some lines were broken
(the others applied), 1 when the file could not be used at all (nothing written).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from knowflow.accounts.models import Person
from knowflow.accounts.people_file import (
    PeoplePlan,
    PersonPlan,
    people_file_apply,
    people_file_plan,
    people_file_read,
)
from knowflow.accounts.people_file.reading import email_key
from knowflow.errors import DomainError

COLUMNS_HELP = "email, name, department, office, time zone, role, manager email, languages, active"


class Command(BaseCommand):
    help = (
        "Create, update and deactivate people from a CSV file with a header row (columns: "
        f"{COLUMNS_HELP}; email and name required). See docs/integrations.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would change; write nothing."
        )
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="Deactivate active people with an email that the file does not mention.",
        )
        parser.add_argument(
            "--actor",
            metavar="EMAIL",
            default="",
            help="The admin running the import: never deactivated, never loses the admin role.",
        )

    def handle(self, *args: object, **options: object) -> None:
        path: Path = options["file"]  # type: ignore[assignment]
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        actor = None
        if options["actor"]:
            key = email_key(str(options["actor"]))
            actor = Person.objects.filter(email__iexact=key, role=Person.Role.ADMIN).first()
            if actor is None:
                raise CommandError(f"--actor {options['actor']}: no admin has this email.")
        try:
            # Read one line at a time: a large file is never held whole in memory.
            with open(path, encoding="utf-8-sig", newline="") as stream:
                content = people_file_read(stream)
            if options["dry_run"]:
                plan = people_file_plan(
                    content=content,
                    deactivate_missing=bool(options["deactivate_missing"]),
                    actor=actor,
                )
            else:
                plan = people_file_apply(
                    content=content,
                    deactivate_missing=bool(options["deactivate_missing"]),
                    actor=actor,
                )
        except DomainError as error:
            raise CommandError(f"{path}: {error.message}") from None
        self._report(plan, path=path, dry_run=bool(options["dry_run"]))
        if plan.errors:
            raise SystemExit(2)

    def _report(self, plan: PeoplePlan, *, path: Path, dry_run: bool) -> None:
        out = self.stdout.write
        if dry_run:
            out("Dry run: nothing was written.")

        def section(title: str, people: list[PersonPlan]) -> None:
            if not people:
                return
            out(f"{title} ({len(people)}):")
            for p in people:
                where = f"line {p.line}" if p.line else "not in the file"
                detail = p.detail if p.line else p.detail.removeprefix(p.reason).lstrip("; ")
                out(f"  {where}: {p.email} ({p.name})" + (f" — {detail}" if detail else ""))

        section("New people", plan.new)
        section("Changed people", plan.changed)
        section("Deactivated people", plan.deactivated)
        section("Reactivated people", plan.reactivated)
        if plan.new_org_units:
            out(f"New org units (teams): {', '.join(plan.new_org_units)}")
        for note in plan.notes:
            out(f"{path}: note, {note}")
        if plan.ignored_columns:
            out(f"Columns not used: {', '.join(plan.ignored_columns)}")
        for error in plan.errors:
            self.stderr.write(f"{path}: {error}")
        if plan.errors:
            self.stderr.write(
                f"{_count(len(plan.errors), 'broken line', 'broken lines')}:"
                " nothing was written for them;"
                f" the other lines {'would apply' if dry_run else 'were applied'}."
            )
        s = plan.summary()
        verb = "would change" if dry_run else "changed"
        out(
            f"{_count(plan.change_count, 'person', 'people')} {verb}: {s['new']} new,"
            f" {s['changed']} changed, {s['deactivated']} deactivated,"
            f" {s['reactivated']} reactivated; {s['unchanged']} unchanged,"
            f" {_count(s['broken'], 'broken line', 'broken lines')}."
        )


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"
