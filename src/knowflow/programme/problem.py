"""The conference as the solvers see it: talks and periods by index, what each talk may use.

Everything the hard constraints rule out is decided here once, so the warm start and the CP-SAT
model cannot disagree about it: a talk may run in a period only when every speaker is
available, the talk fits in the period's length, and some room left free by the pins holds its
audience. The checks that can name the talks a hard constraint fails for, before any search,
also live here (:func:`problem_build` raises :class:`ProgrammeInfeasible`).

Rooms are reduced to counts per period (Hall's condition): for a set of talks in one period to
get rooms that hold them, for every m the talks that fit only the m largest free rooms must be
at most m. Then giving the largest audience the largest room works, so the search only chooses
periods and the rooms are dealt out at the end.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from knowflow.programme.instance import Conference, Placement

ALL_SPEAKERS_AVAILABLE = "all speakers available"
TALK_FITS_PERIOD = "talk duration <= period duration"
SPEAKER_NOT_DOUBLE_BOOKED = "speaker not double-booked"
ONE_TALK_PER_ROOM = "one talk per room and period"
ROOM_CAPACITY = "room capacity >= expected_audience"


class ProgrammeInfeasible(Exception):
    """No programme satisfies the hard constraints; names the constraint and the talks."""

    def __init__(self, constraint: str, talks: Sequence[str], detail: str) -> None:
        self.constraint = constraint
        self.talks = tuple(talks)
        self.detail = detail
        super().__init__(f"{constraint!r} cannot hold for {_talk_list(self.talks)}: {detail}")


def _talk_list(talks: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(talks[:limit])
    more = f" and {len(talks) - limit} more" if len(talks) > limit else ""
    return f"talk{'s' if len(talks) > 1 else ''} {shown}{more}"


@dataclass(frozen=True)
class ProgrammeProblem:
    """Index view of a conference plus pins and a previous programme.

    ``allowed[t]`` are the period indices talk ``t`` may use, ``cost[t][p]`` its own cost there
    (speaker-preference weight when outside a speaker's preferred periods, plus the move
    penalty when ``p`` is not its previous period). ``rank[t][p]`` is how many of period p's
    free rooms hold talk t; a talk pinned to a room has rank ``len(free_rooms[p]) + 1``, which
    keeps it out of the room counting because it brings its own room.
    """

    conference: Conference
    allowed: tuple[tuple[int, ...], ...]
    preference_bad: tuple[frozenset[int], ...]
    cost: tuple[tuple[int, ...], ...]
    rank: tuple[dict[int, int], ...]
    free_rooms: tuple[tuple[int, ...], ...]
    room_limits: tuple[tuple[int, ...], ...]
    pair_counts: Mapping[tuple[int, int], int]
    talk_speakers: tuple[tuple[int, ...], ...]
    speaker_talks: tuple[tuple[int, ...], ...]
    pinned_rooms: Mapping[int, int]
    previous: Mapping[int, tuple[int, int]]
    move_penalty: int

    @property
    def talk_count(self) -> int:
        return len(self.allowed)

    @property
    def period_count(self) -> int:
        return len(self.free_rooms)

    @property
    def conflict_weight(self) -> int:
        return self.conference.audience_conflict_weight

    @property
    def preference_weight(self) -> int:
        return self.conference.speaker_preference_weight

    def lower_bound(self) -> int:
        """Every talk at its cheapest period with no conflict: reached means optimal."""
        return sum(min(self.cost[t][p] for p in self.allowed[t]) for t in range(self.talk_count))

    def evaluate(self, periods: Sequence[int]) -> tuple[int, int, int]:
        """(audience conflicts, preference violations, moved periods) of a period vector."""
        conflicts = sum(
            count for (i, j), count in self.pair_counts.items() if periods[i] == periods[j]
        )
        violations = sum(1 for t, p in enumerate(periods) if p in self.preference_bad[t])
        moved = sum(1 for t, (p, _) in self.previous.items() if periods[t] != p)
        return conflicts, violations, moved

    def objective(self, periods: Sequence[int]) -> int:
        """What the model minimises: the score objective plus the move penalty."""
        conflicts, violations, moved = self.evaluate(periods)
        return (
            self.conflict_weight * conflicts
            + self.preference_weight * violations
            + self.move_penalty * moved
        )


def room_limits_of(capacities: Sequence[int]) -> tuple[int, ...]:
    """The m worth a Hall constraint: where the m-th largest room is bigger than the next.

    With equal capacities at m and m + 1 no talk has rank exactly m, so the constraint for m
    repeats the one for m - 1 with a looser right-hand side.
    """
    return tuple(
        m
        for m in range(1, len(capacities) + 1)
        if m == len(capacities) or capacities[m - 1] > capacities[m]
    )


def _hall_violator(choices: Sequence[Sequence[int]], resources: int) -> list[int]:
    """Items that cannot all get a distinct resource among their choices (empty: all can).

    From an item a maximum matching leaves out, every alternating path ends in a matched
    resource; the items reached that way want fewer resources than they are (Hall, König).
    """
    rows = [i for i, options in enumerate(choices) for _ in options]
    columns = [r for options in choices for r in options]
    graph = csr_matrix(
        (np.ones(len(rows), dtype=np.int8), (rows, columns)), shape=(len(choices), resources)
    )
    owner = maximum_bipartite_matching(graph, perm_type="row")
    matched = set(int(i) for i in owner if i >= 0)
    left_out = [i for i in range(len(choices)) if i not in matched]
    if not left_out:
        return []
    reached, frontier, seen = {left_out[0]}, [left_out[0]], set()
    while frontier:
        item = frontier.pop()
        for resource in choices[item]:
            if resource not in seen:
                seen.add(resource)
                holder = int(owner[resource])
                if holder >= 0 and holder not in reached:
                    reached.add(holder)
                    frontier.append(holder)
    return sorted(reached)


def _pair_counts(conference: Conference, index: Mapping[str, int]) -> dict[tuple[int, int], int]:
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for attendee in conference.attendees:
        for i, j in combinations(sorted(index[talk] for talk in attendee.interests), 2):
            counts[(i, j)] += 1
    return dict(counts)


def _check_pins(
    conference: Conference,
    pins: Mapping[int, tuple[int, int | None]],
    talk_speakers: Sequence[Sequence[int]],
) -> None:
    talks, rooms = conference.talks, conference.rooms
    by_room: dict[tuple[int, int], list[str]] = defaultdict(list)
    by_speaker: dict[tuple[int, int], list[str]] = defaultdict(list)
    for t, (p, room) in pins.items():
        if room is not None:
            by_room[(p, room)].append(talks[t].id)
            if rooms[room].capacity < talks[t].expected_audience:
                raise ProgrammeInfeasible(
                    ROOM_CAPACITY,
                    [talks[t].id],
                    f"pinned to room {rooms[room].id} ({rooms[room].capacity} seats) with an "
                    f"expected audience of {talks[t].expected_audience}",
                )
        for s in talk_speakers[t]:
            by_speaker[(p, s)].append(talks[t].id)
    for (p, room), names in by_room.items():
        if len(names) > 1:
            raise ProgrammeInfeasible(
                ONE_TALK_PER_ROOM,
                names,
                f"all pinned to room {rooms[room].id} in period {conference.periods[p].id}",
            )
    for (p, s), names in by_speaker.items():
        if len(names) > 1:
            raise ProgrammeInfeasible(
                SPEAKER_NOT_DOUBLE_BOOKED,
                names,
                f"speaker {conference.speakers[s].id} is pinned to all of them in period "
                f"{conference.periods[p].id}",
            )


def _allowed_periods(
    conference: Conference,
    talk_speakers: Sequence[Sequence[int]],
    pins: Mapping[int, tuple[int, int | None]],
    free_rooms: Sequence[Sequence[int]],
    period_index: Mapping[int, int],
) -> tuple[list[list[int]], list[dict[int, int]]]:
    """Each talk's possible periods and room ranks; raises for talks left with none."""
    conference_rooms = conference.rooms
    failures: dict[str, list[str]] = defaultdict(list)
    allowed: list[list[int]] = []
    ranks: list[dict[int, int]] = []
    for t, talk in enumerate(conference.talks):
        long_enough = {
            p
            for p, period in enumerate(conference.periods)
            if period.duration_min >= talk.duration_min
        }
        available = set(long_enough)
        for s in talk_speakers[t]:
            available &= {period_index[pid] for pid in conference.speakers[s].available_periods}
        if t in pins:
            if pins[t][0] not in available and pins[t][0] in long_enough:
                raise ProgrammeInfeasible(
                    ALL_SPEAKERS_AVAILABLE,
                    [talk.id],
                    f"pinned to period {conference.periods[pins[t][0]].id}, in which not all "
                    "of its speakers are available",
                )
            available &= {pins[t][0]}
        rank: dict[int, int] = {}
        for p in sorted(available):
            if t in pins and pins[t][1] is not None:
                rank[p] = len(free_rooms[p]) + 1
                continue
            fits = sum(
                1 for r in free_rooms[p] if conference_rooms[r].capacity >= talk.expected_audience
            )
            if fits:
                rank[p] = fits
        if not long_enough or (t in pins and pins[t][0] not in long_enough):
            failures[TALK_FITS_PERIOD].append(talk.id)
        elif not available:
            failures[ALL_SPEAKERS_AVAILABLE].append(talk.id)
        elif not rank:
            failures[ROOM_CAPACITY].append(talk.id)
        allowed.append(sorted(rank))
        ranks.append(rank)
    details = {
        TALK_FITS_PERIOD: "no period is as long as the talk",
        ALL_SPEAKERS_AVAILABLE: "no period in which all of the talk's speakers are available",
        ROOM_CAPACITY: "the expected audience exceeds every room that could be free for it",
    }
    for constraint, detail in details.items():
        if failures[constraint]:
            raise ProgrammeInfeasible(constraint, failures[constraint], detail)
    return allowed, ranks


def _check_speakers(
    conference: Conference, allowed: Sequence[Sequence[int]], speaker_talks: Sequence[Sequence[int]]
) -> None:
    for s, talks in enumerate(speaker_talks):
        if len(talks) < 2:
            continue
        stuck = _hall_violator([allowed[t] for t in talks], len(conference.periods))
        if stuck:
            names = [conference.talks[talks[i]].id for i in stuck]
            periods = sorted({p for i in stuck for p in allowed[talks[i]]})
            raise ProgrammeInfeasible(
                SPEAKER_NOT_DOUBLE_BOOKED,
                names,
                f"speaker {conference.speakers[s].id} gives {len(names)} talks but can only "
                f"do them in {len(periods)} period{'s' if len(periods) != 1 else ''}",
            )


def _check_room_slots(
    conference: Conference,
    allowed: Sequence[Sequence[int]],
    ranks: Sequence[Mapping[int, int]],
    free_rooms: Sequence[Sequence[int]],
    pinned_rooms: Mapping[int, int],
) -> None:
    """Talks against room-slots (period, free room), first by count, then by capacity."""
    offsets = np.cumsum([0, *(len(rooms) for rooms in free_rooms)])
    talks = [t for t in range(len(allowed)) if t not in pinned_rooms]
    for constraint in (ONE_TALK_PER_ROOM, ROOM_CAPACITY):
        choices = [
            [
                int(offsets[p]) + k
                for p in allowed[t]
                for k in range(
                    len(free_rooms[p]) if constraint == ONE_TALK_PER_ROOM else ranks[t][p]
                )
            ]
            for t in talks
        ]
        stuck = _hall_violator(choices, int(offsets[-1]))
        if stuck:
            slots = len({slot for i in stuck for slot in choices[i]})
            raise ProgrammeInfeasible(
                constraint,
                [conference.talks[talks[i]].id for i in stuck],
                f"{len(stuck)} talks share {slots} room-slot{'s' if slots != 1 else ''}"
                + (" big enough for them" if constraint == ROOM_CAPACITY else ""),
            )


def problem_build(
    conference: Conference,
    *,
    pinned: Mapping[str, Placement] | None = None,
    previous: Mapping[str, Placement] | None = None,
    move_penalty: int = 0,
) -> ProgrammeProblem:
    """Index the conference, apply the pins and run every check that can name talks.

    ``pinned`` and ``previous`` map talk ids to (period id, room id) as read by
    :func:`~knowflow.programme.instance.placements_from_json`; a pin's room may be None.
    Raises :class:`ProgrammeInfeasible` when a hard constraint provably cannot hold.
    """
    talk_index = {talk.id: t for t, talk in enumerate(conference.talks)}
    period_index = {period.id: p for p, period in enumerate(conference.periods)}
    room_index = {room.id: r for r, room in enumerate(conference.rooms)}
    speaker_index = {speaker.id: s for s, speaker in enumerate(conference.speakers)}
    talk_speakers = tuple(
        tuple(speaker_index[name] for name in talk.speakers) for talk in conference.talks
    )
    speaker_talks_lists: list[list[int]] = [[] for _ in conference.speakers]
    for t, speakers in enumerate(talk_speakers):
        for s in speakers:
            speaker_talks_lists[s].append(t)
    pins = {
        talk_index[talk]: (period_index[p], None if room is None else room_index[room])
        for talk, (p, room) in (pinned or {}).items()
    }
    _check_pins(conference, pins, talk_speakers)
    pinned_rooms = {t: room for t, (_, room) in pins.items() if room is not None}
    taken = {(p, room) for t, (p, room) in pins.items() if room is not None}
    by_size = sorted(range(len(conference.rooms)), key=lambda r: -conference.rooms[r].capacity)
    free_rooms = tuple(
        tuple(r for r in by_size if (p, r) not in taken) for p in range(len(conference.periods))
    )
    allowed, ranks = _allowed_periods(conference, talk_speakers, pins, free_rooms, period_index)
    _check_speakers(conference, allowed, speaker_talks_lists)
    _check_room_slots(conference, allowed, ranks, free_rooms, pinned_rooms)
    previous_index = {
        talk_index[talk]: (period_index[p], room_index[room])
        for talk, (p, room) in (previous or {}).items()
        if room is not None
    }
    weight = conference.speaker_preference_weight
    preference_bad: list[frozenset[int]] = []
    costs: list[tuple[int, ...]] = []
    for t, talk in enumerate(conference.talks):
        preferred = set(range(len(conference.periods)))
        for name in talk.speakers:
            preferred &= {
                period_index[pid]
                for pid in conference.speakers[speaker_index[name]].preferred_periods
            }
        bad = frozenset(p for p in range(len(conference.periods)) if p not in preferred)
        preference_bad.append(bad)
        was = previous_index.get(t)
        costs.append(
            tuple(
                weight * (p in bad) + move_penalty * (was is not None and was[0] != p)
                for p in range(len(conference.periods))
            )
        )
    return ProgrammeProblem(
        conference=conference,
        allowed=tuple(tuple(periods) for periods in allowed),
        preference_bad=tuple(preference_bad),
        cost=tuple(costs),
        rank=tuple(ranks),
        free_rooms=free_rooms,
        room_limits=tuple(
            room_limits_of([conference.rooms[r].capacity for r in rooms]) for rooms in free_rooms
        ),
        pair_counts=_pair_counts(conference, talk_index),
        talk_speakers=talk_speakers,
        speaker_talks=tuple(tuple(talks) for talks in speaker_talks_lists),
        pinned_rooms=pinned_rooms,
        previous=previous_index,
        move_penalty=move_penalty,
    )


def interchangeable_periods(problem: ProgrammeProblem) -> list[list[int]]:
    """Groups of periods that every talk sees alike (same rooms, same allowance, same cost).

    Swapping the whole contents of two such periods changes nothing, so a search may insist on
    one order of them. Pins and a previous programme make periods distinct through ``cost`` and
    ``allowed``, so they switch this off where it would be wrong.
    """
    signatures: dict[tuple[object, ...], list[int]] = defaultdict(list)
    allowed_sets = [set(periods) for periods in problem.allowed]
    for p in range(problem.period_count):
        capacities = tuple(problem.conference.rooms[r].capacity for r in problem.free_rooms[p])
        seen = tuple(
            (problem.cost[t][p], problem.rank[t][p]) if p in allowed_sets[t] else None
            for t in range(problem.talk_count)
        )
        signatures[(capacities, seen)].append(p)
    return [group for group in signatures.values() if len(group) > 1]
