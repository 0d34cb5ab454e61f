"""The conference programme: which period and room each talk gets (problem B), with CP-SAT.

Model (``problem.py`` has already removed every period a talk cannot use):

* ``x[t, p]``, one per talk and allowed period; each talk takes exactly one.
* Rooms, per period (Hall): for each m among the period's room limits, at most m of the talks
  there fit only the m largest free rooms. Rooms are dealt out afterwards (:func:`rooms_assign`).
* A speaker's talks, at most one per period.
* ``same[i, j]`` per pair of talks some attendee wants both of, only when the two share a
  period: the clause ``not x[i, p] or not x[j, p] or same[i, j]`` for each shared period p.
* Minimise ``conflict weight * count * same`` + each talk's own cost where it runs
  (speaker-preference weight outside a speaker's preferred periods, plus the move penalty away
  from its previous period): exactly ``score.py:evaluate_b`` plus the stability term.

A greedy programme improved by annealing (``warm_start.py``) is the hint; periods that every
talk sees alike are put in one order (value symmetry). The solver returns the best programme of
the two and the proven lower bound.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model
from scipy.optimize import linear_sum_assignment

from knowflow.programme.instance import Conference, Placement
from knowflow.programme.problem import (
    ONE_TALK_PER_ROOM,
    ROOM_CAPACITY,
    SPEAKER_NOT_DOUBLE_BOOKED,
    ProgrammeInfeasible,
    ProgrammeProblem,
    interchangeable_periods,
    problem_build,
)
from knowflow.programme.warm_start import anneal, greedy_programme

# One moved talk costs as much as 5 attendees' conflicts, half a speaker-preference violation:
# enough that a re-run does not reshuffle a published programme for nothing, small enough that
# a change which really helps attendees or speakers still goes through.
DEFAULT_MOVE_PENALTY = 5
# Share of the time given to the annealing before CP-SAT takes over from its best programme.
WARM_START_SHARE = 0.35
# CP-SAT stops a little after its limit (it finishes the running step); keep that inside ours.
STOP_MARGIN_SECONDS = 0.5
WORKERS = 2
# Above this many talks, an infeasibility core is reported as CP-SAT gives it (not minimised).
MINIMAL_CORE_LIMIT = 40

Log = Callable[[str], None]


class ProgrammeNotFound(Exception):
    """The time ran out before any programme was found (infeasibility was not proven)."""


@dataclass(frozen=True)
class ProgrammeResult:
    """A programme and what it is worth.

    ``objective`` is the score of ``score.py`` (conflicts and preference violations, weighted);
    ``bound`` is a proven lower bound on ``objective + move_penalty * moved periods``, which is
    the objective itself when no previous programme was given. ``moved_talks`` counts talks of
    the previous programme whose period or room changed.
    """

    assignment: Mapping[str, tuple[int, str]]
    objective: int
    audience_conflicts: int
    preference_violations: int
    moved_talks: int
    optimal: bool
    bound: int
    seconds: float
    warm_start_objective: int | None

    @property
    def status(self) -> str:
        return "optimal" if self.optimal else "feasible"


def _quiet(message: str) -> None:
    pass


def _canonical(periods: list[int], groups: Sequence[Sequence[int]]) -> list[int]:
    """Relabel interchangeable periods so the lowest talk of each comes first, as the model wants."""
    relabelled = list(periods)
    for group in groups:
        first: dict[int, int] = {}
        for t, p in enumerate(periods):
            if p in group and p not in first:
                first[p] = t
        order = sorted(group, key=lambda p: (first.get(p, len(periods)), p))
        mapping = dict(zip(order, sorted(group), strict=True))
        relabelled = [mapping.get(p, p) for p in relabelled]
    return relabelled


def _symmetry_cuts(
    problem: ProgrammeProblem, groups: Sequence[Sequence[int]]
) -> set[tuple[int, int]]:
    """(talk, period) pairs ruled out by ordering each group: the i-th talk that may use the
    group goes in one of its first i + 1 periods (the order :func:`_canonical` produces)."""
    cuts: set[tuple[int, int]] = set()
    for group in groups:
        ordered = sorted(group)
        eligible = [t for t in range(problem.talk_count) if ordered[0] in problem.allowed[t]]
        for i, t in enumerate(eligible):
            cuts.update((t, p) for p in ordered[i + 1 :])
    return cuts


@dataclass
class _Model:
    model: cp_model.CpModel
    x: dict[tuple[int, int], cp_model.IntVar]
    same: dict[tuple[int, int], cp_model.IntVar]
    placed: list[cp_model.IntVar]


def model_build(
    problem: ProgrammeProblem,
    *,
    excluded: set[tuple[int, int]] | None = None,
    speakers: bool = True,
    rooms: bool = True,
    objective: bool = True,
    talks: Sequence[int] | None = None,
    optional: bool = False,
) -> _Model:
    """The CP-SAT model of the module docstring.

    To explain an infeasibility, parts can be left out, the model restricted to some talks, or
    (``optional``) each talk's placement made conditional on a literal of ``placed``.
    """
    excluded = excluded or set()
    chosen = range(problem.talk_count) if talks is None else talks
    model = cp_model.CpModel()
    x = {
        (t, p): model.new_bool_var(f"x_{t}_{p}")
        for t in chosen
        for p in problem.allowed[t]
        if (t, p) not in excluded
    }
    by_period: list[list[int]] = [[] for _ in range(problem.period_count)]
    for t, p in x:
        by_period[p].append(t)
    placed: list[cp_model.IntVar] = []
    for t in chosen:
        options = [x[t, p] for p in problem.allowed[t] if (t, p) in x]
        if optional:
            placed.append(model.new_bool_var(f"placed_{t}"))
            model.add(sum(options) == 1).only_enforce_if(placed[-1])
        else:
            model.add_exactly_one(options)
    if rooms:
        for p, here in enumerate(by_period):
            for m in problem.room_limits[p]:
                tight = [x[t, p] for t in here if problem.rank[t][p] <= m]
                if len(tight) > m:
                    model.add(sum(tight) <= m)
    if speakers:
        for own in problem.speaker_talks:
            for p in range(problem.period_count):
                clash = [x[t, p] for t in own if (t, p) in x]
                if len(clash) > 1:
                    model.add_at_most_one(clash)
    same: dict[tuple[int, int], cp_model.IntVar] = {}
    if objective:
        terms: list[cp_model.IntVar] = []
        coefficients: list[int] = []
        for (i, j), count in problem.pair_counts.items():
            weight = problem.conflict_weight * count
            shared = [p for p in problem.allowed[i] if (i, p) in x and (j, p) in x]
            if not shared or not weight:
                continue
            same[i, j] = model.new_bool_var(f"same_{i}_{j}")
            for p in shared:
                model.add_bool_or([x[i, p].Not(), x[j, p].Not(), same[i, j]])
            terms.append(same[i, j])
            coefficients.append(weight)
        for (t, p), variable in x.items():
            if problem.cost[t][p]:
                terms.append(variable)
                coefficients.append(problem.cost[t][p])
        model.minimize(cp_model.LinearExpr.weighted_sum(terms, coefficients))
    return _Model(model=model, x=x, same=same, placed=placed)


def _hint(built: _Model, periods: Sequence[int]) -> None:
    for (t, p), variable in built.x.items():
        built.model.add_hint(variable, periods[t] == p)
    for (i, j), variable in built.same.items():
        built.model.add_hint(variable, periods[i] == periods[j])


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, log: Log, began: float) -> None:
        super().__init__()
        self._log, self._began = log, began

    def on_solution_callback(self) -> None:
        self._log(
            f"cp-sat: {self.objective_value:g} (bound {self.best_objective_bound:g}) "
            f"at {time.perf_counter() - self._began:.1f} s"
        )


def _periods_of(built: _Model, solver: cp_model.CpSolver, talk_count: int) -> list[int]:
    periods = [-1] * talk_count
    for (t, p), variable in built.x.items():
        if solver.boolean_value(variable):
            periods[t] = p
    return periods


def _explain_infeasible(problem: ProgrammeProblem) -> ProgrammeInfeasible:
    """CP-SAT proved there is no programme: find talks that cannot all be placed, and which
    constraint (speakers or rooms) makes it so, by solving with one assumption per talk."""
    built = model_build(problem, objective=False, optional=True)
    built.model.add_assumptions(built.placed)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 30
    talks = list(range(problem.talk_count))
    if solver.solve(built.model) == cp_model.INFEASIBLE:
        index = {variable.index: t for t, variable in enumerate(built.placed)}
        core = solver.sufficient_assumptions_for_infeasibility()
        talks = sorted(index[literal] for literal in core if literal in index) or talks

    def feasible(*, speakers: bool = True, rooms: bool = True, among: Sequence[int]) -> bool:
        probe = cp_model.CpSolver()
        probe.parameters.max_time_in_seconds = 10
        built = model_build(problem, objective=False, talks=among, speakers=speakers, rooms=rooms)
        return probe.solve(built.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)

    # The core CP-SAT gives is sufficient, not minimal: drop every talk it can do without, so
    # the message names only talks that are part of the problem.
    if len(talks) <= MINIMAL_CORE_LIMIT:
        for t in list(talks):
            rest = [other for other in talks if other != t]
            if not feasible(among=rest):
                talks = rest
    names = [problem.conference.talks[t].id for t in talks]

    if feasible(speakers=False, among=talks):
        return ProgrammeInfeasible(
            SPEAKER_NOT_DOUBLE_BOOKED,
            names,
            "their speakers' other talks leave too few periods with a free room for them",
        )
    if feasible(rooms=False, among=talks):
        return ProgrammeInfeasible(
            f"{ONE_TALK_PER_ROOM}, {ROOM_CAPACITY}",
            names,
            "the periods these talks can use have too few rooms that hold them",
        )
    return ProgrammeInfeasible(
        f"{SPEAKER_NOT_DOUBLE_BOOKED}, {ONE_TALK_PER_ROOM}",
        names,
        "neither their speakers' constraints nor the rooms alone can be met for them",
    )


def rooms_assign(problem: ProgrammeProblem, periods: Sequence[int]) -> dict[int, int]:
    """A room per talk: pinned rooms kept, then previous rooms where possible, then the largest
    audience in the largest room (the reference rule), by one small assignment per period."""
    conference = problem.conference
    rooms: dict[int, int] = dict(problem.pinned_rooms)
    for p in range(problem.period_count):
        here = sorted(
            (t for t, q in enumerate(periods) if q == p and t not in problem.pinned_rooms),
            key=lambda t: (-conference.talks[t].expected_audience, t),
        )
        if not here:
            continue
        free = problem.free_rooms[p]
        cost = np.zeros((len(here), len(free)), dtype=np.int64)
        impossible = 10**9
        for i, t in enumerate(here):
            for k, r in enumerate(free):
                if conference.rooms[r].capacity < conference.talks[t].expected_audience:
                    cost[i, k] = impossible
                    continue
                was = problem.previous.get(t)
                cost[i, k] = 1000 * (was is not None and was != (p, r)) + abs(i - k)
        chosen_rows, chosen_rooms = linear_sum_assignment(cost)
        if len(chosen_rows) < len(here) or cost[chosen_rows, chosen_rooms].max() >= impossible:
            raise AssertionError(f"period {p}: Hall's condition held but no room assignment")
        for i, k in zip(chosen_rows, chosen_rooms, strict=True):
            rooms[here[int(i)]] = free[int(k)]
    return rooms


def _solve_model(
    problem: ProgrammeProblem,
    *,
    hint: list[int] | None,
    seconds: float,
    seed: int,
    log: Log,
    began: float,
) -> tuple[list[int] | None, int | None, bool]:
    """(periods, bound, optimal) from CP-SAT; raises ProgrammeInfeasible when it proves so."""
    groups = interchangeable_periods(problem)
    if groups:
        log(f"symmetry: {len(groups)} group(s) of interchangeable periods ordered")
    mark = time.perf_counter()
    built = model_build(problem, excluded=_symmetry_cuts(problem, groups))
    if hint is not None:
        _hint(built, _canonical(hint, groups))
    log(
        f"model: {len(built.x)} talk-period variables, {len(built.same)} pair variables "
        f"in {time.perf_counter() - mark:.1f} s"
    )
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = WORKERS
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = max(0.1, seconds)
    status = solver.solve(built.model, _Progress(log, began))
    log(f"cp-sat: {solver.status_name(status)} after {solver.wall_time:.1f} s")
    if status == cp_model.INFEASIBLE:
        raise _explain_infeasible(problem)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, None, False
    bound = int(np.ceil(solver.best_objective_bound - 1e-6))
    return _periods_of(built, solver, problem.talk_count), bound, status == cp_model.OPTIMAL


def _start(problem: ProgrammeProblem) -> list[int] | None:
    """The greedy programme, first trying to keep every talk of the previous one in place."""
    if problem.previous:
        kept = greedy_programme(problem, keep={t: p for t, (p, _) in problem.previous.items()})
        if kept is not None:
            return kept
    return greedy_programme(problem)


def programme_solve(
    conference: Conference,
    *,
    time_limit: float = 60.0,
    pinned: Mapping[str, Placement] | None = None,
    previous: Mapping[str, Placement] | None = None,
    move_penalty: int = DEFAULT_MOVE_PENALTY,
    seed: int = 0,
    log: Log | None = None,
) -> ProgrammeResult:
    """Place every talk in a period and a room, minimising the score objective.

    ``pinned`` talks keep their (period, room) (room None: any room of that period);
    ``previous`` is the programme published before, and every talk moved away from it costs
    ``move_penalty``. Runs for at most about ``time_limit`` seconds (less when optimal sooner).
    Raises :class:`ProgrammeInfeasible` when the hard constraints cannot all hold, and
    :class:`ProgrammeNotFound` when no programme was found in time. Pure: no I/O but ``log``.
    """
    began = time.perf_counter()
    say = log or _quiet
    problem = problem_build(
        conference, pinned=pinned, previous=previous, move_penalty=move_penalty if previous else 0
    )
    floor = problem.lower_bound()
    say(
        f"{conference.name or 'conference'}: {len(conference.talks)} talks, "
        f"{len(conference.periods)} periods, "
        f"{len(conference.rooms)} rooms, {len(problem.pair_counts)} interest pairs; "
        f"every talk at its cheapest period: {floor}"
    )
    best: list[int] | None = _start(problem)
    warm: int | None = None
    if best is None:
        say("greedy: stuck, CP-SAT starts from scratch")
    else:
        remaining = time_limit - (time.perf_counter() - began)
        best, warm = anneal(problem, best, seconds=WARM_START_SHARE * remaining, seed=seed, log=say)
    bound, optimal = floor, warm == floor
    if not optimal:
        remaining = time_limit - (time.perf_counter() - began) - STOP_MARGIN_SECONDS
        found, model_bound, optimal = _solve_model(
            problem, hint=best, seconds=remaining, seed=seed, log=say, began=began
        )
        if model_bound is not None:
            bound = max(bound, model_bound)
        if found is not None and (
            best is None or problem.objective(found) <= problem.objective(best)
        ):
            best = found
    if best is None:
        raise ProgrammeNotFound(
            f"no programme found in {time_limit:g} s (and none proven impossible); "
            "try a longer --time-limit"
        )
    return _result(problem, best, bound=bound, optimal=optimal, warm=warm, began=began)


def _result(
    problem: ProgrammeProblem,
    periods: list[int],
    *,
    bound: int,
    optimal: bool,
    warm: int | None,
    began: float,
) -> ProgrammeResult:
    conference = problem.conference
    rooms = rooms_assign(problem, periods)
    conflicts, violations, _ = problem.evaluate(periods)
    moved = sum(1 for t, place in problem.previous.items() if place != (periods[t], rooms[t]))
    return ProgrammeResult(
        assignment={
            talk.id: (conference.periods[periods[t]].id, conference.rooms[rooms[t]].id)
            for t, talk in enumerate(conference.talks)
        },
        objective=problem.conflict_weight * conflicts + problem.preference_weight * violations,
        audience_conflicts=conflicts,
        preference_violations=violations,
        moved_talks=moved,
        optimal=optimal or problem.objective(periods) <= bound,
        bound=bound,
        seconds=time.perf_counter() - began,
        warm_start_objective=warm,
    )
