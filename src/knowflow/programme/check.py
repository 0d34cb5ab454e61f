"""What a programme someone edited by hand is worth, and what it breaks.

The solver never returns a programme that breaks a hard constraint; an organiser moving a talk
by hand can. ``programme_check`` scores any assignment the way the solver and the shared
``score.py`` do (attendee conflicts and speaker-preference violations, weighted) and names each
hard constraint it breaks, in words an organiser reads next to the change.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from knowflow.programme.instance import Conference


@dataclass(frozen=True)
class ProgrammeCheck:
    objective: int
    audience_conflicts: int  # attendee-pairs of wanted talks that run at once
    preference_violations: int  # talks outside a speaker's preferred periods
    violations: tuple[str, ...]  # the hard constraints broken, one sentence each

    @property
    def feasible(self) -> bool:
        return not self.violations


def programme_check(
    conference: Conference,
    assignment: Mapping[str, tuple[int, str]],
    *,
    names: Mapping[str, str] | None = None,
) -> ProgrammeCheck:
    """Score ``assignment`` ({talk id: (period id, room id)}) and list its hard violations.
    ``names`` gives talks, rooms and speakers readable names in the sentences (ids otherwise)."""

    def name(key: str) -> str:
        return (names or {}).get(key, key)

    periods = {p.id: p for p in conference.periods}
    rooms = {r.id: r for r in conference.rooms}
    speakers = {s.id: s for s in conference.speakers}
    violations: list[str] = []
    period_of: dict[str, int] = {}
    in_slot: dict[tuple[int, str], list[str]] = defaultdict(list)
    for talk in conference.talks:
        placed = assignment.get(talk.id)
        if placed is None:
            violations.append(f"{name(talk.id)} has no place in the programme.")
            continue
        period_id, room_id = placed
        period, room = periods.get(period_id), rooms.get(room_id)
        if period is None or room is None:
            violations.append(f"{name(talk.id)} is placed in a period or room that does not exist.")
            continue
        period_of[talk.id] = period_id
        in_slot[(period_id, room_id)].append(talk.id)
        if talk.duration_min > period.duration_min:
            violations.append(
                f"{name(talk.id)} lasts {talk.duration_min} minutes; the period has "
                f"{period.duration_min}."
            )
        if talk.expected_audience > room.capacity:
            violations.append(
                f"{name(talk.id)} expects {talk.expected_audience} people; {name(room_id)} "
                f"holds {room.capacity}."
            )
        for speaker_id in talk.speakers:
            speaker = speakers.get(speaker_id)
            if speaker is not None and period_id not in speaker.available_periods:
                violations.append(f"{name(speaker_id)} is not available then for {name(talk.id)}.")
    for (_, room_id), talks in sorted(in_slot.items()):
        if len(talks) > 1:
            listed = ", ".join(name(t) for t in talks)
            violations.append(f"{listed} are in {name(room_id)} at the same time.")
    busy: dict[tuple[str, int], list[str]] = defaultdict(list)
    for talk in conference.talks:
        if talk.id in period_of:
            for speaker_id in talk.speakers:
                busy[(speaker_id, period_of[talk.id])].append(talk.id)
    for (speaker_id, _), talks in sorted(busy.items()):
        if len(talks) > 1:
            listed = ", ".join(name(t) for t in talks)
            violations.append(f"{name(speaker_id)} would give {listed} at the same time.")

    conflicts = 0
    for attendee in conference.attendees:
        at = Counter(period_of[t] for t in set(attendee.interests) if t in period_of)
        conflicts += sum(n * (n - 1) // 2 for n in at.values())
    outside = 0
    for talk in conference.talks:
        if talk.id not in period_of:
            continue
        if any(
            speaker_id in speakers
            and period_of[talk.id] not in speakers[speaker_id].preferred_periods
            for speaker_id in talk.speakers
        ):
            outside += 1
    return ProgrammeCheck(
        objective=conference.audience_conflict_weight * conflicts
        + conference.speaker_preference_weight * outside,
        audience_conflicts=conflicts,
        preference_violations=outside,
        violations=tuple(violations),
    )
