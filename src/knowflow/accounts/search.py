"""People as search finds them: by their name and bio.

The apps above add what they own to a person's document: topics their skills
(``topics.search``), events the titles of what they taught (``events.search``).
"""

from __future__ import annotations

from knowflow.accounts.models import Person
from knowflow.search import registry
from knowflow.search.registry import DocumentSource

PERSON = "person"


def person_sources(person_ids: list[int]) -> list[DocumentSource]:
    people = Person.objects.filter(pk__in=person_ids).only("id", "slug", "display_name", "bio")
    return [
        DocumentSource(
            kind=PERSON,
            object_id=person.pk,
            slug=person.slug,
            title=person.display_name,
            body=f"{person.bio}\n",
            people=[person.display_name],
        )
        for person in people
    ]


def register() -> None:
    # A person only names others' work: ranked a little below sessions and resources.
    registry.register(
        kind=PERSON, label="Person", position=3, model=Person, build=person_sources, prior=0.5
    )
