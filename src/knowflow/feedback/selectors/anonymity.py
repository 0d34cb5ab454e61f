"""The anonymity rules as feedback applies them, for every selector of this package.

Every number or comment that leaves `feedback.selectors` has passed the minimum group size *k*
(setting `KNOWFLOW_FEEDBACK_MIN_GROUP`, default 5). The rules, applied everywhere:

1. **Minimum group**: an aggregate (a distribution, a share, comments, themes) is shown only
   for a group of at least k responses; below that the page says "too few responses".
2. **One cut at a time** (`cut_of`): results are cut by date, attendance mode, org unit or
   office, never two at once: two cuts make a table whose rows and columns subtract in ways
   a check per cut does not see.
3. **Partition** (`visible_cells`): a cut's group shows only if it is a visible cell of the
   whole split by that dimension: cells of at least k show, and while the hidden ones add up
   to between 1 and k-1 (so the total minus the visible cells would reveal them) the smallest
   visible cell is hidden too. Org units nest, so they are checked down the tree
   (`org_unit_visible`): a unit shows only if its parent does and it is a visible cell of the
   parent's split into its own people and each child's subtree.
4. **Sums of visible cells only**: the programme view and the speaker's over-time view add up
   only cells that a session's own results page shows (whole sessions of at least k, or the
   cut's visible cell), so no period, filter or grouping can be subtracted from another to
   single anyone out. The evidence view shows counts of responses, never answers.

Comments are never returned in the order they were written.

The pure core of rule 3 (which cells of a partition show) is `knowflow.anonymity.partition`;
this module adds what needs the database or the settings: k, the org tree, the cut filters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q

from knowflow.accounts.models import Office, OrgUnit
from knowflow.accounts.selectors import org_unit_with_descendants
from knowflow.anonymity.partition import OrgTree, org_unit_visible, visible_cells
from knowflow.errors import DomainError
from knowflow.events.models import Attendance

TOO_FEW = "too few responses"
MODES = [(m.value, m.label) for m in Attendance.Mode]


def min_group() -> int:
    return max(int(getattr(settings, "KNOWFLOW_FEEDBACK_MIN_GROUP", 5)), 1)


def org_tree_load() -> OrgTree:
    """The organisation's units as a tree, read once (one query)."""
    return OrgTree.of(dict(OrgUnit.objects.values_list("id", "parent_id")))


# Filters -----------------------------------------------------------------------------------


ONE_CUT = (
    "Results can be cut one way at a time: by date, attendance mode, org unit or office. Two "
    "cuts together could be subtracted from each other to single out fewer than {k} people."
)


@dataclass(frozen=True)
class SegmentFilters:
    """Cuts by who answered: the same on every page, every export and the API. One at a time
    (with a date, that is also one): see `cut_of`."""

    mode: str = ""
    org_unit_id: int | None = None
    office_id: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.mode or self.org_unit_id or self.office_id)

    def q(self, prefix: str = "") -> Q:
        query = Q()
        if self.mode:
            query &= Q(**{f"{prefix}mode": self.mode})
        if self.org_unit_id:
            unit = OrgUnit.objects.filter(pk=self.org_unit_id).first()
            ids = org_unit_with_descendants(unit) if unit else [self.org_unit_id]
            query &= Q(**{f"{prefix}org_unit_id__in": ids})
        if self.office_id:
            query &= Q(**{f"{prefix}office_id": self.office_id})
        return query


# The default of every selector that takes filters: everyone, no cut.
NO_FILTERS = SegmentFilters()


def cut_of(filters: SegmentFilters, *, occurrence_id: int | None = None) -> tuple[str, Any] | None:
    """The one dimension the results are cut by, and its value; None for everyone.

    Why one: each dimension is checked as a partition (rule 3: mode, office and date) or a
    tree of partitions (org units), which guarantees that no difference of visible figures
    isolates fewer than k. Two dimensions together form a table whose rows and columns can
    be subtracted in ways a per-dimension check does not see, so they are refused.
    """
    cuts = [
        (dimension, value)
        for dimension, value in (
            ("occurrence_id", occurrence_id),
            ("mode", filters.mode),
            ("org_unit_id", filters.org_unit_id),
            ("office_id", filters.office_id),
        )
        if value
    ]
    if len(cuts) > 1:
        raise DomainError(ONE_CUT.format(k=min_group()), field="filters")
    return cuts[0] if cuts else None


def cut_visible(
    dimension: str,
    value: Any,
    counts: Mapping[Any, int],
    *,
    k: int,
    tree: OrgTree | None = None,
) -> bool:
    """Whether the group `dimension = value` may be shown, given the responses of the whole
    population (a session, or one kind of survey of it) split by that dimension. Pass the org
    `tree` when checking several populations, so that it is read once."""
    if dimension == "org_unit_id":
        return org_unit_visible(counts, value, k=k, tree=tree or org_tree_load())
    return value in visible_cells(counts, k=k)


def segment_choices() -> dict[str, list]:
    """Every org unit, office and mode (not only those that answered: listing the org units
    among the respondents would itself say who answered)."""
    return {
        "org_units": list(OrgUnit.objects.only("id", "name").order_by("name")),
        "offices": list(Office.objects.only("id", "name").order_by("name")),
        "modes": MODES,
    }
