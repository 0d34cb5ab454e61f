"""Which cells of a partition may be shown without singling anyone out.

PURE: plain Python over plain data (cell sizes by key, a tree of units as parent ids), no
Django and no app, so that the rules can be read, tested and checked against the SQL that
applies them on their own. The feedback app (`feedback.selectors.anonymity`) applies them to
survey responses, insights to the ROI study's claims.

A *cell* is one group of a split of a population (a session's responses by attendance mode,
office, date or org unit). A cell of fewer than k people is hidden; and because the total is
known, the cells shown must never subtract from it to leave a group of 1 to k-1 either.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

# A cell's key: an org unit's id, an attendance mode, a session's name; the cells shown are
# keys of the same type.
Cell = TypeVar("Cell", bound=Hashable)


def visible_cells(sizes: Mapping[Cell, int], *, k: int, hidden_base: int = 0) -> set[Cell]:
    """Rule 3 (partition): which cells of a partition may be shown.

    A cell shows when it holds at least k; then, while the hidden cells hold between 1 and
    k-1 responses together (so "total minus the visible cells" would reveal them), the
    smallest visible cell is hidden as well. `hidden_base` counts responses that are part of
    the total but never shown as a cell of their own (a unit's own people, below its
    sub-units).
    """
    visible = {key for key, n in sizes.items() if n >= k}
    hidden = hidden_base + sum(n for key, n in sizes.items() if key not in visible)
    while 0 < hidden < k and visible:
        # Ties go to the lower key, None first: the programme view's SQL orders the same way.
        smallest = min(visible, key=lambda key: (sizes[key], key is not None, key))
        visible.discard(smallest)
        hidden += sizes[smallest]
    return visible


@dataclass(frozen=True)
class OrgTree:
    """The org units as a tree, read once: each unit's children and its line up to the root
    (None, the whole organisation). A cycle in bad data is cut where it closes."""

    children: Mapping[int | None, list[int]]
    lineage: Mapping[int | None, tuple[int | None, ...]]

    @classmethod
    def of(cls, parents: Mapping[int, int | None]) -> OrgTree:
        children: dict[int | None, list[int]] = defaultdict(list)
        lineage: dict[int | None, tuple[int | None, ...]] = {None: (None,)}
        for unit, parent in parents.items():
            children[parent if parent in parents else None].append(unit)
            line: list[int | None] = []
            node: int | None = unit
            while node is not None and node not in line:
                line.append(node)
                node = parents.get(node)
                node = node if node in parents else None
            lineage[unit] = (*line, None)
        return cls(children=dict(children), lineage=lineage)

    def subtree_sums(self, own: Mapping[int | None, int]) -> dict[int | None, int]:
        sums: dict[int | None, int] = defaultdict(int)
        for unit, n in own.items():
            for node in self.lineage.get(unit, (None,)):
                sums[node] += n
        return sums


def org_unit_visible(own: Mapping[int | None, int], unit: int, *, k: int, tree: OrgTree) -> bool:
    """Rule 3 down the org tree. A unit's figure counts its own people and every unit below
    it, so units nest: "Division" minus "Team" is a group too. A unit shows only when its
    parent shows (the whole organisation at the top) and it is a visible cell of its
    parent's partition: the parent's own people (never shown alone) and each child's
    subtree. Then every figure anyone can subtract from another holds 0 or at least k.

    `own` is responses per org unit (None: people without one).
    """
    if unit not in tree.lineage:
        return False
    sums = tree.subtree_sums(own)
    if sums.get(None, 0) < k:
        return False
    path = list(reversed(tree.lineage[unit]))  # None, the top unit, …, the unit
    for node, child in zip(path, path[1:], strict=False):
        cells = {c: sums[c] for c in tree.children.get(node, ()) if sums.get(c)}
        if child not in visible_cells(cells, k=k, hidden_base=own.get(node, 0)):
            return False
    return True
