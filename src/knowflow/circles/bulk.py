"""Circles an import names (a talk archive's events), found by name or created in bulk.

The caller holds the transaction; the search index is the caller's to refresh.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from knowflow.circles.models import Circle
from knowflow.slugs import slug_unique_in

BATCH = 500


class NamedCircle(NamedTuple):
    """A circle an import asks for: its name, the text its slug comes from, its mission."""

    name: str
    slug_text: str
    mission: str


class CirclesByName:
    """Every circle's id by lower-cased name, kept in memory for a bulk import."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {
            name.lower(): pk for pk, name in Circle.objects.values_list("id", "name")
        }
        self.slugs = set(Circle.objects.values_list("slug", flat=True))

    def create_missing(self, circles: Iterable[NamedCircle]) -> None:
        """Create (open, no members) each circle whose name is not known yet; the first wins."""
        new: list[Circle] = []
        named: set[str] = set()
        for wanted in circles:
            key = wanted.name.lower()
            if key and key not in self.ids and key not in named:
                named.add(key)
                new.append(
                    Circle(
                        name=wanted.name,
                        slug=slug_unique_in(self.slugs, wanted.slug_text, max_length=140),
                        mission=wanted.mission,
                    )
                )
        Circle.objects.bulk_create(new, batch_size=BATCH)
        for circle in new:
            self.ids[circle.name.lower()] = circle.pk

    def get(self, name: str) -> int | None:
        return self.ids.get(name.lower())

    def __getitem__(self, name: str) -> int:
        return self.ids[name.lower()]
