"""Fetch a row by id for the API, or raise NotFound naming what was missing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.db.models import Model, QuerySet

from knowflow.errors import NotFound

M = TypeVar("M", bound=Model)


def fetch(queryset: QuerySet[M] | type[M], pk: int, *, what: str, field: str | None = None) -> M:
    rows = queryset if isinstance(queryset, QuerySet) else queryset._default_manager.all()
    obj = rows.filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"There is no {what} with id {pk}.", field=field)
    return obj


def fetch_many(model: type[M], ids: Iterable[int], *, what: str, field: str) -> list[M]:
    wanted = list(dict.fromkeys(ids))
    found = {obj.pk: obj for obj in model._default_manager.filter(pk__in=wanted)}
    missing = [pk for pk in wanted if pk not in found]
    if missing:  # a 404 like `fetch`: what the request points at does not exist
        raise NotFound(f"Unknown {what} id(s): {', '.join(map(str, missing))}.", field=field)
    return [found[pk] for pk in wanted]
