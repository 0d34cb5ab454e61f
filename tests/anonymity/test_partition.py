"""The pure core of the anonymity rules: plain cell sizes in, the cells that may be shown out.

k = 5 unless a row says otherwise. Each row is a case a reader can check by hand: a cell
shows when it holds k or more, and the cells shown never leave 1 to k-1 responses as "the
total minus what is shown".
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Hashable, Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowflow.anonymity.partition import OrgTree, org_unit_visible, visible_cells


@pytest.mark.parametrize(
    ("sizes", "k", "hidden_base", "shown"),
    [
        # Nobody answered: nothing to show.
        ({}, 5, 0, set()),
        # One cell of exactly k shows; one of k-1 does not.
        ({"room": 5}, 5, 0, {"room"}),
        ({"room": 4}, 5, 0, set()),
        # 10 and 4: the 4 are hidden, and so are the 10, or the total would give the 4 away.
        ({"room": 10, "online": 4}, 5, 0, set()),
        # 10, 6 and 3: the 3 are hidden, and with them the smaller visible cell (6).
        ({"room": 10, "online": 6, "recording": 3}, 5, 0, {"room"}),
        # Hidden cells that hold k or more together reveal no one: the big cell shows.
        ({"room": 3, "online": 3, "recording": 7}, 5, 0, {"recording"}),
        # Two cells of k and more, nothing hidden: both show.
        ({"room": 10, "online": 6}, 5, 0, {"room", "online"}),
        # A tie for the smallest goes to the lower key ("online" < "room") ...
        ({"room": 6, "online": 6, "recording": 3}, 5, 0, {"room"}),
        # ... and None (people without an office) comes before every key.
        ({None: 6, 1: 6, 2: 3}, 5, 0, {1}),
        ({1: 6, 2: 6, 3: 3}, 5, 0, {2}),
        # An empty cell hides no one.
        ({"room": 5, "online": 0}, 5, 0, {"room"}),
        # A unit's own people (never a cell) count as hidden: two of them hide a team.
        ({"team a": 6, "team b": 6}, 5, 2, {"team b"}),
        ({"team a": 6}, 5, 2, set()),
        ({"team a": 6}, 5, 5, {"team a"}),
        # k = 1 shows every cell that has anyone in it.
        ({"room": 1, "online": 0}, 1, 0, {"room"}),
        # A larger k hides more: 6 and 4 at k = 6 leave nothing.
        ({"room": 6, "online": 4}, 6, 0, set()),
    ],
)
def test_visible_cells_show_cells_of_k_and_hide_what_a_subtraction_would_reveal(
    sizes: Mapping[Hashable, int], k: int, hidden_base: int, shown: set[Hashable]
) -> None:
    assert visible_cells(sizes, k=k, hidden_base=hidden_base) == shown


# Company 1 > Division 2 > Teams 3 and 4; Division 5.
COMPANY = {1: None, 2: 1, 3: 2, 4: 2, 5: 1}


@pytest.mark.parametrize(
    ("parents", "own", "shown"),
    [
        # Every unit holds k or more and nothing is left over: every unit shows.
        (COMPANY, {3: 6, 4: 6, 5: 7}, {1, 2, 3, 4, 5}),
        # Two people of Division 2's own: Teams 3 and 4 would leave them as 2 minus 3 minus
        # 4, so one team (the tie goes to the lower key, 3) is hidden with them.
        (COMPANY, {3: 6, 4: 6, 2: 2, 5: 7}, {1, 2, 4, 5}),
        # Division 5 holds 1: Division 2 would give it away as the company minus 2, so both
        # divisions are hidden, and the teams under the hidden Division 2 too.
        (COMPANY, {3: 6, 5: 1}, {1}),
        # Fewer than k in the whole organisation: nothing shows.
        (COMPANY, {3: 2, 4: 2}, set()),
        # People without an org unit (None) are part of the organisation's split: 3 of them
        # hide the company (the whole minus the company would be those 3) and all below it;
        # 5 of them hide nothing. An empty unit (5) is never shown.
        (COMPANY, {3: 6, 4: 6, None: 3}, set()),
        (COMPANY, {3: 6, 4: 6, None: 5}, {1, 2, 3, 4}),
        # A cycle in the data (2 -> 3 -> 2) does not hang the walk, and no path from the
        # whole organisation reaches those units, so they are never shown.
        ({2: 3, 3: 2}, {2: 10, 3: 10}, set()),
    ],
)
def test_org_units_show_down_the_tree_only_as_visible_cells_of_their_parent(
    parents: dict[int, int | None], own: dict[int | None, int], shown: set[int]
) -> None:
    tree = OrgTree.of(parents)
    assert {unit for unit in parents if org_unit_visible(own, unit, k=5, tree=tree)} == shown


def test_an_unknown_org_unit_is_never_shown() -> None:
    tree = OrgTree.of(COMPANY)
    assert org_unit_visible({3: 6, 4: 6, 5: 7}, 99, k=5, tree=tree) is False


def test_subtree_sums_add_each_unit_to_every_unit_above_it() -> None:
    tree = OrgTree.of(COMPANY)
    assert tree.subtree_sums({3: 6, 4: 1, 2: 2, 5: 7, None: 3}) == {
        None: 19,
        1: 16,
        2: 9,
        3: 6,
        4: 1,
        5: 7,
    }


@given(
    sizes=st.dictionaries(st.sampled_from(["a", "b", "c", "d", None]), st.integers(0, 12)),
    k=st.integers(1, 7),
    hidden_base=st.integers(0, 6),
)
def test_what_is_shown_never_subtracts_to_a_group_of_1_to_k_minus_1(
    sizes: dict[str | None, int], k: int, hidden_base: int
) -> None:
    shown = visible_cells(sizes, k=k, hidden_base=hidden_base)
    left = hidden_base + sum(n for key, n in sizes.items() if key not in shown)
    assert all(sizes[key] >= k for key in shown)
    assert left == 0 or left >= k or not shown


def test_the_package_imports_neither_django_nor_an_app() -> None:
    # A fresh interpreter: what importing the package pulls in, and nothing else.
    code = (
        "import sys, knowflow.anonymity.partition; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django' "
        "or (m.startswith('knowflow.') and not m.startswith('knowflow.anonymity'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
