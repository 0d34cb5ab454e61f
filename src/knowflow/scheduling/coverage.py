"""Best single slots and follow-the-sun repeats (weighted maximum coverage).

Given the feasibility of an audience, choose ``k`` distinct starts that maximise the weight of
invitees who can attend at least one of them.

Why it is fast *and* exact:

1. **Types.** Invitees with identical availability columns are interchangeable; they are merged
   into one weighted *type* (A-5000: 5,000 invitees -> about 1,700 types).
2. **Dominance.** A candidate whose covered set of types is contained in another candidate's is
   never needed: swapping it for its dominator cannot lose weight. Only the undominated
   candidates (a few hundred) are searched.
3. **k = 2** is an exact enumeration of all pairs from the weighted intersection matrix
   ``W[a, b] = w(a and b)`` (one matrix product).
4. **k = 3** is branch and bound: inclusion-exclusion gives, from ``W`` alone, the upper bound
   ``w(a)+w(b)+w(c)-W[a,b]-W[a,c]-W[b,c]+min(W[a,b],W[a,c],W[b,c])`` (the triple intersection
   is at most the smallest pairwise one). It is evaluated for all triples with numpy; the exact
   value is computed only for triples whose bound beats the incumbent (found beforehand by
   greedy plus swap local search, which is usually already optimal).
5. **k >= 4** (or when a time limit stops the k = 3 search) uses the best plan found with a
   *proven* upper bound: the HiGHS MIP dual bound on the reduced problem and the greedy
   guarantee ``OPT <= greedy / (1 - (1 - 1/k)^k)``. ``optimal`` says whether the two meet.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from knowflow.scheduling.availability import Availability, SchedulingInputError

# Weights are sums of user-given numbers; compare values with a tolerance, never exactly.
_EPSILON = 1e-7


@dataclass(frozen=True)
class SlotProposal:
    """One candidate start and the weight of the invitees who can attend it."""

    start: int  # epoch seconds, UTC
    candidate: int
    covered_weight: float


@dataclass(frozen=True)
class RepeatPlan:
    """``k`` starts and the weight covered by at least one of them.

    ``optimal`` is True when the plan is proven best; otherwise ``upper_bound`` is a proven
    bound on the best possible covered weight (so the plan is within ``upper_bound`` of it).
    """

    starts: tuple[int, ...]
    candidates: tuple[int, ...]
    covered_weight: float
    optimal: bool
    upper_bound: float
    method: str


def best_slots(
    availability: Availability, *, count: int = 5, min_separation_min: int = 0
) -> list[SlotProposal]:
    """The ``count`` best distinct starts by exact covered weight, earliest first among ties.

    Starts where a *required* invitee cannot attend are never proposed. With
    ``min_separation_min`` the proposals are also that far apart, so the list offers real
    alternatives rather than the same slot shifted by one step.
    """
    allowed = _allowed_or_explain(availability)
    columns, weights = availability.coverage_types()
    scores = columns.astype(np.float64) @ weights if columns.size else np.zeros(len(allowed))
    scores = np.where(allowed, scores, -np.inf)
    order = np.lexsort((np.arange(len(scores)), -scores))
    starts = availability.starts
    separation = min_separation_min * 60
    chosen: list[SlotProposal] = []
    for candidate in order:
        if len(chosen) == count or scores[candidate] == -np.inf:
            break
        start = int(starts[candidate])
        if separation and any(abs(start - p.start) < separation for p in chosen):
            continue
        chosen.append(SlotProposal(start, int(candidate), float(scores[candidate])))
    return chosen


def _allowed_or_explain(availability: Availability) -> np.ndarray:
    """Candidates allowed by the required invitees; a readable error when there is none."""
    allowed = availability.allowed_candidates()
    if allowed.any():
        return allowed
    for position, invitee in enumerate(availability.invitees):
        if invitee.required and not availability.invitee_column(position).any():
            inside = availability.inside_hours[:, position].any()
            reason = (
                "busy whenever inside working hours"
                if inside
                else "never inside working hours in the window"
            )
            raise SchedulingInputError(f"required invitee {invitee.id!r} is {reason}")
    raise SchedulingInputError("no start suits all required invitees at once")


@dataclass
class _Reduced:
    """Undominated allowed candidates (rows of ``types``) over the reachable types."""

    candidates: np.ndarray  # indices into the availability grid
    types: np.ndarray  # bool [candidate, type]
    weights: np.ndarray  # type weights
    singles: np.ndarray  # covered weight of each candidate alone
    pair_common: np.ndarray  # W[a, b]: weight covered by both a and b

    def value(self, rows: list[int] | tuple[int, ...]) -> float:
        return float(self.weights[self.types[list(rows)].any(axis=0)].sum())


def _reduce(availability: Availability, allowed: np.ndarray) -> _Reduced:
    columns, weights = availability.coverage_types()
    candidates = np.flatnonzero(allowed & columns.any(axis=1))
    types = columns[candidates]
    counts = types.sum(axis=1)
    # float32 products of 0/1 matrices are exact up to 2**24 common types.
    as_float = types.astype(np.float32)
    common_count = as_float @ as_float.T
    subset = common_count == counts[:, None]  # subset[c, d]: c's types are all in d
    order = np.arange(len(candidates))
    stronger = (counts[None, :] > counts[:, None]) | (
        (counts[None, :] == counts[:, None]) & (order[None, :] < order[:, None])
    )
    dominated = (subset & stronger).any(axis=1)
    keep = ~dominated
    types = types[keep]
    weighted = types * weights
    return _Reduced(
        candidates=candidates[keep],
        types=types,
        weights=weights,
        singles=weighted.sum(axis=1),
        pair_common=weighted @ types.T.astype(np.float64),
    )


def _greedy(reduced: _Reduced, k: int) -> list[int]:
    """Pick the best candidate, then repeatedly the best addition (the (1-1/e) heuristic)."""
    uncovered = reduced.weights.copy()
    chosen: list[int] = []
    for _ in range(min(k, len(reduced.candidates))):
        gains = reduced.types @ uncovered
        gains[chosen] = -1.0
        best = int(np.argmax(gains))
        chosen.append(best)
        uncovered = np.where(reduced.types[best], 0.0, uncovered)
    return chosen


def _local_search(reduced: _Reduced, chosen: list[int]) -> list[int]:
    """Swap one chosen candidate for the best outsider while that strictly improves."""
    chosen = list(chosen)
    current = reduced.value(chosen)
    improved = True
    while improved and len(chosen) > 1:
        improved = False
        for slot in range(len(chosen)):
            others = chosen[:slot] + chosen[slot + 1 :]
            uncovered = np.where(reduced.types[others].any(axis=0), 0.0, reduced.weights)
            gains = reduced.types @ uncovered
            gains[others] = -1.0
            best = int(np.argmax(gains))
            value = reduced.weights.sum() - uncovered.sum() + gains[best]
            if value > current + _EPSILON:
                chosen[slot], current, improved = best, float(value), True
    return chosen


def _greedy_bound(greedy_value: float, k: int) -> float:
    """Nemhauser-Wolsey-Fisher: greedy reaches at least 1 - (1 - 1/k)^k of the optimum."""
    return greedy_value / (1.0 - (1.0 - 1.0 / k) ** k)


def _exact_pair(reduced: _Reduced) -> list[int]:
    values = reduced.singles[:, None] + reduced.singles[None, :] - reduced.pair_common
    np.fill_diagonal(values, -np.inf)
    a, b = np.unravel_index(int(np.argmax(values)), values.shape)
    return sorted([int(a), int(b)])


def _exact_triple(
    reduced: _Reduced, incumbent: list[int], deadline: float
) -> tuple[list[int], bool, float]:
    """Branch and bound over triples; returns (best, proven, upper bound)."""
    singles, common = reduced.singles, reduced.pair_common
    best, best_value = list(incumbent), reduced.value(incumbent)
    size = len(singles)
    weighted = reduced.types * reduced.weights
    for a in range(size - 2):
        if time.monotonic() > deadline:
            # Any triple with smallest row >= a is worth at most w(a) + best pair value.
            pairs = singles[:, None] + singles[None, :] - common
            np.fill_diagonal(pairs, -np.inf)
            bound = float(singles[a:].max() + pairs.max())
            return best, False, max(best_value, bound)
        rest = slice(a + 1, size)
        w_ab = common[a, rest]
        w_bc = common[rest, rest]
        smallest = np.minimum(np.minimum(w_ab[:, None], w_ab[None, :]), w_bc)
        bound = (
            singles[a]
            + singles[rest][:, None]
            + singles[rest][None, :]
            - w_ab[:, None]
            - w_ab[None, :]
            - w_bc
            + smallest
        )
        bound = np.triu(bound, k=1)  # b < c; the lower triangle and diagonal become 0
        bs, cs = np.nonzero(bound > best_value + _EPSILON)
        if bs.size == 0:
            continue
        rows_b, rows_c = np.unique(bs), np.unique(cs)
        in_a = weighted[a]
        triple = (reduced.types[a + 1 + rows_b] * in_a) @ reduced.types[a + 1 + rows_c].T.astype(
            np.float64
        )
        exact = (
            bound[bs, cs]
            - smallest[bs, cs]
            + triple[np.searchsorted(rows_b, bs), np.searchsorted(rows_c, cs)]
        )
        top = int(np.argmax(exact))
        if exact[top] > best_value + _EPSILON:
            best_value = float(exact[top])
            best = [a, a + 1 + int(bs[top]), a + 1 + int(cs[top])]
    return best, True, best_value


def _mip(
    reduced: _Reduced, k: int, incumbent: list[int], time_limit: float
) -> tuple[list[int], bool, float]:
    """HiGHS on the reduced problem: max sum w_t y_t, y_t <= sum of x_c covering t, sum x = k."""
    import highspy

    n_cand, n_types = reduced.types.shape
    highs = quiet_highs()
    highs.setOptionValue("time_limit", float(max(time_limit, 0.1)))
    highs.setOptionValue("mip_rel_gap", 0.0)
    inf = highspy.kHighsInf
    lower = np.zeros(n_cand + n_types)
    upper = np.ones(n_cand + n_types)
    cost = np.concatenate([np.zeros(n_cand), reduced.weights])
    highs.addVars(n_cand + n_types, lower, upper)
    highs.changeColsCost(n_cand + n_types, np.arange(n_cand + n_types, dtype=np.int32), cost)
    highs.changeColsIntegrality(
        n_cand,
        np.arange(n_cand, dtype=np.int32),
        np.full(n_cand, highspy.HighsVarType.kInteger),
    )
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    # y_t - sum_{c covers t} x_c <= 0, one row per type (CSR built column-wise per type).
    cand_of, type_of = np.nonzero(reduced.types.T)  # rows: type, cols: candidate
    starts = np.searchsorted(cand_of, np.arange(n_types))
    counts = np.bincount(cand_of, minlength=n_types)
    indptr = np.zeros(n_types + 1, dtype=np.int32)
    indices, values = [], []
    for t in range(n_types):
        covering = type_of[starts[t] : starts[t] + counts[t]]
        indices.append(np.concatenate([[n_cand + t], covering]))
        values.append(np.concatenate([[1.0], -np.ones(len(covering))]))
        indptr[t + 1] = indptr[t] + len(covering) + 1
    highs.addRows(
        n_types,
        np.full(n_types, -inf),
        np.zeros(n_types),
        int(indptr[-1]),
        indptr[:-1],
        np.concatenate(indices).astype(np.int32),
        np.concatenate(values),
    )
    highs.addRow(float(k), float(k), n_cand, np.arange(n_cand, dtype=np.int32), np.ones(n_cand))
    start = np.zeros(n_cand + n_types)
    start[incumbent] = 1.0
    start[n_cand:] = reduced.types[incumbent].any(axis=0)
    solution = highspy.HighsSolution()
    solution.col_value = list(start)
    highs.setSolution(solution)
    highs.run()
    info = highs.getInfo()
    values_now = np.asarray(highs.getSolution().col_value[:n_cand])
    chosen = [int(c) for c in np.flatnonzero(values_now > 0.5)]
    if len(chosen) != k or reduced.value(chosen) < reduced.value(incumbent):
        chosen = list(incumbent)
    proven = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else np.inf
    return chosen, proven, bound


def quiet_highs() -> Any:
    """A HiGHS instance that prints nothing.

    HiGHS writes its banner to the process's file descriptor 1 when the first instance is
    constructed, before any option can be set; ``knowflow slots`` promises pure JSON on stdout,
    so the descriptor is pointed at /dev/null for the construction.
    """
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highs = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    highs.setOptionValue("output_flag", False)
    return highs


def follow_the_sun(availability: Availability, *, k: int, time_limit: float = 60.0) -> RepeatPlan:
    """``k`` distinct starts maximising the weight covered by at least one of them.

    Exact for k <= 3 (the search finishes well inside ``time_limit`` on 5,000 invitees); for
    larger k, or when the limit stops the search, the best plan found with a proven bound.
    Starts where a *required* invitee cannot attend are never used.
    """
    if k < 1:
        raise SchedulingInputError("k must be at least 1")
    deadline = time.monotonic() + time_limit
    allowed = _allowed_or_explain(availability)
    if k > int(allowed.sum()):
        raise SchedulingInputError(f"only {int(allowed.sum())} allowed starts for k = {k}")
    if k == 1:
        # One start: the exact weighted counts decide; no dominance reduction is needed.
        best = best_slots(availability, count=1)[0]
        return RepeatPlan(
            starts=(best.start,),
            candidates=(best.candidate,),
            covered_weight=best.covered_weight,
            optimal=True,
            upper_bound=best.covered_weight,
            method="exact",
        )
    reduced = _reduce(availability, allowed)
    coverable = float(reduced.weights[reduced.types.any(axis=0)].sum())
    if len(reduced.candidates) <= k:
        # Every undominated candidate fits: together they cover everything coverable.
        rows, proven, bound, method = list(range(len(reduced.candidates))), True, coverable, "all"
    elif k == 1:
        rows, proven, bound, method = [int(np.argmax(reduced.singles))], True, 0.0, "exact"
    elif k == 2:
        rows, proven, bound, method = _exact_pair(reduced), True, 0.0, "exact"
    else:
        greedy = _greedy(reduced, k)
        greedy_value = reduced.value(greedy)
        rows = _local_search(reduced, greedy)
        if k == 3:
            rows, proven, bound = _exact_triple(reduced, rows, deadline)
            method = "exact" if proven else "branch-and-bound (time limit)"
        else:
            rows, proven, bound = _mip(reduced, k, rows, deadline - time.monotonic())
            method = "mip" if proven else "mip (time limit)"
        bound = min(bound, _greedy_bound(greedy_value, k), coverable)
    value = reduced.value(rows)
    if proven or bound <= value + _EPSILON:
        proven, bound = True, value
    candidates = [int(c) for c in reduced.candidates[rows]]
    if len(candidates) < k:
        # Fewer undominated candidates than k: pad with allowed starts, which cannot hurt.
        spare = [int(c) for c in np.flatnonzero(allowed) if int(c) not in candidates]
        candidates += spare[: k - len(candidates)]
    candidates.sort()
    return RepeatPlan(
        starts=tuple(int(availability.starts[c]) for c in candidates),
        candidates=tuple(candidates),
        covered_weight=value,
        optimal=proven,
        upper_bound=bound,
        method=method,
    )
