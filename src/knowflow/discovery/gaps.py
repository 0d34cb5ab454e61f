"""Knowledge gaps: where people's demand for a topic meets no expert, no session, a single
expert, or no expert working when they do.

Plain data in, gaps out, so that the rules can be read and tested without a database. A
*signal* of demand is one of: an open topic request or a vote on one, a search that found
nothing and named the topic, a person waiting for a place on one of the topic's upcoming dates.
Each counts one; they are shown apart so that an enabler can judge them.

Four kinds of gap, each with the action that closes it (the page builds the links):

- ``no_expert``: demand, and nobody has taught the topic → ask for an expert, start a circle;
- ``no_session``: demand and experts, but no session held in the period or coming → ask an
  expert to run one;
- ``bus_factor_one``: one person alone has taught it (demand or not: the knowledge leaves with
  them) → start a circle, ask them to record it;
- ``uncovered_region``: people in a region want the topic and no expert's working hours share a
  single whole hour with theirs → schedule a repeat in that region's hours.

Hours are the 168 hours of a reference week in UTC (0 = Monday 00:00 UTC). A region's hours are
the hours in which at least half of the region's interested people work: one night owl does
not make a region covered.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from knowflow.discovery.text import phrase_key, words

HOURS_PER_WEEK = 168
# A region counts as covered when an expert shares at least this many whole hours a week with
# it: enough for a one-hour session inside everybody's working day.
MIN_SHARED_HOURS = 1
# Of a region's interested people, the share who must work in an hour for it to be one of the
# region's hours.
REGION_HOUR_QUORUM = 0.5
# Longest topic name (in words) looked for inside a search.
_MAX_PHRASE_WORDS = 6


class GapKind(enum.StrEnum):
    NO_EXPERT = "no_expert"
    NO_SESSION = "no_session"
    BUS_FACTOR_ONE = "bus_factor_one"
    UNCOVERED_REGION = "uncovered_region"


@dataclass(frozen=True)
class Demand:
    requests: int = 0
    votes: int = 0
    unmet_searches: int = 0
    waitlisted: int = 0

    @property
    def signals(self) -> int:
        return self.requests + self.votes + self.unmet_searches + self.waitlisted


@dataclass(frozen=True)
class Expert:
    person_id: int
    name: str
    last_session: date | None
    hours: frozenset[int]  # hours of the reference week (UTC) in which they work


@dataclass(frozen=True)
class TopicFacts:
    topic_id: int
    name: str
    demand: Demand = Demand()
    experts: tuple[Expert, ...] = ()
    sessions_in_period: int = 0  # held in the period or coming
    # Per region, the working hours of each person in it who wants the topic.
    interested_hours: Mapping[str, Sequence[frozenset[int]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Gap:
    kind: GapKind
    topic_id: int
    topic: str
    demand: Demand
    experts: tuple[Expert, ...] = ()
    region: str = ""
    region_people: int = 0

    @property
    def sole_expert(self) -> Expert | None:
        return self.experts[0] if self.kind is GapKind.BUS_FACTOR_ONE else None


def region_hours(people_hours: Sequence[frozenset[int]]) -> frozenset[int]:
    """The hours in which at least half of the people work (empty for nobody)."""
    if not people_hours:
        return frozenset()
    counts = [0] * HOURS_PER_WEEK
    for hours in people_hours:
        for hour in hours:
            counts[hour] += 1
    needed = REGION_HOUR_QUORUM * len(people_hours)
    return frozenset(hour for hour, n in enumerate(counts) if n and n >= needed)


def _covers(expert: Expert, hours: frozenset[int]) -> bool:
    return len(expert.hours & hours) >= MIN_SHARED_HOURS


def topic_gaps(facts: TopicFacts) -> list[Gap]:
    """The gaps of one topic, most serious first (no expert before no session before the
    rest)."""
    gaps: list[Gap] = []
    demand, experts = facts.demand, facts.experts

    def gap(kind: GapKind, *, region: str = "", region_people: int = 0) -> Gap:
        shown = () if kind is GapKind.NO_EXPERT else experts
        return Gap(kind, facts.topic_id, facts.name, demand, shown, region, region_people)

    if demand.signals and not experts:
        gaps.append(gap(GapKind.NO_EXPERT))
    if demand.signals and experts and not facts.sessions_in_period:
        gaps.append(gap(GapKind.NO_SESSION))
    if len(experts) == 1:
        gaps.append(gap(GapKind.BUS_FACTOR_ONE))
    if experts:
        for region in sorted(facts.interested_hours):
            people = facts.interested_hours[region]
            hours = region_hours(people)
            if hours and not any(_covers(expert, hours) for expert in experts):
                gaps.append(gap(GapKind.UNCOVERED_REGION, region=region, region_people=len(people)))
    return gaps


_KIND_ORDER = {kind: n for n, kind in enumerate(GapKind)}


def find_gaps(topics: Iterable[TopicFacts]) -> list[Gap]:
    """Every topic's gaps, ordered by kind, then by demand (most signals first), then by topic
    name, so that the list reads the same on every visit."""
    gaps = [gap for facts in topics for gap in topic_gaps(facts)]
    return sorted(
        gaps,
        key=lambda g: (_KIND_ORDER[g.kind], -g.demand.signals, g.topic.casefold(), g.region),
    )


def topic_phrases(names: Mapping[int, Sequence[str]]) -> dict[str, int]:
    """An index from the phrase key of each topic name or synonym to its topic (the first topic
    wins a clash, by id), for :func:`topics_named_in`."""
    index: dict[str, int] = {}
    for topic_id in sorted(names):
        for name in names[topic_id]:
            key = phrase_key(name)
            if key and len(words(name)) <= _MAX_PHRASE_WORDS:
                index.setdefault(key, topic_id)
    return index


def topics_named_in(query: str, phrases: Mapping[str, int]) -> set[int]:
    """The topics whose name (or a synonym) appears in ``query`` as whole words, spelled any of
    the ways :func:`phrase_key` joins ("Command-Line", "command line")."""
    found: set[int] = set()
    tokens = words(query)
    for start in range(len(tokens)):
        for length in range(1, min(_MAX_PHRASE_WORDS, len(tokens) - start) + 1):
            topic_id = phrases.get(phrase_key(" ".join(tokens[start : start + length])))
            if topic_id is not None:
                found.add(topic_id)
    return found
