"""Fetch the rows a request lists by id (topics, people, …), or raise NotFound naming the ids
that point at nothing. One row is fetched through its app's `<entity>_get` selector."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.db.models import Model

from knowflow.errors import NotFound

M = TypeVar("M", bound=Model)


def fetch_many(model: type[M], ids: Iterable[int], *, what: str, field: str) -> list[M]:
    wanted = list(dict.fromkeys(ids))
    found = {obj.pk: obj for obj in model._default_manager.filter(pk__in=wanted)}
    missing = [pk for pk in wanted if pk not in found]
    if missing:  # a 404: what the request points at does not exist
        raise NotFound(f"Unknown {what} id(s): {', '.join(map(str, missing))}.", field=field)
    return [found[pk] for pk in wanted]
