"""People an import names: found by their display name, or created as members without an account.

An archive names its speakers and authors by display name only. A name already in the
directory (regardless of case) is that person; any other name becomes a member with no user
account, who can be given one later. The caller holds the transaction; the search index is
the caller's to refresh.
"""

from __future__ import annotations

from collections.abc import Iterable

from knowflow.accounts.models import Person
from knowflow.accounts.services import unique_slug
from knowflow.slugs import slug_unique_in

BATCH = 500


class PeopleByName:
    """Every person's id by lower-cased display name, kept in memory for a bulk import.

    Loaded once (two queries); ``create_missing`` writes the names not known yet in one
    statement per batch, so an archive of tens of thousands of talks costs no query per name.
    """

    def __init__(self) -> None:
        self.ids: dict[str, int] = {
            name.lower(): pk for pk, name in Person.objects.values_list("id", "display_name")
        }
        self.slugs = set(Person.objects.values_list("slug", flat=True))

    def create_missing(self, names: Iterable[str]) -> None:
        """Create a member (no account) for each name not known yet; the first spelling wins."""
        new: list[Person] = []
        spelled: set[str] = set()
        for name in names:
            key = name.lower()
            if key not in self.ids and key not in spelled:
                spelled.add(key)
                new.append(
                    Person(
                        display_name=name,
                        slug=slug_unique_in(self.slugs, name, max_length=160),
                        role=Person.Role.MEMBER,
                    )
                )
        Person.objects.bulk_create(new, batch_size=BATCH)
        for person in new:
            self.ids[person.display_name.lower()] = person.pk

    def __getitem__(self, name: str) -> int:
        return self.ids[name.lower()]


def person_for_name(*, name: str) -> Person:
    """The person called ``name`` (regardless of case), or a new member without an account."""
    person = Person.objects.filter(display_name__iexact=name).first()
    if person is None:
        person = Person.objects.create(
            display_name=name[:150], slug=unique_slug(Person, name, max_length=160)
        )
    return person
