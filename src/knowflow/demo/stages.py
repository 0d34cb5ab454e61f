"""What every stage of the demo generator shares: its random streams, its progress bars, the
slugs taken so far, and the plan the stages fill in for one another (ids of what is written,
sessions and dates planned in memory before they are written)."""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tqdm import tqdm

from knowflow.accounts.models import Person
from knowflow.demo.specification import DemoSize
from knowflow.slugs import slug_unique_in


def weighted(rng: random.Random, items: list[Any], weights: list[float]) -> Any:
    return rng.choices(items, weights=weights, k=1)[0]


@dataclass
class PlannedOccurrence:
    session: int  # index into sessions
    start: datetime
    end: datetime
    room: int | None  # index into rooms
    online: bool
    capacity: int
    upcoming: bool
    registrants: int = 0
    forced: list[int] = field(default_factory=list)  # person ids who must be going


@dataclass
class PlannedSession:
    title: str
    slug: str
    abstract: str
    format: str
    level: str
    language: str
    topics: list[int]  # topic ids
    speakers: list[int]  # person ids
    circle: int | None  # circle id
    status: str
    proposed_by: int
    created_at: datetime
    occurrences: list[int] = field(default_factory=list)


class Stages:
    """The state and tools of one demo generation; each concept's stages are a subclass's
    methods (``organisation``, ``sessions``, ``registrations``), run in order by
    ``generator.DemoGenerator.run``."""

    # Filled by the organisation's stages.
    topic_ids: dict[str, int]
    topic_parent: dict[int, int | None]
    leaf_topics: list[int]
    siblings: dict[int, list[int]]
    team_ids: list[int]
    support_team: int
    office_ids: dict[str, int]
    rooms: list[tuple[int, int, int]]  # (id, office id, capacity)
    office_zone: dict[int, ZoneInfo]
    rooms_of_office: dict[int, list[int]]
    accounts: dict[str, Person]
    person_zone: dict[int, str]
    person_office: dict[int, int | None]
    person_language: dict[int, str]
    people_ids: list[int]
    bulk_people_ids: list[int]
    circle_ids: list[int]
    circle_topics: dict[int, list[int]]
    circles_of_topic: dict[int, list[int]]
    members_of: dict[int, list[int]]
    skills_of: dict[int, list[int]]
    # Filled by the sessions' stages.
    minutes: dict[str, int]
    sessions: list[PlannedSession]
    occurrences: list[PlannedOccurrence]
    session_ids: list[int]
    occurrence_ids: list[int]
    # Filled by the registrations' stages.
    counts: list[int]
    registration_count: int

    def __init__(
        self,
        *,
        seed: int,
        size: DemoSize,
        now: datetime,
        progress: bool,
        out: Callable[[str], None],
    ) -> None:
        self.seed = seed
        self.size = size
        self.now = now.replace(second=0, microsecond=0)
        self.progress = progress
        self.out = out
        self.taken_slugs: set[str] = set()

    # --- small tools ------------------------------------------------------------------------

    def rng(self, stage: str) -> random.Random:
        # One stream per stage: changing how many draws one stage makes leaves the others
        # (and so most of the organisation) the same for a given seed.
        return random.Random(f"knowflow-demo:{self.seed}:{stage}")

    def bar(self, iterable: Iterable[Any], *, total: int, desc: str) -> Iterable[Any]:
        if not self.progress:
            return iterable
        return tqdm(iterable, total=total, desc=desc, unit="row", file=sys.stderr, mininterval=0.5)

    def unique_slug(self, text: str, *, max_length: int) -> str:
        """A slug no earlier row has, computed in memory (no query per row)."""
        return slug_unique_in(self.taken_slugs, text, max_length=max_length)

    def members_of_person(self, person_id: int) -> list[int]:
        return [c for c, members in self.members_of.items() if person_id in members]
