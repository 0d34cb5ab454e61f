"""A greedy programme improved by simulated annealing: the hint handed to CP-SAT.

CP-SAT's own search starts from nothing and spends most of a minute finding what a simple local
search finds in seconds (measured on B-medium: 267 after 60 s alone, about 250 after 15 s of
annealing), so the model gets a good programme as a hint and uses its time to improve and bound
it. Moves are: put one talk in another period, or swap two talks of different periods when the
target period is full. Every move keeps all hard constraints (speakers, availability, Hall's
room condition), so the annealing never leaves the feasible set and any state is a programme.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from knowflow.programme.problem import ProgrammeProblem

# Annealing temperatures in units of one attendee's conflict: from accepting a move that costs
# a few attendees down to accepting almost nothing; tuned on B-small/medium/large.
START_TEMPERATURE = 3.0
END_TEMPERATURE = 0.02
# Moves tried per (talk, allowed period) before the annealing ends even with time left: a small
# programme is then settled in well under a second (and the same on any machine), while on
# B-medium and B-large the time runs out first.
MOVES_PER_OPTION = 10_000


@dataclass
class _State:
    """A feasible period per talk with the counters that make a move O(1) to test."""

    problem: ProgrammeProblem
    period: list[int]
    members: list[list[int]]
    busy: list[list[int]]  # busy[speaker][period]: talks of the speaker there
    fits: list[list[int]]  # fits[period][m]: talks there fitting only the m largest free rooms
    conflict: list[list[int]]  # conflict[talk][period]: weighted pairs with talks placed there
    neighbours: list[list[tuple[int, int]]]

    @classmethod
    def empty(cls, problem: ProgrammeProblem) -> _State:
        weight = problem.conflict_weight
        neighbours: list[list[tuple[int, int]]] = [[] for _ in range(problem.talk_count)]
        for (i, j), count in problem.pair_counts.items():
            if weight * count:
                neighbours[i].append((j, weight * count))
                neighbours[j].append((i, weight * count))
        periods = problem.period_count
        return cls(
            problem=problem,
            period=[-1] * problem.talk_count,
            members=[[] for _ in range(periods)],
            busy=[[0] * periods for _ in problem.speaker_talks],
            fits=[[0] * (len(rooms) + 2) for rooms in problem.free_rooms],
            conflict=[[0] * periods for _ in range(problem.talk_count)],
            neighbours=neighbours,
        )

    def can_enter(self, t: int, q: int, leaving: int | None = None) -> bool:
        """Whether talk t may join period q, optionally in place of talk ``leaving``."""
        rank = self.problem.rank[t][q]
        top = self.problem.rank[leaving][q] if leaving is not None else len(self.fits[q]) - 1
        fits = self.fits[q]
        for m in range(rank, top):
            if fits[m] >= m:
                return False
        leaving_speakers = self.problem.talk_speakers[leaving] if leaving is not None else ()
        for s in self.problem.talk_speakers[t]:
            if self.busy[s][q] - (s in leaving_speakers) > 0:
                return False
        return True

    def place(self, t: int, q: int) -> None:
        self.period[t] = q
        self.members[q].append(t)
        for s in self.problem.talk_speakers[t]:
            self.busy[s][q] += 1
        fits = self.fits[q]
        for m in range(self.problem.rank[t][q], len(fits) - 1):
            fits[m] += 1
        conflict = self.conflict
        for j, w in self.neighbours[t]:
            conflict[j][q] += w

    def remove(self, t: int) -> None:
        q = self.period[t]
        self.members[q].remove(t)
        for s in self.problem.talk_speakers[t]:
            self.busy[s][q] -= 1
        fits = self.fits[q]
        for m in range(self.problem.rank[t][q], len(fits) - 1):
            fits[m] -= 1
        conflict = self.conflict
        for j, w in self.neighbours[t]:
            conflict[j][q] -= w


def greedy_programme(
    problem: ProgrammeProblem, *, keep: Mapping[int, int] | None = None
) -> list[int] | None:
    """Most constrained talk first, each to its cheapest open period; None when stuck.

    Talks in ``keep`` (talk -> period, e.g. the previous programme) are placed there first,
    in that order, so that a re-run starts from the published programme.
    """
    state = _State.empty(problem)
    for t, q in (keep or {}).items():
        if q in problem.rank[t] and state.can_enter(t, q):
            state.place(t, q)
    weight = {t: sum(w for _, w in state.neighbours[t]) for t in range(problem.talk_count)}
    order = sorted(range(problem.talk_count), key=lambda t: (len(problem.allowed[t]), -weight[t]))
    for t in order:
        if state.period[t] >= 0:
            continue
        options = [q for q in problem.allowed[t] if state.can_enter(t, q)]
        if not options:
            return None
        state.place(t, min(options, key=lambda q: (state.conflict[t][q] + problem.cost[t][q], q)))
    return state.period


def anneal(
    problem: ProgrammeProblem,
    start: list[int],
    *,
    seconds: float,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> tuple[list[int], int]:
    """Improve a feasible period vector for ``seconds``; returns the best one and its objective.

    Stops early when the objective reaches ``problem.lower_bound()`` (then it is optimal), or
    after ``MOVES_PER_OPTION`` moves per talk-period option, whichever comes first.
    """
    state = _State.empty(problem)
    for t, q in enumerate(start):
        state.place(t, q)
    rng = random.Random(seed)
    cost, conflict, period, allowed = problem.cost, state.conflict, state.period, problem.allowed
    allowed_sets = [set(periods) for periods in allowed]
    movable = [t for t in range(problem.talk_count) if len(allowed[t]) > 1]
    current = best = problem.objective(start)
    best_period = list(start)
    floor = problem.lower_bound()
    scale = problem.conflict_weight or problem.preference_weight or 1
    temperature = START_TEMPERATURE * scale
    budget = MOVES_PER_OPTION * sum(len(allowed[t]) for t in movable)
    began = time.perf_counter()
    iteration = 0
    while movable and best > floor:
        iteration += 1
        if iteration % 1024 == 0:
            done = max((time.perf_counter() - began) / seconds, iteration / budget)
            if done >= 1:
                break
            # Geometric cooling over the time or the moves given, whichever runs out first.
            temperature = scale * START_TEMPERATURE * (END_TEMPERATURE / START_TEMPERATURE) ** done
        t = movable[rng.randrange(len(movable))]
        options = allowed[t]
        q, p = options[rng.randrange(len(options))], period[t]
        if q == p:
            continue
        if state.can_enter(t, q):
            other = None
            delta = conflict[t][q] + cost[t][q] - conflict[t][p] - cost[t][p]
        else:
            # Period q is full for t: try trading places with one of its talks.
            others = state.members[q]
            if not others:
                continue
            other = others[rng.randrange(len(others))]
            if p not in allowed_sets[other]:
                continue
            if not (state.can_enter(t, q, other) and state.can_enter(other, p, t)):
                continue
            shared = (
                2
                * problem.conflict_weight
                * problem.pair_counts.get((min(t, other), max(t, other)), 0)
            )
            delta = (
                conflict[t][q] + cost[t][q] - conflict[t][p] - cost[t][p]
                + conflict[other][p] + cost[other][p] - conflict[other][q] - cost[other][q]
                - shared
            )  # fmt: skip
        if delta > 0 and rng.random() >= math.exp(-delta / temperature):
            continue
        state.remove(t)
        if other is not None:
            state.remove(other)
            state.place(other, p)
        state.place(t, q)
        current += delta
        if current < best:
            best, best_period = current, list(period)
    if log is not None:
        log(
            f"annealing: {iteration} moves tried in {time.perf_counter() - began:.1f} s, best {best}"
        )
    return best_period, best
