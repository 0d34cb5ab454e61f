"""TEMPORARY stand-in for the foundation's module (removed before merging main)."""

from __future__ import annotations

import os
from collections.abc import Iterable

ORDER = ["member", "leader", "enabler", "admin"]


def role_for_groups(group_names: Iterable[str]) -> str | None:
    raw = os.environ.get("KNOWFLOW_ROLE_GROUPS", "").strip()
    if not raw:
        return None
    names = set(group_names)
    best = "member"
    for part in raw.split(";"):
        role, _, groups = part.partition("=")
        if {g.strip() for g in groups.split(",")} & names and ORDER.index(
            role.strip()
        ) > ORDER.index(best):
            best = role.strip()
    return best
