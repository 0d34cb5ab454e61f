"""Slugs made unique against a set held in memory, for bulk writes.

A bulk load (the talk importer, the demo) creates thousands of rows at once: asking the
database whether each candidate slug is taken (``accounts.services.unique_slug``) would cost
a query per row. Instead the caller loads the slugs once and this function keeps the set
current, with the same spelling as the service (``ada-lovelace-2`` on a clash).
"""

from __future__ import annotations

from django.utils.text import slugify


def slug_unique_in(taken: set[str], text: str, *, max_length: int) -> str:
    """A slug for ``text`` that is not in ``taken``; adds it to ``taken`` before returning."""
    root = (slugify(text) or "item")[: max_length - 8]
    slug, n = root, 1
    while slug in taken:
        n += 1
        slug = f"{root}-{n}"
    taken.add(slug)
    return slug
