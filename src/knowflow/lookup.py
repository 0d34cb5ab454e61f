"""One row by id (what the API is given) or by slug (what a page's address holds), or a
NotFound that says which: the shared body of the apps' ``<entity>_get`` selectors."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from knowflow.errors import NotFound

M = TypeVar("M", bound=Model)


def one_by_id_or_slug(
    rows: QuerySet[M],
    *,
    id: int | None,
    slug: str | None,
    noun: str,
    field: str | None = None,
) -> M:
    """The row of ``rows`` with this slug (when given) or id, or NotFound naming ``field``:
    "There is no such <noun>." for a slug, "There is no <noun> with id N." for an id. Neither
    given finds nothing."""
    if slug is not None:
        rows = rows.filter(slug=slug)
    elif id is not None:
        rows = rows.filter(pk=id)
    else:
        rows = rows.none()
    row = rows.first()
    if row is None:
        raise NotFound(
            f"There is no such {noun}."
            if slug is not None
            else f"There is no {noun} with id {id}.",
            field=field,
        )
    return row
